"""--format junit: JUnit XML that CI tools read as one test case per check.
junitparser (an independent reader of the format) is the oracle."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from autograder.examples import bugs, materialize
from autograder.report.junit import render_junit
from autograder.report.model import CheckResult, GradeReport, Status

junitparser = pytest.importorskip("junitparser")


def sample_report() -> GradeReport:
    results = [
        CheckResult("passes", 2.0, 2.0, Status.PASSED),
        CheckResult("partial <credit> & more", 1.5, 3.0, Status.FAILED,
                     "dW is the transpose of the right answer\nsecond line"),
        CheckResult("fails", 0.0, 1.0, Status.FAILED, "dx has the wrong sign \x00\x1b[31m"),
        CheckResult("crashes", 0.0, 1.0, Status.ERROR, "relu_forward: ZeroDivisionError (layers.py:3)"),
        CheckResult("loops", 0.0, 1.0, Status.TIMEOUT, "train_sgd did not return within 10 s"),
        CheckResult("instructor only", 0.0, 1.0, Status.SKIPPED, "only the instructor's grader runs this check"),
    ]
    return GradeReport("a1_backprop", "students/ada", results, seed=7, seconds=1.25,
                       notes=["layers.py: imported with a warning — ünïcode"])


def parse(text: str):
    """The document as junitparser reads it (from a string, as CI reads a file)."""
    return junitparser.JUnitXml.fromstring(text.encode("utf-8"))


def cases_by_name(document) -> dict:
    return {case.name: case for suite in document for case in suite}


def test_each_check_is_a_testcase_with_the_right_outcome():
    document = parse(render_junit(sample_report()))
    [suite] = list(document)
    assert suite.name == "a1_backprop"
    assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (6, 2, 2, 1)
    cases = cases_by_name(document)
    assert set(cases) == {"passes", "partial <credit> & more", "fails", "crashes", "loops", "instructor only"}
    assert cases["passes"].is_passed
    kinds = {name: [type(r).__name__ for r in case.result] for name, case in cases.items()}
    assert kinds == {"passes": [], "partial <credit> & more": ["Failure"], "fails": ["Failure"],
                     "crashes": ["Error"], "loops": ["Error"], "instructor only": ["Skipped"]}
    assert all(case.classname == "a1_backprop" for case in cases.values())


def test_messages_points_and_score_travel_with_the_cases():
    document = parse(render_junit(sample_report()))
    cases = cases_by_name(document)
    [partial] = cases["partial <credit> & more"].result
    assert partial.type == "partial credit"
    assert partial.message == "dW is the transpose of the right answer"
    assert partial.text.startswith("1.5 / 3 points\n") and "second line" in partial.text
    [timeout] = cases["loops"].result
    assert timeout.type == "timeout" and "did not return" in timeout.message
    [suite] = list(document)
    properties = {p.name: p.value for p in suite.properties()}
    assert properties["score"] == "3.5" and properties["max_score"] == "9" and properties["seed"] == "7"
    assert "ünïcode" in ET.fromstring(render_junit(sample_report())).find("testsuite/system-out").text
    assert cases["fails"].system_out == "0 / 1 points"


def test_control_characters_never_break_the_xml():
    text = render_junit(sample_report())
    ET.fromstring(text.encode("utf-8"))  # a strict parser accepts it
    [fails] = cases_by_name(parse(text))["fails"].result
    assert fails.message == "dx has the wrong sign [31m"


def test_cli_writes_junit_for_a_buggy_submission(tmp_path):
    bug = next(b for b in bugs("a1_backprop") if b.name == "dw_transposed")
    submission = materialize("a1_backprop", bug, tmp_path / "submission")
    out = tmp_path / "report.xml"
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(submission), "-a", "a1",
                           "--seed", "3", "--format", "junit", "--output", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    cases = cases_by_name(junitparser.JUnitXml.fromfile(str(out)))
    [failure] = cases["linear_backward"].result
    assert "transpose" in failure.message
    assert cases["linear_forward"].is_passed
