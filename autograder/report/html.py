"""One self-contained HTML page per submission: the score, then every check
with its message and, where they help, pictures (error heatmaps of wrong
arrays, training curves, a confusion matrix with per-class accuracy).

Images are embedded as data URIs and the style sheet is inline, so the file
can be mailed or uploaded alone; the layout is a single column that fits a
phone. No scripts.
"""

from __future__ import annotations

import html
import re

from autograder.report import plots
from autograder.report.model import GradeReport, Status

MAX_HEATMAPS = 2          # heatmaps per check (the first wrong arrays)
MAX_OUTPUT_CHARS = 20000  # of the submission's printed output

STYLE = """
:root { --passed: #1b7f3b; --failed: #b3261e; --error: #8e24aa; --timeout: #b26a00;
        --skipped: #6b6b6b; --line: #d9d9d9; --soft: #f5f6f8; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: #1f1f1f; background: #fff; }
main { max-width: 52rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; overflow-wrap: anywhere; }
h2 { font-size: 1.05rem; margin: 0; overflow-wrap: anywhere; }
.meta { color: #555; font-size: .85rem; margin: 0 0 1rem; overflow-wrap: anywhere; }
.summary { background: var(--soft); border-radius: .75rem; padding: 1rem; margin-bottom: 1rem; }
.total { font-size: 2rem; font-weight: 700; margin: 0; }
.total small { font-size: 1rem; font-weight: 400; color: #555; }
.bar { height: .6rem; background: var(--line); border-radius: .3rem; overflow: hidden; margin: .5rem 0; }
.bar span { display: block; height: 100%; background: var(--passed); }
.counts { display: flex; flex-wrap: wrap; gap: .4rem; padding: 0; margin: .5rem 0 0; list-style: none; }
.badge { display: inline-block; border-radius: 1rem; padding: 0 .55rem; font-size: .8rem;
         font-weight: 600; color: #fff; white-space: nowrap; }
.passed { background: var(--passed); } .failed { background: var(--failed); }
.error { background: var(--error); } .timeout { background: var(--timeout); }
.skipped { background: var(--skipped); }
.todo { margin: .75rem 0 0; padding-left: 1.2rem; }
.notes { font-size: .9rem; color: #444; }
.check { border: 1px solid var(--line); border-left-width: .4rem; border-radius: .5rem;
         padding: .75rem; margin: 0 0 .75rem; }
.check.status-passed { border-left-color: var(--passed); }
.check.status-failed { border-left-color: var(--failed); }
.check.status-error { border-left-color: var(--error); }
.check.status-timeout { border-left-color: var(--timeout); }
.check.status-skipped { border-left-color: var(--skipped); }
.head { display: flex; flex-wrap: wrap; align-items: baseline; gap: .4rem .6rem; }
.points { margin-left: auto; font-variant-numeric: tabular-nums; color: #444; white-space: nowrap; }
.message { margin: .5rem 0 0; overflow-wrap: anywhere; }
figure { margin: .75rem 0 0; }
img { display: block; max-width: 100%; height: auto; }
figcaption { font-size: .8rem; color: #555; }
pre { background: var(--soft); padding: .75rem; border-radius: .5rem; overflow-x: auto;
      font-size: .8rem; white-space: pre-wrap; overflow-wrap: anywhere; }
a { color: #0b57d0; }
"""

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text(value: object) -> str:
    """``value`` as HTML-escaped text, without control characters."""
    return html.escape(_CONTROL.sub("", str(value)))


_NUMBER = (int, float)
_REPORT_FIELDS: dict[str, type | tuple[type, ...]] = {"score": _NUMBER, "max_score": _NUMBER}
_RESULT_FIELDS: dict[str, type | tuple[type, ...]] = {"name": str, "score": _NUMBER, "max_score": _NUMBER,
                                                      "status": str}


def report_dict(report: GradeReport | dict) -> dict:
    """The report as plain data (GradeReport.to_dict() layout), also for a dict
    read back from a JSON report. The printed output is kept when there is one."""
    if isinstance(report, GradeReport):
        return dict(report.to_dict(), output=report.output)
    if not isinstance(report, dict) or not isinstance(report.get("results"), list):
        raise ValueError("a report must be a GradeReport or a dict with a 'results' list "
                         "(GradeReport.to_dict())")
    for key, kind in _REPORT_FIELDS.items():
        if not isinstance(report.get(key), kind):
            raise ValueError(f"report of {report.get('submission', '?')}: {key!r} is missing or not "
                             f"{kind.__name__ if isinstance(kind, type) else 'a number'}")
    for i, result in enumerate(report["results"]):
        missing = [key for key, kind in _RESULT_FIELDS.items()
                   if not isinstance(result, dict) or not isinstance(result.get(key), kind)]
        if missing:
            raise ValueError(f"report of {report.get('submission', '?')}: result {i} lacks a valid "
                             + ", ".join(repr(key) for key in missing))
    return report


