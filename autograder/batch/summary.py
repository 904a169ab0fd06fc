"""What a finished batch reports: grades.csv, summary.json and a printed table.

All three are computed from the per-submission records (store.record), so a
resumed batch summarises the submissions of earlier runs too.
"""

from __future__ import annotations

import csv
import io
import statistics

from autograder.report.model import Status


def grades_csv(records: list[dict], checks: list[str]) -> str:
    """One row per student: student, score, max, then each check's points in rubric order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "score", "max", *checks])
    for data in sorted(records, key=lambda d: d["student"]):
        points = {r["name"]: r["score"] for r in data["results"]}
        writer.writerow([data["student"], _number(data["score"]), _number(data["max_score"]),
                         *(_number(points.get(name, 0.0)) for name in checks)])
    return out.getvalue()


def _number(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".")


def summarise(records: list[dict], checks: list[str], *, assignment: str, max_score: float,
              seed: int, graded: int, resumed: int, seconds: float) -> dict:
    """summary.json: counts, score statistics and each check's pass rate.

    graded/resumed: submissions graded by this run / kept from an earlier one;
    not_graded: students whose submission could not be read or graded at all.
    """
    scores = [d["score"] for d in records]
    passed = {name: 0 for name in checks}
    for data in records:
        for result in data["results"]:
            if result["status"] == Status.PASSED and result["name"] in passed:
                passed[result["name"]] += 1
    count = len(records)
    return {
        "assignment": assignment, "seed": seed, "count": count,
        "graded_now": graded, "resumed": resumed, "seconds": round(seconds, 2),
        "max_score": max_score,
        "mean": round(statistics.fmean(scores), 4) if scores else None,
        "median": round(statistics.median(scores), 4) if scores else None,
        "pass_rates": {name: round(passed[name] / count, 4) if count else None for name in checks},
        "not_graded": sorted(d["student"] for d in records if d.get("error")),
    }


def render_summary(summary: dict) -> str:
    """The summary as a plain-text table for the terminal."""
    lines = [f"{summary['assignment']}: {summary['count']} submissions "
             f"({summary['graded_now']} graded now, {summary['resumed']} kept from an earlier run) "
             f"in {summary['seconds']:.1f} s, seed {summary['seed']}"]
    if summary["count"]:
        lines.append(f"score: mean {summary['mean']:g}, median {summary['median']:g} "
                     f"of {summary['max_score']:g}")
    width = max((len(name) for name in summary["pass_rates"]), default=5)
    lines.append("")
    lines.append(f"{'check':<{width}}  passed")
    for name, rate in summary["pass_rates"].items():
        lines.append(f"{name:<{width}}  {'-' if rate is None else f'{100 * rate:5.1f}%'}")
    if summary["not_graded"]:
        lines.append("")
        lines.append("could not be graded: " + ", ".join(summary["not_graded"]))
    return "\n".join(lines) + "\n"
