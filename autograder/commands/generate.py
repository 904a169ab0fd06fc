"""`autograder generate [--check]`: rebuild assignments/ from solutions/."""

from __future__ import annotations

import argparse
import sys


def run(args: argparse.Namespace) -> int:
    from autograder.authoring.generate import generate

    problems = generate(args.assignments or None, check=args.check)
    if args.check:
        for problem in problems:
            print(problem)
        if problems:
            print("assignments/ is out of date: run `autograder generate`", file=sys.stderr)
            return 1
        print("assignments/ is up to date")
        return 0
    print(f"generated; {len(problems)} file(s) updated")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate", help="regenerate assignments/ from solutions/")
    p.add_argument("assignments", nargs="*", help="only these assignments (e.g. a1 or a1_backprop)")
    p.add_argument("--check", action="store_true", help="exit 1 if assignments/ is out of date")
    p.set_defaults(func=run)
