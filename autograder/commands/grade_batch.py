"""`autograder grade-batch SUBMISSIONS_DIR -a ID --jobs N --output DIR`: grade a class."""

from __future__ import annotations

import argparse
import sys

from autograder.commands.grade import add_model_options


def run(args: argparse.Namespace) -> int:
    from autograder.batch.runner import EXTRA_SUFFIXES, run_batch
    from autograder.batch.store import BatchBusy
    from autograder.batch.submissions import BatchInputError
    from autograder.batch.summary import render_summary
    from autograder.commands.grade import model_options

    if args.jobs < 1:
        print("error: --jobs must be at least 1", file=sys.stderr)
        return 2
    unknown = [f for f in args.format if f not in EXTRA_SUFFIXES]
    if unknown:
        print(f"error: unknown format {unknown[0]}; choose from {', '.join(EXTRA_SUFFIXES)}",
              file=sys.stderr)
        return 2
    try:
        summary = run_batch(args.submissions, args.assignment, args.output, jobs=args.jobs,
                            seed=args.seed, reference=args.reference, formats=tuple(args.format),
                            progress=False if args.no_progress else None,
                            data_root=args.data_root, options=model_options(args))
    except (BatchInputError, BatchBusy) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: finished submissions are saved; rerun the same command to resume",
              file=sys.stderr)
        return 130
    sys.stdout.write(render_summary(summary))
    print(f"results in {args.output} (grades.csv, summary.json, results/)")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("grade-batch", help="grade every submission of a directory in parallel")
    p.add_argument("submissions", help="directory with one folder or .zip per student")
    p.add_argument("--assignment", "-a", required=True, help="e.g. a1 or a1_backprop")
    p.add_argument("--output", "-o", required=True,
                   help="directory for results/, grades.csv and summary.json (reruns resume here)")
    p.add_argument("--jobs", "-j", type=int, default=1, help="submissions graded at once (default 1)")
    p.add_argument("--seed", type=int,
                   help="the batch's input seed (default: the previous run's in --output, else fresh)")
    p.add_argument("--reference", help="reference solution directory (default: solutions/<id>)")
    p.add_argument("--format", action="append", default=[], metavar="FORMAT",
                   help="also write each report in this format (text, gradescope, ...; repeatable)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_model_options(p)
    p.set_defaults(func=run)
