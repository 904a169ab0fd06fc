"""The format table: every writer is reachable from it, and the command line's
choices are its keys, so that adding a format is a module and one entry."""

from __future__ import annotations

import json

import pytest

from autograder.cli import build_parser
from autograder.report import formats
from autograder.report.formats import FORMATS, Format, render
from autograder.report.model import CheckResult, GradeReport, Status


def sample_report() -> GradeReport:
    return GradeReport("a1_backprop", "sub", [
        CheckResult("linear_forward", 1.0, 1.0, Status.PASSED),
        CheckResult("relu_backward", 0.0, 2.0, Status.FAILED, "dx is transposed"),
    ], seed=7, seconds=0.5, notes=["a note"])


@pytest.mark.parametrize("name", list(FORMATS))
def test_every_format_renders_the_report(name):
    text = render(sample_report(), name)
    assert isinstance(text, str) and text.endswith("\n")
    assert "relu_backward" in text


def test_json_is_the_report_dictionary():
    report = sample_report()
    assert json.loads(render(report, "json")) == json.loads(json.dumps(report.to_dict()))


def test_colour_only_where_the_format_has_it():
    assert "\033[" in render(sample_report(), "text", colour=True)
    assert "\033[" not in render(sample_report(), "text")
    assert render(sample_report(), "markdown", colour=True) == render(sample_report(), "markdown")


def test_saved_reports_have_distinct_suffixes():
    suffixes = [spec.suffix for spec in FORMATS.values()]
    assert len(set(suffixes)) == len(suffixes)


def test_a_new_table_entry_is_a_command_line_choice(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(formats.FORMATS, "plain-json", Format("plain-json", "json_report:render_json", ".pj"))
    args = build_parser().parse_args(["grade", str(tmp_path), "-a", "a1", "--format", "plain-json"])
    assert args.format == "plain-json"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["grade", str(tmp_path), "-a", "a1", "--format", "yaml"])
    assert "invalid choice: 'yaml'" in capsys.readouterr().err
