"""JUnit XML: one <testcase> per check, so that GitLab and Jenkins show each
check's result in their test views.

    <testsuites name="autograder" tests failures errors skipped time>
      <testsuite name=ASSIGNMENT tests failures errors skipped time>
        <properties> score, max_score, seed, submission, mode </properties>
        <testcase classname=ASSIGNMENT name=CHECK>
          nothing                                  passed
          <failure type="failed" message=...>      failed, or partial credit
          <error type="error"|"timeout" message=>  crashed or ran out of time
          <skipped message=...>                    not run (e.g. instructor-only)
          <system-out>points</system-out>
        </testcase>
        <system-out>notes</system-out>
      </testsuite>
    </testsuites>

The failure's text is the check's message after a line with its points.
Per-check times are not measured, so testcases carry no time attribute.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from autograder.report.model import CheckResult, GradeReport, Status

# characters XML 1.0 does not allow, even escaped
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(value: object) -> str:
    return _NOT_XML.sub("", str(value))


def _first_line(message: str, limit: int = 200) -> str:
    line = message.strip().splitlines()[0] if message.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _points(score: float, max_score: float) -> str:
    return f"{score:g} / {max_score:g} points"


def _testcase(report: GradeReport, result: CheckResult) -> ET.Element:
    case = ET.Element("testcase", classname=_clean(report.assignment), name=_clean(result.name))
    message = _clean(result.message)
    explained = _points(result.score, result.max_score) + "\n" + message
    if result.status == Status.SKIPPED:
        ET.SubElement(case, "skipped", message=_first_line(message))
    elif result.status in (Status.ERROR, Status.TIMEOUT):
        ET.SubElement(case, "error", type=result.status, message=_first_line(message)).text = explained
    elif result.status != Status.PASSED:
        kind = "partial credit" if result.score > 0 else "failed"
        ET.SubElement(case, "failure", type=kind, message=_first_line(message)).text = explained
    ET.SubElement(case, "system-out").text = _points(result.score, result.max_score)
    return case


def junit_tree(report: GradeReport) -> ET.Element:
    """The <testsuites> element for one report."""
    counts = {"tests": len(report.results),
              "failures": sum(r.status == Status.FAILED for r in report.results),
              "errors": sum(r.status in (Status.ERROR, Status.TIMEOUT) for r in report.results),
              "skipped": sum(r.status == Status.SKIPPED for r in report.results)}
    attributes = {key: str(value) for key, value in counts.items()}
    attributes["time"] = f"{report.seconds:.3f}"
    suites = ET.Element("testsuites", {"name": "autograder", **attributes})
    suite = ET.SubElement(suites, "testsuite", {"name": _clean(report.assignment), **attributes})
    properties = ET.SubElement(suite, "properties")
    for name, value in (("score", f"{report.score:g}"), ("max_score", f"{report.max_score:g}"),
                        ("seed", report.seed), ("submission", report.submission),
                        ("mode", report.mode)):
        ET.SubElement(properties, "property", name=name, value=_clean(value))
    for result in report.results:
        suite.append(_testcase(report, result))
    summary = [f"{report.assignment}: {_points(report.score, report.max_score)}"]
    summary.extend(_clean(note) for note in report.notes)
    ET.SubElement(suite, "system-out").text = "\n".join(summary)
    return suites


def render_junit(report: GradeReport) -> str:
    """The report as a JUnit XML document (a string with its XML declaration)."""
    tree = junit_tree(report)
    ET.indent(tree)
    return ET.tostring(tree, encoding="unicode", xml_declaration=True) + "\n"
