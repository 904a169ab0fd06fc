"""End-to-end behaviour of a grading run: determinism, seeds, public mode, CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from autograder.examples import bugs, materialize, materialize_reference, materialize_skeleton
from autograder.grading import grade
from autograder.report.model import Status
from autograder.rubrics import load_rubric

RUBRIC = load_rubric("a1")


def scores(report):
    return [(r.name, r.score, r.status) for r in report.results]


def test_grading_twice_gives_identical_scores(tmp_path):
    submission = materialize("a1_backprop", bugs("a1")[0], tmp_path)
    assert scores(grade(RUBRIC, submission, seed=3)) == scores(grade(RUBRIC, submission, seed=3))


def test_reference_gets_full_marks_whatever_the_seed(tmp_path):
    submission = materialize_reference("a1_backprop", tmp_path)
    for seed in (0, 1, 2**31 - 1):
        assert grade(RUBRIC, submission, seed=seed).fraction == 1.0
    fresh = grade(RUBRIC, submission)
    assert fresh.fraction == 1.0 and 0 <= fresh.seed < 2**31


def test_hard_coded_outputs_fail_with_a_fresh_seed(tmp_path):
    submission = materialize_reference("a1_backprop", tmp_path)
    recorded = grade(RUBRIC, submission, seed=1, only=["softmax"])
    assert recorded.fraction == 1
    (tmp_path / "layers.py").write_text((tmp_path / "layers.py").read_text() + (
        "\n_FIXED = softmax(np.random.default_rng(0).standard_normal((5, 4)))\n"
        "def softmax(logits):\n    return _FIXED\n"))
    assert grade(RUBRIC, submission, seed=2, only=["softmax"]).fraction == 0


def test_public_mode_runs_without_the_reference(tmp_path, monkeypatch):
    import autograder.grading as grading

    def no_reference(*args, **kwargs):
        raise AssertionError("public mode must not load the reference")

    monkeypatch.setattr(grading, "Reference", no_reference)
    reference = grade(RUBRIC, materialize_reference("a1_backprop", tmp_path / "r"), public=True)
    statuses = {r.name: r.status for r in reference.results}
    assert statuses["MLP_784_10_10_PARAMS"] == Status.SKIPPED
    assert all(s == Status.PASSED for n, s in statuses.items() if not n.isupper())
    skeleton = grade(RUBRIC, materialize_skeleton("a1_backprop", tmp_path / "s"), public=True)
    assert skeleton.score == 0
    buggy = grade(RUBRIC, materialize("a1_backprop", bugs("a1")[0], tmp_path / "b"), public=True)
    assert {r.name for r in buggy.results if r.status == Status.FAILED} >= {"linear_backward"}


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True,
                          text=True, cwd=cwd)


def test_cli_grade_writes_gradescope_json(tmp_path):
    submission = materialize("a1_backprop", bugs("a1")[1], tmp_path / "sub")
    out = tmp_path / "results.json"
    result = run_cli("grade", str(submission), "-a", "a1", "--seed", "4", "--format", "gradescope",
                     "--output", str(out))
    assert result.returncode == 0, result.stderr
    document = json.loads(out.read_text())
    failing = {t["name"] for t in document["tests"] if t["status"] == "failed"}
    assert "linear_backward" in failing
    assert document["score"] == pytest.approx(sum(t["score"] for t in document["tests"]), abs=1e-3)


def test_cli_says_what_is_wrong_in_one_line(tmp_path):
    missing = run_cli("grade", str(tmp_path / "nope"), "-a", "a1")
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
    unknown = run_cli("grade", str(tmp_path), "-a", "a9")
    assert unknown.returncode == 2 and "unknown assignment" in unknown.stderr
    assert len(unknown.stderr.strip().splitlines()) == 1


def test_cli_check_and_list(tmp_path):
    submission = materialize_reference("a1_backprop", tmp_path)
    checked = run_cli("check", "a1", cwd=submission)
    assert checked.returncode == 0 and "only the instructor's grader runs this check" in checked.stdout
    assert "skipped" in checked.stdout
    listing = run_cli("list")
    assert "a1_backprop" in listing.stdout and "[instructor only]" in listing.stdout


def test_demo_grades_three_submissions():
    result = run_cli("demo")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("=== Grading") == 3
    assert "Total: 45.00 / 45.00 (100.0%)" in result.stdout
    assert "Total: 0.00 / 45.00 (0.0%)" in result.stdout


def test_a_file_that_does_not_import_costs_only_its_own_checks(tmp_path):
    submission = materialize_reference("a1_backprop", tmp_path)
    text = (submission / "network.py").read_text()
    (submission / "network.py").write_text(text.replace("def predict(params, X, activation=\"relu\"):",
                                                        "def predict(params, X, activation=\"relu\")"))
    report = grade(RUBRIC, submission, seed=5)
    lost = {r.name: r.message for r in report.results if r.score < r.max_score}
    network_checks = {"init_mlp", "mlp_forward (relu)", "mlp_forward (sigmoid, tanh)", "mlp_loss value",
                      "mlp_loss gradients", "mlp_loss gradients (tanh)", "predict", "train_sgd trajectory",
                      "digits accuracy", "circles accuracy", "inputs are not modified in place"}
    assert set(lost) == network_checks
    assert all("SyntaxError" in m and "network.py:" in m for n, m in lost.items() if n != "inputs are not modified in place")
    assert report.score == report.max_score - sum(r.max_score for r in report.results if r.name in network_checks) \
        + next(r.score for r in report.results if r.name == "inputs are not modified in place")
