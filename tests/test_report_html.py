"""--format html and the batch dashboard: self-contained pages that render in a
real browser (headless Chromium over the DevTools protocol) at phone width,
with no console errors, every picture decoded, and nothing wider than the
screen."""

from __future__ import annotations

import base64
import io
import json
import shutil
import subprocess
import sys
import time
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from autograder.examples import bugs, materialize, materialize_reference
from autograder.grading import grade
from autograder.report import plots
from autograder.report.dashboard import message_pattern, render_dashboard
from autograder.report.html import render_html
from autograder.report.model import CheckResult, GradeReport, Status
from autograder.rubrics import load_rubric

PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}
FAILED_RED, PASSED_GREEN = (0xB3, 0x26, 0x1E), (0x1B, 0x7F, 0x3B)  # the badges' colours (html.STYLE)


# -- reading pages -------------------------------------------------------------------------
class Elements(HTMLParser):
    """Every start tag as (tag, attributes, id of the enclosing <article>), and the text."""

    def __init__(self, page: str):
        super().__init__()
        self.tags: list[tuple[str, dict, str | None]] = []
        self.text: list[str] = []
        self._article: str | None = None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "article":
            self._article = attributes.get("id")
        self.tags.append((tag, attributes, self._article))

    def handle_endtag(self, tag):
        if tag == "article":
            self._article = None

    def handle_data(self, data):
        self.text.append(data)

    def images(self, article: str | None = None) -> list[Image.Image]:
        found = []
        for tag, attributes, inside in self.tags:
            if tag == "img" and (article is None or inside == article):
                prefix, _, payload = attributes["src"].partition(",")
                assert prefix == "data:image/png;base64", prefix
                image = Image.open(io.BytesIO(base64.b64decode(payload)))
                image.load()
                found.append(image)
        return found


def assert_self_contained(page: str) -> Elements:
    """No scripts, style sheets or images from elsewhere; links only inside the page
    or relative; every image an embedded PNG that decodes."""
    elements = Elements(page)
    names = {tag for tag, _, _ in elements.tags}
    assert not names & {"script", "link", "iframe", "object", "embed"}, names
    for tag, attributes, _ in elements.tags:
        for key in ("src", "href"):
            value = attributes.get(key, "")
            assert "://" not in value and not value.startswith("//"), (tag, value[:80])
    assert ("meta", {"name": "viewport", "content": "width=device-width, initial-scale=1"}, None) \
        in elements.tags
    for image in elements.images():
        assert image.format == "PNG" and image.width > 100 and image.height > 50
    return elements


# -- graded reports (once per module) ---------------------------------------------------------
@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """A buggy a1 submission (a wrong relu_backward: heatmaps, accuracy pictures) and the reference."""
    root = tmp_path_factory.mktemp("html")
    rubric = load_rubric("a1_backprop")
    bug = next(b for b in bugs("a1_backprop") if b.name == "relu_mask_from_dout")
    buggy = grade(rubric, materialize("a1_backprop", bug, root / "ada"), seed=11)
    reference = grade(rubric, materialize_reference("a1_backprop", root / "grace"), seed=11)
    return buggy, reference


@pytest.fixture(scope="module")
def buggy_page(reports):
    return render_html(reports[0])


def test_the_page_is_self_contained_and_shows_every_check(reports, buggy_page):
    report = reports[0]
    elements = assert_self_contained(buggy_page)
    text = " ".join(elements.text)
    assert f"{report.score:g} / {report.max_score:g}" in text
    for result in report.results:
        assert result.name in text
        if result.message:
            assert result.message in text
    ids = {attributes.get("id") for _, attributes, _ in elements.tags}
    for tag, attributes, _ in elements.tags:
        if tag == "a":
            assert attributes["href"].startswith("#") and attributes["href"][1:] in ids
    lost = [r.name for r in report.results if r.score < r.max_score]
    assert "relu_backward" in lost and "digits accuracy" in lost


def test_pictures_where_they_help(buggy_page):
    elements = Elements(buggy_page)
    assert len(elements.images("check-relu-backward")) == 1        # the gradient's error heatmap
    assert len(elements.images("check-digits-accuracy")) == 2      # curves, confusion + per class
    assert elements.images("check-linear-forward") == []           # nothing to show for a pass


def test_per_class_accuracy_is_drawn_without_a_confusion_matrix():
    result = CheckResult("test accuracy", 1.0, 2.0, Status.FAILED, "top-1 0.41",
                         {"per_class": {"apple": 0.9, "bear": 0.1, "cloud": 0.4}})
    elements = Elements(render_html(GradeReport("a6_cifar100", "s", [result], seed=1)))
    assert len(elements.images("check-test-accuracy")) == 1


