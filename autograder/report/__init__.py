"""The result model and the writers that turn it into reports."""

from autograder.report.model import CheckResult, GradeReport, Status

__all__ = ["CheckResult", "GradeReport", "Status"]
