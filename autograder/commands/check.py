"""`autograder check ID`: the student-side public checks (no reference needed)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder.commands.grade import add_model_options, model_options
from autograder.commands.output import add_output_options, emit


def run(args: argparse.Namespace) -> int:
    from autograder.grading import grade
    from autograder.rubrics import load_rubric

    path = Path(args.path)
    if not path.is_dir():
        print(f"error: directory {path} does not exist", file=sys.stderr)
        return 2
    emit(grade(load_rubric(args.assignment), path, public=True, data_root=args.data_root,
               options=model_options(args)), args)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="run the public checks on your own work (no reference needed)")
    p.add_argument("assignment", help="e.g. a1")
    p.add_argument("--path", default=".", help="directory holding your files (default: .)")
    add_model_options(p)
    add_output_options(p)
    p.set_defaults(func=run)
