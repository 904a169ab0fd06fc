"""`autograder gradescope ID --output ID_autograder.zip`: the Gradescope autograder zip."""

from __future__ import annotations

import argparse
import sys


def run(args: argparse.Namespace) -> int:
    from autograder.authoring.gradescope import build_bundle
    from autograder.rubrics import load_rubric

    rubric = load_rubric(args.assignment)
    output = args.output or f"{rubric.id}_autograder.zip"
    try:
        path = build_bundle(rubric.id, output)
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path}: upload it as the assignment's autograder on Gradescope")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gradescope", help="build the Gradescope autograder zip of an assignment")
    p.add_argument("assignment", help="e.g. a1 or a1_backprop")
    p.add_argument("--output", "-o", help="zip to write (default: ID_autograder.zip)")
    p.set_defaults(func=run)