def anchors(names: list[str]) -> list[str]:
    """A stable, unique id per check section: check-linear-backward, ..."""
    found: list[str] = []
    for name in names:
        slug = "check-" + (re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower() or "unnamed")
        found.append(slug if slug not in found else f"{slug}-{len(found)}")
    return found


def page(title: str, body: str, style: str = "") -> str:
    """A complete document around ``body``; ``style`` adds CSS rules."""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{text(title)}</title>\n<style>{STYLE}{style}</style>\n</head>\n"
            f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n")


def points(value: float) -> str:
    """'1 point', '2.5 points'."""
    return f"{value:g} point" + ("" if value == 1 else "s")


def figure(uri: str, caption: str) -> str:
    return (f"<figure><img src=\"{uri}\" alt=\"{text(caption)}\" loading=\"eager\">"
            f"<figcaption>{text(caption)}</figcaption></figure>")


def _pictures(details: dict) -> list[str]:
    """The figures a check's details call for (see CheckResult.details)."""
    shown = []
    for item in (details.get("heatmaps") or [])[:MAX_HEATMAPS]:
        shown.append(figure(plots.gradient_heatmap(item["label"], item["student"], item["reference"]),
                            f"{item['label']}: your values, the reference's, and where they differ"
                            + (f" (first rows and columns of shape {tuple(item['shape'])})"
                               if "shape" in item else "")))
    history = details.get("history") or {}
    if any(history.values()):
        shown.append(figure(plots.training_curves(history), "training curves, per epoch"))
    if details.get("confusion"):
        shown.append(figure(plots.confusion_and_per_class(details["confusion"]),
                            "confusion matrix (rows: true class) and accuracy per class"))
    elif details.get("per_class"):
        shown.append(figure(plots.per_class_accuracy(details["per_class"]), "accuracy per class"))
    return shown


def _check(result: dict, anchor: str) -> str:
    status = result.get("status", Status.ERROR)
    message = result.get("message") or ""
    parts = [f"<article class=\"check status-{text(status)}\" id=\"{anchor}\">",
             "<div class=\"head\">"
             f"<span class=\"badge {text(status)}\">{text(status)}</span>"
             f"<h2>{text(result['name'])}</h2>"
             f"<span class=\"points\">{result['score']:.2f} / {result['max_score']:.2f}</span></div>"]
    if message:
        parts.append(f"<p class=\"message\">{text(message)}</p>")
    parts.extend(_pictures(result.get("details") or {}))
    parts.append("</article>")
    return "\n".join(parts)


def _summary(data: dict, ids: list[str]) -> str:
    results = data["results"]
    score, maximum = data["score"], data["max_score"]
    percent = 100.0 * score / maximum if maximum else 0.0
    counts: dict[str, int] = {}
    for result in results:
        counts[result["status"]] = counts.get(result["status"], 0) + 1
    badges = "".join(f"<li><span class=\"badge {text(s)}\">{n} {text(s)}</span></li>"
                     for s, n in counts.items())
    todo = [(r, i) for r, i in zip(results, ids) if r["score"] < r["max_score"]]
    fix = ""
    if todo:
        items = "".join(f"<li><a href=\"#{i}\">{text(r['name'])}</a> "
                        f"({points(r['max_score'] - r['score'])})</li>" for r, i in todo)
        fix = f"<p><strong>To fix</strong></p><ol class=\"todo\">{items}</ol>"
    return ("<section class=\"summary\" aria-label=\"score\">"
            f"<p class=\"total\">{score:g} / {maximum:g} <small>points ({percent:.1f}%)</small></p>"
            f"<div class=\"bar\" role=\"img\" aria-label=\"{percent:.0f}% of the points\">"
            f"<span style=\"width:{min(100.0, max(0.0, percent)):.1f}%\"></span></div>"
            f"<ul class=\"counts\">{badges}</ul>{fix}</section>")


def render_html(report: GradeReport | dict) -> str:
    """The report as one self-contained HTML document (a string)."""
    data = report_dict(report)
    meta = (f"{text(data.get('submission', ''))} · {text(data.get('mode', 'grade'))} · "
            f"seed {text(data.get('seed', ''))} · {float(data.get('seconds', 0.0)):.2f} s")
    ids = anchors([result["name"] for result in data["results"]])
    body = [f"<h1>{text(data.get('assignment', 'report'))}</h1>", f"<p class=\"meta\">{meta}</p>",
            _summary(data, ids)]
    notes = data.get("notes") or []
    if notes:
        body.append("<ul class=\"notes\">" + "".join(f"<li>{text(n)}</li>" for n in notes) + "</ul>")
    body.append("<section aria-label=\"checks\">")
    body.extend(_check(result, anchor) for result, anchor in zip(data["results"], ids))
    body.append("</section>")
    output = data.get("output") or ""
    if output:
        shown = output[:MAX_OUTPUT_CHARS] + ("\n[... cut]" if len(output) > MAX_OUTPUT_CHARS else "")
        body.append(f"<details><summary>What your code printed</summary><pre>{text(shown)}</pre></details>")
    title = f"{data.get('assignment', 'report')}: {data['score']:g} / {data['max_score']:g}"
    return page(title, "\n".join(body))
