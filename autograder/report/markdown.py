"""GitHub-flavoured Markdown: a heading with the points, then one table row per
check (status, name, points, message). The GitHub Classroom workflow writes it
to the job summary."""

from __future__ import annotations

from autograder.report.model import GradeReport, Status

_MARKS = {Status.PASSED: "✅", Status.FAILED: "❌", Status.ERROR: "💥", Status.TIMEOUT: "⏱️",
          Status.SKIPPED: "➖"}


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell: one line, pipes and tags escaped."""
    return " ".join(text.split()).replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")


def _points(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def render_markdown(report: GradeReport) -> str:
    """The report as a Markdown heading and table (a string ending in a newline)."""
    lines = [f"## {report.assignment}: {_points(report.score)} / {_points(report.max_score)} points "
             f"({100 * report.fraction:.1f}%)", "",
             "| | check | points | what to fix |", "|---|---|---:|---|"]
    for result in report.results:
        message = "" if result.status == Status.PASSED else _cell(result.message)
        lines.append(f"| {_MARKS.get(result.status, '')} | {_cell(result.name)} | "
                     f"{_points(result.score)} / {_points(result.max_score)} | {message} |")
    lines.append("")
    lines.extend(f"> {_cell(note)}" for note in report.notes)
    lines.append(f"\nseed {report.seed}, graded in {report.seconds:.1f} s")
    return "\n".join(lines) + "\n"
