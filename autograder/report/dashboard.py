"""The instructor's summary of a batch: one self-contained HTML page with a
score histogram, the pass rate of every check (the checks most students fail
first), the most frequent diagnostic messages, and a link to each student's
report. grade-batch calls ``render_dashboard``.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Sequence
from pathlib import PurePath

from autograder.report import plots
from autograder.report.html import figure, page, report_dict, text
from autograder.report.model import GradeReport, Status

TOP_MESSAGES = 10
# numbers that stand alone (not the digits of a name such as W1): 0.53, 1e-06, (0, 2)
_NUMBER = re.compile(r"(?<![A-Za-z_\d.])[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")

STYLE_EXTRA = """
table { width: 100%; border-collapse: collapse; font-size: .9rem; table-layout: fixed; }
th, td { text-align: left; padding: .35rem .4rem; border-bottom: 1px solid var(--line);
         vertical-align: top; overflow-wrap: break-word; }
th { font-weight: 600; }
td.number, th.number { width: 5.5rem; text-align: right; font-variant-numeric: tabular-nums; }
.rate { display: block; height: .4rem; background: var(--line); border-radius: .2rem; margin-top: .2rem; }
.rate span { display: block; height: 100%; background: var(--passed); border-radius: .2rem; }
section { margin-bottom: 1.5rem; }
.messages { padding-left: 1.2rem; } .messages li { margin-bottom: .5rem; overflow-wrap: anywhere; }
"""


def message_pattern(message: str) -> str:
    """A message with its numbers replaced by '#', so that the same slip made
    by different students (with different errors) counts as one."""
    return _NUMBER.sub("#", message.strip())


def _check_key(assignment: str, name: str, several: bool) -> str:
    return f"{assignment}: {name}" if several else name


def _pass_rates(reports: list[dict], several: bool) -> list[tuple[str, int, int, float]]:
    """(check, passed, graded, mean fraction of its points), the lowest pass rate first."""
    tally: dict[str, list] = {}
    for data in reports:
        for result in data["results"]:
            entry = tally.setdefault(_check_key(data.get("assignment", ""), result["name"], several),
                                     [0, 0, 0.0])
            entry[0] += result["status"] == Status.PASSED
            entry[1] += 1
            entry[2] += result["score"] / result["max_score"] if result["max_score"] else 0.0
    rows = [(name, passed, graded, total / graded) for name, (passed, graded, total) in tally.items()]
    return sorted(rows, key=lambda row: (row[1] / row[2], row[3], row[0]))


def _frequent_messages(reports: list[dict], several: bool) -> list[tuple[int, str, str]]:
    """(count, check, message pattern) for the failed checks' messages, most frequent first."""
    counts: Counter = Counter()
    for data in reports:
        for result in data["results"]:
            if result["status"] != Status.PASSED and (result.get("message") or "").strip():
                key = _check_key(data.get("assignment", ""), result["name"], several)
                counts[(key, message_pattern(result["message"]))] += 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [(count, check, pattern) for (check, pattern), count in ranked[:TOP_MESSAGES]]


def _percent(data: dict) -> float:
    return 100.0 * data["score"] / data["max_score"] if data["max_score"] else 0.0


def _students(reports: list[dict], links: Sequence[str | None]) -> str:
    rows = []
    for data, link in sorted(zip(reports, links),
                             key=lambda pair: str(pair[0].get("student") or pair[0].get("submission", ""))):
        submission = str(data.get("submission", ""))
        name = text(data.get("student") or PurePath(submission).name or submission)
        label = f"<a href=\"{text(link)}\">{name}</a>" if link else name
        if data.get("error"):
            label += f"<br><small>not graded: {text(data['error'])}</small>"
        failed = sum(r["score"] < r["max_score"] for r in data["results"])
        rows.append(f"<tr><td title=\"{text(submission)}\">{label}</td>"
                    f"<td class=\"number\">{data['score']:g} / {data['max_score']:g}</td>"
                    f"<td class=\"number\">{_percent(data):.1f}%</td><td class=\"number\">{failed}</td></tr>")
    return ("<table><thead><tr><th>submission</th><th class=\"number\">score</th>"
            "<th class=\"number\">%</th><th class=\"number\">checks lost</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def _rates_table(rates: list[tuple[str, int, int, float]]) -> str:
    rows = "".join(
        f"<tr><td>{text(name)}<span class=\"rate\" aria-hidden=\"true\">"
        f"<span style=\"width:{100.0 * passed / graded:.1f}%\"></span></span></td>"
        f"<td class=\"number\">{passed} / {graded}<br>{100.0 * passed / graded:.0f}%</td>"
        f"<td class=\"number\">{100.0 * mean:.0f}%</td></tr>"
        for name, passed, graded, mean in rates)
    return ("<table><thead><tr><th>check</th><th class=\"number\">passed</th>"
            "<th class=\"number\">mean points</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def _messages_list(messages: list[tuple[int, str, str]]) -> str:
    if not messages:
        return "<p>No check failed.</p>"
    items = "".join(f"<li><strong>{count} ×</strong> <em>{text(check)}</em>: {text(pattern)}</li>"
                    for count, check, pattern in messages)
    return ("<p class=\"meta\">How many submissions got each message of a failed check; numbers "
            f"are replaced by # so that the same slip counts once.</p><ul class=\"messages\">{items}</ul>")


def render_dashboard(entries: Sequence[GradeReport | dict],
                     links: Sequence[str | None] | None = None) -> str:
    """The batch summary as one self-contained HTML document (a string).

    entries: one per submission, a GradeReport or its to_dict() (e.g. read back
        from a JSON report; the optional keys "student", a display name, and
        "error", why it could not be graded, are shown); ValueError for
        anything else.
    links: links[i] is the href of entries[i]'s own report (relative to where
        the dashboard is written), or None for no link; None: no links at all.
    """
    reports = [report_dict(entry) for entry in entries]
    links = list(links) if links is not None else [None] * len(reports)
    if len(links) != len(reports):
        raise ValueError(f"{len(links)} links for {len(reports)} reports: give one link (or None) per report")
    assignments = sorted({str(data.get("assignment", "")) for data in reports})
    several = len(assignments) > 1
    title = f"{', '.join(assignments) or 'batch'}: {len(reports)} submissions"
    percentages = [_percent(data) for data in reports]
    body = [f"<h1>{text(title)}</h1>"]
    if reports:
        full = sum(p >= 100.0 - 1e-9 for p in percentages)
        body.append(f"<p class=\"meta\">mean {statistics.mean(percentages):.1f}% · median "
                    f"{statistics.median(percentages):.1f}% · {full} of {len(reports)} with full marks</p>")
        body.append("<section><h2>Scores</h2>"
                    + figure(plots.score_histogram(percentages), "number of submissions per score range")
                    + "</section>")
        body.append("<section><h2>Pass rate per check</h2><p class=\"meta\">The checks most students "
                    "fail come first.</p>" + _rates_table(_pass_rates(reports, several)) + "</section>")
        body.append("<section><h2>Most frequent messages</h2>"
                    + _messages_list(_frequent_messages(reports, several)) + "</section>")
    body.append("<section><h2>Students</h2>" + (_students(reports, links) if reports
                                                 else "<p>No submissions.</p>") + "</section>")
    return page(title, "\n".join(body), STYLE_EXTRA)
