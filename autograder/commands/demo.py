"""`autograder demo`: grade the bundled examples (reference, skeleton, a bug)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from autograder.report.formats import render


def run(args: argparse.Namespace) -> int:
    from autograder.examples import bugs, materialize, materialize_reference, materialize_skeleton
    from autograder.grading import grade
    from autograder.rubrics import assignment

    target = assignment(args.assignment)
    examples = bugs(target.id)
    colour = sys.stdout.isatty()
    with tempfile.TemporaryDirectory(prefix="ag-demo-") as tmp:
        submissions = [("the reference solution", materialize_reference(target.id, Path(tmp) / "reference"))]
        if target.skeleton_dir.is_dir():
            submissions.append(("the untouched skeleton",
                                materialize_skeleton(target.id, Path(tmp) / "skeleton")))
        if examples:
            bug = examples[0]
            submissions.append((f"a buggy submission: {bug.description}",
                                materialize(target.id, bug, Path(tmp) / bug.name)))
        for label, path in submissions:
            print(f"=== Grading {label} ===")
            report = grade(target.rubric, path, seed=args.seed)
            report.submission = label
            print(render(report, "text", colour))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="grade the bundled example submissions")
    p.add_argument("--assignment", "-a", default="a1")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run)