def test_messages_are_escaped_and_dict_reports_render_the_same(reports, buggy_page):
    hostile = GradeReport("a1_backprop", "<b>x</b>", [
        CheckResult("<script>alert(1)</script>", 0.0, 1.0, Status.FAILED, 'a < b & "c"\x00')], seed=1)
    page = render_html(hostile)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "a &lt; b &amp; &quot;c&quot;" in page
    assert render_html(json.loads(json.dumps(reports[0].to_dict()))) == buggy_page


def test_every_check_gets_its_own_anchor():
    results = [CheckResult(name, 0.0, 1.0, Status.FAILED, "x") for name in ("a b", "a-b", "A B!")]
    elements = Elements(render_html(GradeReport("a9", "s", results, seed=1)))
    ids = [a["id"] for tag, a, _ in elements.tags if tag == "article"]
    assert len(set(ids)) == 3
    assert [a["href"][1:] for tag, a, _ in elements.tags if tag == "a"] == ids


def test_cli_writes_the_html_report(tmp_path):
    submission = materialize_reference("a1_backprop", tmp_path / "submission")
    out = tmp_path / "report.html"
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(submission), "-a", "a1",
                           "--seed", "2", "--format", "html", "--output", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert_self_contained(out.read_text(encoding="utf-8"))


@pytest.mark.parametrize("draw", [
    lambda: plots.gradient_heatmap("all NaN", [[None, None], [None, None]], [[1.0, -2.0], [0.0, 3.0]]),
    lambda: plots.gradient_heatmap("one row", [[1.0, 2.0, 3.0]], [[1.0, 2.0, 4.0]]),
    lambda: plots.gradient_heatmap("zeros", [[0.0, 0.0]], [[0.0, 0.0]]),
    lambda: plots.confusion_and_per_class(np.eye(30, dtype=int).tolist()),
    lambda: plots.confusion_and_per_class([[0, 0], [0, 5]]),
    lambda: plots.training_curves({"loss": [2.0, 1.0], "val_acc": []}),
    lambda: plots.training_curves({"train_loss": [1.0] * 40, "val_accuracy": [0.5] * 40}),
    lambda: plots.score_histogram([0.0, 100.0, 55.5]),
    lambda: plots.per_class_accuracy({f"class {i}": i / 100 for i in range(100)}),
    lambda: plots.per_class_accuracy({"cat": 0.5, "dog": 0.75}),
])
def test_pictures_draw_for_edge_cases(draw):
    prefix, _, payload = draw().partition(",")
    image = Image.open(io.BytesIO(base64.b64decode(payload)))
    assert prefix == "data:image/png;base64" and image.format == "PNG" and image.width >= 300


# -- the dashboard --------------------------------------------------------------------------------
def synthetic(student: str, outcomes: dict[str, tuple[float, str]]) -> dict:
    """A report dict: {check: (fraction of 2 points, message)}."""
    results = [{"name": name, "score": 2.0 * fraction, "max_score": 2.0,
                "status": Status.PASSED if fraction == 1 else Status.FAILED, "message": message,
                "details": {}, "visible": True} for name, (fraction, message) in outcomes.items()]
    return {"assignment": "a9", "submission": f"/in/{student}", "student": student, "seed": 1,
            "score": sum(r["score"] for r in results), "max_score": 2.0 * len(results),
            "results": results}


def test_dashboard_ranks_checks_and_groups_messages():
    entries = [
        synthetic("s1", {"easy": (1, ""), "hard": (0, "dx is off by a factor of 2 (error 0.31)")}),
        synthetic("s2", {"easy": (1, ""), "hard": (0, "dx is off by a factor of 2 (error 0.52)")}),
        synthetic("s3", {"easy": (0.5, "late"), "hard": (1, "")}),
    ]
    page = render_dashboard(entries, ["r/s1.html", None, "r/s3.html"])
    elements = assert_self_contained(page)
    rows = [" ".join(t.split()) for t in elements.text if t.strip()]
    assert rows.index("hard") < rows.index("easy")          # the most failed check first
    assert "1 / 3" in rows and "2 / 3" in rows               # passed counts
    assert message_pattern("dx is off by a factor of 2 (error 0.52)") == "dx is off by a factor of # (error #)"
    assert "2 ×" in rows and "dx is off by a factor of # (error #)" in " ".join(rows)
    hrefs = [a.get("href") for tag, a, _ in elements.tags if tag == "a"]
    assert hrefs == ["r/s1.html", "r/s3.html"]
    assert len(elements.images()) == 1                       # the score histogram


def test_dashboard_rejects_bad_input_with_one_sentence():
    entry = synthetic("s1", {"a": (1, "")})
    with pytest.raises(ValueError, match="one link"):
        render_dashboard([entry], ["a.html", "b.html"])
    broken = dict(entry, results=[{"name": "a", "status": "passed"}])
    with pytest.raises(ValueError, match="result 0 lacks a valid 'score', 'max_score'"):
        render_dashboard([broken])
    with pytest.raises(ValueError, match="GradeReport or a dict"):
        render_dashboard(["not a report"])


