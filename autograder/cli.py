"""The `autograder` command (also `python -m autograder`)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from autograder.reference import ASSIGNMENTS, ReferenceMissing


def _write(text: str, output: str | None) -> None:
    if output:
        path = Path(output)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    else:
        sys.stdout.write(text)


def render(report, fmt: str, colour: bool = False) -> str:
    """The report in one of the output formats."""
    if fmt == "gradescope":
        from autograder.report.gradescope import render_gradescope
        return render_gradescope(report)
    if fmt == "json":
        import json
        return json.dumps(report.to_dict(), indent=2, default=float) + "\n"
    from autograder.report.text import render_text
    return render_text(report, colour=colour)


def _emit(report, args) -> None:
    colour = args.output is None and sys.stdout.isatty() and args.format == "text"
    _write(render(report, args.format, colour), args.output)


def cmd_grade(args) -> int:
    from autograder.grading import grade
    from autograder.rubrics import load_rubric

    submission = Path(args.submission)
    if not submission.is_dir():
        print(f"error: submission directory {submission} does not exist", file=sys.stderr)
        return 2
    report = grade(load_rubric(args.assignment), submission, reference_dir=args.reference,
                   seed=args.seed)
    _emit(report, args)
    return 0


def cmd_check(args) -> int:
    from autograder.grading import grade
    from autograder.rubrics import load_rubric

    path = Path(args.path)
    if not path.is_dir():
        print(f"error: directory {path} does not exist", file=sys.stderr)
        return 2
    report = grade(load_rubric(args.assignment), path, public=True)
    _emit(report, args)
    return 0


def cmd_generate(args) -> int:
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


def cmd_list(args) -> int:
    from autograder.rubrics import available, load_rubric

    for assignment in available():
        rubric = load_rubric(assignment)
        print(f"{rubric.id}: {rubric.title} ({rubric.max_score:g} points; files "
              f"{', '.join(m + '.py' for m in rubric.modules)})")
        for check in rubric.checks:
            scope = "" if check.public else "  [instructor only]"
            print(f"  {check.points:5.2f}  {check.kind:<9} {check.name}{scope}")
    return 0


def cmd_demo(args) -> int:
    from autograder.examples import bugs, materialize, materialize_reference, materialize_skeleton
    from autograder.grading import grade
    from autograder.rubrics import load_rubric, resolve

    assignment = resolve(args.assignment)
    rubric = load_rubric(assignment)
    examples = bugs(assignment)
    colour = sys.stdout.isatty()
    with tempfile.TemporaryDirectory(prefix="ag-demo-") as tmp:
        submissions = [("the reference solution", materialize_reference(assignment, Path(tmp) / "reference"))]
        if (ASSIGNMENTS / assignment).is_dir():
            submissions.append(("the untouched skeleton",
                                materialize_skeleton(assignment, Path(tmp) / "skeleton")))
        if examples:
            bug = examples[0]
            submissions.append((f"a buggy submission: {bug.description}",
                                materialize(assignment, bug, Path(tmp) / bug.name)))
        for label, path in submissions:
            print(f"=== Grading {label} ===")
            report = grade(rubric, path, seed=args.seed)
            report.submission = label
            print(render(report, "text", colour))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autograder", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def output_options(p):
        p.add_argument("--format", choices=["text", "gradescope", "json"], default="text")
        p.add_argument("--output", help="write the report here instead of standard output")

    p = sub.add_parser("grade", help="grade a submission against the reference")
    p.add_argument("submission", help="directory holding the student's files")
    p.add_argument("--assignment", "-a", required=True, help="e.g. a1 or a1_backprop")
    p.add_argument("--reference", help="reference solution directory (default: solutions/<id>)")
    p.add_argument("--seed", type=int, help="input seed (default: fresh for every run)")
    output_options(p)
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser("check", help="run the public checks on your own work (no reference needed)")
    p.add_argument("assignment", help="e.g. a1")
    p.add_argument("--path", default=".", help="directory holding your files (default: .)")
    output_options(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("generate", help="regenerate assignments/ from solutions/")
    p.add_argument("assignments", nargs="*", help="only these assignments (full ids)")
    p.add_argument("--check", action="store_true", help="exit 1 if assignments/ is out of date")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("list", help="assignments, checks and points")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("demo", help="grade the bundled example submissions")
    p.add_argument("--assignment", "-a", default="a1")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    from autograder.rubrics import UnknownAssignment

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (UnknownAssignment, ReferenceMissing) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
