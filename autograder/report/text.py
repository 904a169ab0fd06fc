"""Terminal report: a table of checks, coloured when written to a TTY."""

from __future__ import annotations

import shutil
import textwrap

from autograder.report.model import GradeReport, Status

_COLOURS = {Status.PASSED: "32", Status.FAILED: "31", Status.ERROR: "35",
            Status.TIMEOUT: "33", Status.SKIPPED: "90"}


def _paint(text: str, status: Status, colour: bool) -> str:
    return f"\033[{_COLOURS.get(status, '0')}m{text}\033[0m" if colour else text


def render_text(report: GradeReport, colour: bool = False) -> str:
    """The report as a table: status, points and the check's message."""
    width = max(60, min(shutil.get_terminal_size((100, 20)).columns, 120))
    name_width = max(len(r.name) for r in report.results) if report.results else 10
    lines = [f"{report.assignment} — {report.submission}",
             f"mode {report.mode}, seed {report.seed}, {report.seconds:.2f} s", ""]
    lines.extend(f"note: {note}" for note in report.notes)
    for result in report.results:
        points = f"{result.score:5.2f}/{result.max_score:<5.2f}"
        status = _paint(f"{result.status:<7}", result.status, colour)
        lines.append(f"{status} {points} {result.name:<{name_width}}")
        if result.message and result.status != Status.PASSED:
            indent = " " * 8
            lines.extend(textwrap.wrap(result.message, width - 8, initial_indent=indent,
                                       subsequent_indent=indent))
    lines.append("")
    total = f"Total: {report.score:.2f} / {report.max_score:.2f} ({100 * report.fraction:.1f}%)"
    lines.append(_paint(total, Status.PASSED if report.fraction == 1 else Status.FAILED, colour))
    return "\n".join(lines) + "\n"
