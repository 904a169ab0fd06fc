"""`autograder grade SUBMISSION -a ID`: grade one submission against the reference."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder.commands.output import add_output_options, emit


def run(args: argparse.Namespace) -> int:
    from autograder.grading import grade
    from autograder.rubrics import load_rubric

    submission = Path(args.submission)
    if not submission.is_dir():
        print(f"error: submission directory {submission} does not exist", file=sys.stderr)
        return 2
    report = grade(load_rubric(args.assignment), submission, reference_dir=args.reference,
                   seed=args.seed, data_root=args.data_root, options=model_options(args))
    emit(report, args)
    return 0


def model_options(args: argparse.Namespace) -> dict[str, object]:
    """Options of the trained-model checks (a6) that were given on the command line."""
    given = {"retrain": args.retrain, "time_budget_s": args.time_budget, "floor": args.floor,
             "target": args.target, "device": args.device}
    return {key: value for key, value in given.items() if value not in (None, False)}


def add_model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-root", help="dataset directory (default: $AUTOGRADER_DATA or source_data/)")
    group = p.add_argument_group("trained-model checks (a6)")
    group.add_argument("--retrain", action="store_true",
                       help="run the student's train() in the sandbox under its time budget, then evaluate")
    group.add_argument("--time-budget", type=float, help="seconds for --retrain (default 600)")
    group.add_argument("--floor", type=float, help="accuracy with no points (default 0.40)")
    group.add_argument("--target", type=float, help="accuracy with full points (default 0.70)")
    group.add_argument("--device", choices=["auto", "cpu", "cuda"], help="where to evaluate (default auto)")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("grade", help="grade a submission against the reference")
    p.add_argument("submission", help="directory holding the student's files")
    p.add_argument("--assignment", "-a", required=True, help="e.g. a1 or a1_backprop")
    p.add_argument("--reference", help="reference solution directory (default: solutions/<id>)")
    p.add_argument("--seed", type=int, help="input seed (default: fresh for every run)")
    add_model_options(p)
    add_output_options(p)
    p.set_defaults(func=run)
