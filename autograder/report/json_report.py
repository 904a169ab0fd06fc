"""The report as JSON: GradeReport.to_dict(), indented (what grade-batch stores
per submission, and what other tools read)."""

from __future__ import annotations

import json

from autograder.report.model import GradeReport


def render_json(report: GradeReport) -> str:
    """The report's dictionary as indented JSON; NumPy numbers become floats."""
    return json.dumps(report.to_dict(), indent=2, default=float) + "\n"
