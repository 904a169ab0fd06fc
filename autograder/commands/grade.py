"""`autograder grade SUBMISSION -a ID`: grade one submission against the reference."""

from __future__ import annotations

import sys
from pathlib import Path

from autograder.commands.output import add_output_options, emit


def run(args) -> int:
    from autograder.grading import grade
    from autograder.rubrics import load_rubric

    submission = Path(args.submission)
    if not submission.is_dir():
        print(f"error: submission directory {submission} does not exist", file=sys.stderr)
        return 2
    report = grade(load_rubric(args.assignment), submission, reference_dir=args.reference,
                   seed=args.seed)
    emit(report, args)
    return 0


def register(sub) -> None:
    p = sub.add_parser("grade", help="grade a submission against the reference")
    p.add_argument("submission", help="directory holding the student's files")
    p.add_argument("--assignment", "-a", required=True, help="e.g. a1 or a1_backprop")
    p.add_argument("--reference", help="reference solution directory (default: solutions/<id>)")
    p.add_argument("--seed", type=int, help="input seed (default: fresh for every run)")
    add_output_options(p)
    p.set_defaults(func=run)