# -- in a real browser ---------------------------------------------------------------------------
class Chromium:
    """Headless Chromium driven over the DevTools protocol (a websocket on 127.0.0.1)."""

    FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0"]

    def __init__(self, binary: str, profile: Path):
        self.log = open(profile.parent / "chromium.log", "w")
        self.process = subprocess.Popen([binary, *self.FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                        stdout=subprocess.DEVNULL, stderr=self.log)
        port_file, deadline = profile / "DevToolsActivePort", time.monotonic() + 60
        while not (port_file.is_file() and port_file.read_text().strip()):
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.close()
                raise RuntimeError(f"chromium did not start; see {self.log.name}")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as reply:
            page = next(t for t in json.load(reply) if t["type"] == "page")
        import websocket

        self.socket = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60,
                                                  suppress_origin=True)
        self.next_id, self.events = 0, []
        for domain in ("Runtime", "Log", "Page"):
            self.call(f"{domain}.enable")
        self.call("Emulation.setDeviceMetricsOverride", **PHONE)

    def call(self, method: str, **params) -> dict:
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, event: str) -> None:
        while not any(e.get("method") == event for e in self.events):
            self.events.append(json.loads(self.socket.recv()))

    def visit(self, path: Path) -> tuple[list[str], dict, Image.Image]:
        """Open a file; (console errors, layout facts, screenshot)."""
        self.events = []
        self.call("Page.navigate", url=path.resolve().as_uri())
        self.wait_for("Page.loadEventFired")
        facts = self.call("Runtime.evaluate", returnByValue=True, expression="""JSON.stringify({
            scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
            images: document.images.length,
            broken: Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).length,
            widest: Math.max(0, ...Array.from(document.images).map(i => i.getBoundingClientRect().right)),
            fontSize: parseFloat(getComputedStyle(document.body).fontSize)})""")
        shot = self.call("Page.captureScreenshot", format="png")
        errors = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                errors.append(" ".join(str(a.get("value", a.get("description"))) for a in params["args"]))
            elif method == "Runtime.exceptionThrown":
                errors.append(params["exceptionDetails"].get("text", "exception"))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                errors.append(params["entry"]["text"])
        image = Image.open(io.BytesIO(base64.b64decode(shot["data"])))
        return errors, json.loads(facts["result"]["value"]), image.convert("RGB")

    def close(self) -> None:
        if getattr(self, "socket", None):
            self.socket.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        pytest.skip("headless Chromium is not installed (CI: apt-get install -y chromium)")
    pytest.importorskip("websocket", reason="websocket-client is needed to drive Chromium")
    chromium = Chromium(binary, tmp_path_factory.mktemp("chromium") / "profile")
    yield chromium
    chromium.close()


def has_colour(image: Image.Image, rgb: tuple[int, int, int]) -> bool:
    """Whether some pixel has this colour (within 3 per channel)."""
    colours = image.getcolors(image.width * image.height)
    return any(all(abs(a - b) <= 3 for a, b in zip(pixel, rgb)) for _, pixel in colours)


def test_the_browser_harness_sees_console_errors(browser, tmp_path):
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><p>x</p><img src='missing.png'><script>console.error('boom')</script>")
    errors, facts, _ = browser.visit(page)
    assert any("boom" in e for e in errors) and facts["broken"] == 1


def test_report_renders_on_a_phone_without_console_errors(browser, buggy_page, tmp_path):
    path = tmp_path / "report.html"
    path.write_text(buggy_page, encoding="utf-8")
    errors, facts, screenshot = browser.visit(path)
    assert errors == []
    assert facts["scrollWidth"] <= facts["innerWidth"] == PHONE["width"]   # no sideways scrolling
    assert facts["images"] >= 5 and facts["broken"] == 0 and facts["widest"] <= PHONE["width"]
    assert facts["fontSize"] >= 14
    assert screenshot.size == (PHONE["width"] * 2, PHONE["height"] * 2)
    assert has_colour(screenshot, FAILED_RED) and has_colour(screenshot, PASSED_GREEN)
    screenshot.save(tmp_path / "report.png")


def test_dashboard_renders_on_a_phone_without_console_errors(browser, reports, tmp_path):
    buggy, reference = reports
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "ada.html").write_text(render_html(buggy), encoding="utf-8")
    page = render_dashboard([buggy, json.loads(json.dumps(reference.to_dict()))],
                            ["results/ada.html", None])
    path = tmp_path / "dashboard.html"
    path.write_text(page, encoding="utf-8")
    errors, facts, screenshot = browser.visit(path)
    assert errors == []
    assert facts["scrollWidth"] <= facts["innerWidth"] and facts["broken"] == 0 and facts["images"] == 1
    assert has_colour(screenshot, PASSED_GREEN)
