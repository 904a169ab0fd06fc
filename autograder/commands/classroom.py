"""`autograder classroom ID --output DIR`: a GitHub Classroom template repository."""

from __future__ import annotations

import argparse
import sys


def run(args: argparse.Namespace) -> int:
    from autograder.authoring.classroom import write_template

    try:
        path = write_template(args.assignment, args.output, course_repo=args.course_repo,
                              course_ref=args.course_ref, python=args.python)
    except (FileExistsError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote the template repository to {path}; push it to GitHub and mark it as a template")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    from autograder.authoring.classroom import DEFAULT_COURSE_REPO

    p = sub.add_parser("classroom", help="write a GitHub Classroom template repository for an assignment")
    p.add_argument("assignment", help="e.g. a1 or a1_backprop")
    p.add_argument("--output", "-o", required=True, help="directory to create (must be new or empty)")
    p.add_argument("--course-repo", default=DEFAULT_COURSE_REPO,
                   help="git URL of the course repository the workflow installs the grader from "
                        f"(default: the placeholder {DEFAULT_COURSE_REPO}); a private one needs "
                        "a COURSE_TOKEN secret in the student repositories")
    p.add_argument("--course-ref", default="main", help="branch or tag of the course repository")
    p.add_argument("--python", default="3.11", help="Python version on the runner")
    p.set_defaults(func=run)
