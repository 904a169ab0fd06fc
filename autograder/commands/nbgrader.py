"""`autograder nbgrader COURSE_DIR`: write an nbgrader course directory."""

from __future__ import annotations

import argparse
import sys


def _assignment_list(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def _missing(exc: ModuleNotFoundError) -> int:
    if exc.name not in ("nbgrader", "nbformat", "nbconvert"):
        raise exc
    print(f"error: {exc.name} is not installed; install the course with its nbgrader extra: "
          "pip install -e '.[nbgrader]'", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    try:
        from autograder.authoring.nbgrader_course import CourseError, write_course
    except ModuleNotFoundError as exc:
        return _missing(exc)
    try:
        written = write_course(args.course_dir, args.assignments, seed=args.seed,
                               course_id=args.course_id)
    except CourseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:
        return _missing(exc)
    print(f"nbgrader course in {args.course_dir}:")
    for item in written:
        print(f"  source/{item.id}/: {item.checks} test cells ({item.hidden} hidden), "
              f"{item.points:g} points")
    first = written[0].id
    print("next, from that directory: "
          f"nbgrader generate_assignment {first}   (then release, collect, autograde; see README)")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("nbgrader", help="write an nbgrader course directory for the assignments")
    p.add_argument("course_dir", help="the course directory (created if needed)")
    p.add_argument("--assignments", type=_assignment_list, default=None,
                   help="comma-separated ids, e.g. a1,a2 (default: every assignment with a notebook)")
    p.add_argument("--seed", type=int, default=None,
                   help="seed of the checks' inputs when autograding (default: keep the course's, "
                        "else a fresh one)")
    p.add_argument("--course-id", default=None, help="nbgrader course id (default: the directory name)")
    p.set_defaults(func=run)
