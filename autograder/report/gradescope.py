"""Gradescope's results.json: top-level score and one test entry per check."""

from __future__ import annotations

import json

from autograder.report.model import GradeReport, Status


def gradescope_document(report: GradeReport) -> dict:
    """The results as Gradescope's autograder specification expects them."""
    tests = []
    for result in report.results:
        output = result.message or ("passed" if result.status == Status.PASSED else "")
        if result.status in (Status.ERROR, Status.TIMEOUT):
            output = f"[{result.status}] {output}"
        tests.append({"name": result.name, "score": round(result.score, 4),
                      "max_score": round(result.max_score, 4), "output": output,
                      "status": "passed" if result.status == Status.PASSED else "failed",
                      "visibility": "visible" if result.visible else "after_published"})
    return {"score": report.score, "execution_time": round(report.seconds, 3),
            "output": f"{report.assignment}: {report.score:g} / {report.max_score:g} "
                      f"(seed {report.seed})" + "".join(f"\n{n}" for n in report.notes),
            "visibility": "visible", "tests": tests}


def render_gradescope(report: GradeReport) -> str:
    return json.dumps(gradescope_document(report), indent=2) + "\n"
