"""`autograder list`: assignments, checks and points."""

from __future__ import annotations

import argparse


def run(args: argparse.Namespace) -> int:
    from autograder.rubrics import assignments

    for assignment in assignments():
        rubric = assignment.rubric
        print(f"{rubric.id}: {rubric.title} ({rubric.max_score:g} points; files "
              f"{', '.join(m + '.py' for m in rubric.modules)})")
        for check in rubric.checks:
            scope = "" if check.public else "  [instructor only]"
            print(f"  {check.points:5.2f}  {check.kind:<9} {check.name}{scope}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("list", help="assignments, checks and points").set_defaults(func=run)
