"""The --format and --output options of the commands that print a report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder.report.formats import FORMATS, render
from autograder.report.model import GradeReport


def add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=list(FORMATS), default="text")
    parser.add_argument("--output", help="write the report here instead of standard output")


def emit(report: GradeReport, args: argparse.Namespace) -> None:
    """Write the report as --format and --output say (colour only on a TTY)."""
    colour = args.output is None and sys.stdout.isatty() and args.format == "text"
    text = render(report, args.format, colour)
    if args.output:
        path = Path(args.output)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
