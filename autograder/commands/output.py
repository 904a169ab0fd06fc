"""Output options shared by the commands that print reports."""

from __future__ import annotations

import sys
from pathlib import Path

FORMATS = ["text", "gradescope", "json", "html", "junit", "markdown"]


def add_output_options(parser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--output", help="write the report here instead of standard output")


def render(report, fmt: str, colour: bool = False) -> str:
    """The report in one of the output formats."""
    if fmt == "gradescope":
        from autograder.report.gradescope import render_gradescope
        return render_gradescope(report)
    if fmt == "json":
        import json
        return json.dumps(report.to_dict(), indent=2, default=float) + "\n"
    if fmt == "html":
        from autograder.report.html import render_html
        return render_html(report)
    if fmt == "junit":
        from autograder.report.junit import render_junit
        return render_junit(report)
    if fmt == "markdown":
        from autograder.authoring.classroom import render_markdown
        return render_markdown(report)
    from autograder.report.text import render_text
    return render_text(report, colour=colour)


def emit(report, args) -> None:
    """Write the report as --format and --output say (colour only on a TTY)."""
    colour = args.output is None and sys.stdout.isatty() and args.format == "text"
    text = render(report, args.format, colour)
    if args.output:
        path = Path(args.output)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
