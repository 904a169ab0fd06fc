"""The output formats and their dispatch: every writer is listed here, once.

A writer is a function ``render_NAME(report) -> str`` in a module of its own
under autograder/report/. Adding a format is that module and one entry of
FORMATS; ``autograder grade --format``, ``grade-batch --format`` and
everything else that writes reports take their choices from this table.
Writers are imported when first used (the HTML one loads matplotlib).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from autograder.report.model import GradeReport


@dataclass(frozen=True)
class Format:
    """name: what --format takes; writer: "module:function" under autograder.report;
    suffix: file name ending for a saved report; colour: the writer takes colour=."""

    name: str
    writer: str
    suffix: str
    colour: bool = False

    def load(self) -> Callable[..., str]:
        module, _, function = self.writer.partition(":")
        return getattr(importlib.import_module(f"autograder.report.{module}"), function)


FORMATS: dict[str, Format] = {format.name: format for format in (
    Format("text", "text:render_text", ".txt", colour=True),
    Format("gradescope", "gradescope:render_gradescope", ".gradescope.json"),
    Format("json", "json_report:render_json", ".json"),
    Format("html", "html:render_html", ".html"),
    Format("junit", "junit:render_junit", ".junit.xml"),
    Format("markdown", "markdown:render_markdown", ".md"),
)}


def render(report: GradeReport, fmt: str, colour: bool = False) -> str:
    """The report in format ``fmt`` (a key of FORMATS); colour only where the format has it.
    Raises KeyError for an unknown format."""
    spec = FORMATS[fmt]
    writer = spec.load()
    return writer(report, colour=colour) if spec.colour else writer(report)
