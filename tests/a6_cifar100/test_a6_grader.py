"""a6_cifar100 grading: the reference checkpoint gets the accuracy an independent
evaluation gives, bad checkpoints are refused without running anything from
them, the skeleton scores 0, and every bundled bug loses points where it should."""

from __future__ import annotations

import builtins
import io
import pickle
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from autograder.checks.base import Context
from autograder.checks.trained_model import accuracy_report
from autograder.data import manifest
from autograder.examples import a6_cifar100 as examples
from autograder.examples import materialize_reference
from autograder.grading import grade
from autograder.reference import SOLUTIONS, Reference
from autograder.report.model import Status
from autograder.rubrics import load_rubric
from autograder.sandbox.tasks import torch_a6

RUBRIC = load_rubric("a6_cifar100")


@pytest.fixture(scope="module")
def C():
    return Reference(SOLUTIONS / "a6_cifar100", ["challenge"]).modules["challenge"]


def _result(report, name):
    return next(r for r in report.results if r.name == name)


# --------------------------------------------------------------------------- accuracy report


def test_accuracy_report_against_brute_force():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((300, 100)).astype(np.float32)
    labels = rng.integers(0, 100, 300)
    logits[np.arange(150), labels[:150]] += 3.0  # half of them right
    names = [f"c{k}" for k in range(100)]
    report = accuracy_report(logits, labels, names)
    top1 = sum(int(np.argmax(row) == y) for row, y in zip(logits, labels)) / 300
    top5 = (
        sum(int(y in sorted(range(100), key=lambda c: -row[c])[:5]) for row, y in zip(logits, labels)) / 300
    )
    assert report["top1"] == pytest.approx(top1) and report["top5"] == pytest.approx(top5)
    per_class = {}
    for c in np.unique(labels):
        rows = labels == c
        per_class[int(c)] = np.mean(np.argmax(logits[rows], axis=1) == c)
    worst = sorted(per_class.items(), key=lambda kv: (kv[1], kv[0]))[:5]
    assert report["worst_classes"] == [[f"c{c}", pytest.approx(a)] for c, a in worst]


# --------------------------------------------------------------------------- checkpoints, in-process


class _Payload:
    """Unpickling this object would create ``path`` (through builtins.open)."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return builtins.open, (self.path, "w")


def _bad_checkpoints(tmp_path: Path, C) -> dict:
    """name -> (bytes of a model.pt, words its message must contain)."""
    marker = tmp_path / "payload-ran"

    def saved(obj) -> bytes:
        buffer = io.BytesIO()
        previous = sys.modules.get("challenge")
        sys.modules["challenge"] = C  # so that pickle can name the class of a whole module
        try:
            torch.save(obj, buffer)
        finally:
            if previous is None:
                del sys.modules["challenge"]
            else:
                sys.modules["challenge"] = previous
        return buffer.getvalue()

    state = C.build_model().state_dict()
    return {
        "pickled payload (torch.save)": (
            saved({"weight": torch.zeros(2), "x": _Payload(marker)}),
            ["not a plain state_dict", "open"],
        ),
        "pickled payload (raw pickle)": (
            pickle.dumps(_Payload(marker), protocol=2),
            ["not a plain state_dict"],
        ),
        "whole module": (saved(C.build_model()), ["not a plain state_dict", "ImageClassifier"]),
        "wrapped state_dict": (saved({"model": state, "epoch": 3}), ["not all tensors"]),
        "foreign state_dict": (saved(torch.nn.Linear(3, 4).state_dict()), ["does not match build_model()"]),
        "truncated file": (saved(state)[:5000], ["could not be read"]),
        "empty file": (b"", ["empty"]),
    }


def test_load_state_dict_refuses_bad_checkpoints_without_running_them(tmp_path, C, monkeypatch):
    monkeypatch.setattr(torch_a6, "student_module", lambda name: C)
    marker = tmp_path / "payload-ran"
    for name, (content, words) in _bad_checkpoints(tmp_path, C).items():
        path = tmp_path / "model.pt"
        path.write_bytes(content)
        state, problem = torch_a6._load_state_dict(str(path))
        if state is not None:  # readable: must then fail to match the model
            problem = torch_a6._mismatch(C.build_model(), state)
        assert problem, name
        for word in words:
            assert word in problem, (name, problem)
        assert not marker.exists(), f"{name}: the pickled payload ran"
    assert torch_a6._load_state_dict(str(tmp_path / "absent.pt"))[1].startswith("model.pt is missing")


def test_load_state_dict_accepts_a_saved_state_dict_in_any_float_dtype(tmp_path, C):
    model = C.build_model()
    for dtype in (torch.float32, torch.bfloat16):
        path = tmp_path / "model.pt"
        torch.save(
            {k: v.to(dtype) if v.is_floating_point() else v for k, v in model.state_dict().items()}, path
        )
        state, problem = torch_a6._load_state_dict(str(path))
        assert problem == "" and torch_a6._mismatch(C.build_model(), state) == ""


def test_missing_dataset_names_the_fetch_command(tmp_path, monkeypatch):
    monkeypatch.delenv("AUTOGRADER_DATA", raising=False)
    monkeypatch.setattr(manifest, "SOURCE_DATA", tmp_path / "source_data")
    ctx = Context(sandbox=None, seed=0, data_root=str(tmp_path / "nowhere"))
    check = next(c for c in RUBRIC.checks if c.name == "test accuracy")
    result = check.run(ctx)
    assert result.score == 0 and "autograder data fetch cifar100" in result.message


# --------------------------------------------------------------------------- grading, end to end


@pytest.mark.slow
def test_reference_checkpoint_gets_the_independently_measured_accuracy(tmp_path, C):
    path = materialize_reference("a6_cifar100", tmp_path)
    extra = examples.prepare(path)
    report = grade(RUBRIC, path, seed=0, **extra)
    failing = [(r.name, r.message) for r in report.results if r.status != Status.PASSED]
    assert failing == [] and report.score == report.max_score

    # the same checkpoint, evaluated here without the grader
    model = C.build_model()
    model.load_state_dict(torch.load(path / "model.pt", weights_only=True))
    images, labels = C.load_cifar100(extra["data_root"], train=False)
    model.eval()
    with torch.no_grad():
        logits = model(torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255.0).numpy()
    details = _result(report, "test accuracy").details
    n = len(labels)
    assert details["top1"] == pytest.approx(np.mean(logits.argmax(1) == labels), abs=1.5 / n)
    top5 = np.argsort(-logits, axis=1)[:, :5]
    assert details["top5"] == pytest.approx(np.mean(np.any(top5 == labels[:, None], axis=1)), abs=1.5 / n)
    assert details["synthetic_data"] is True and len(details["worst_classes"]) == 5


@pytest.mark.slow
def test_floor_and_target_scale_the_accuracy_points(tmp_path):
    path = materialize_reference("a6_cifar100", tmp_path)
    extra = examples.prepare(path)
    report = grade(
        RUBRIC, path, seed=0, only=["test accuracy"], options={"floor": 0.0, "target": 1.5}, **extra
    )
    result = _result(report, "test accuracy")
    accuracy = result.details["top1"]
    assert result.score == pytest.approx(result.max_score * accuracy / 1.5, abs=1e-6)
    assert "none at or below 0.00" in result.message


@pytest.mark.slow
def test_bad_checkpoints_score_zero_with_a_clear_message(tmp_path, C):
    marker = tmp_path / "payload-ran"
    for i, (name, (content, words)) in enumerate(_bad_checkpoints(tmp_path, C).items()):
        if name not in ("pickled payload (torch.save)", "whole module", "foreign state_dict"):
            continue  # the others are covered in-process above
        path = materialize_reference("a6_cifar100", tmp_path / f"sub{i}")
        extra = examples.prepare(path)
        (path / "model.pt").write_bytes(content)
        report = grade(RUBRIC, path, seed=0, only=["model.pt", "test accuracy"], **extra)
        for result in report.results:
            assert result.score == 0, (name, result.name)
            for word in words:
                assert word in result.message, (name, result.message)
        assert not marker.exists(), f"{name}: the pickled payload ran"


@pytest.mark.slow
def test_retrain_mode_trains_in_the_sandbox_within_the_budget(tmp_path):
    path = materialize_reference("a6_cifar100", tmp_path)
    extra = examples.prepare(path)
    (path / "model.pt").unlink()  # retraining does not need the checkpoint
    budget = 15.0
    report = grade(
        RUBRIC,
        path,
        seed=0,
        only=["test accuracy"],
        options={"retrain": True, "time_budget_s": budget, "device": "cpu"},
        **extra,
    )
    result = _result(report, "test accuracy")
    assert result.details.get("train_seconds") is not None, result.message
    assert result.details["train_seconds"] <= budget
    assert "train() took" in result.message and 0.0 <= result.details["top1"] <= 1.0
    # a slice of the training split was kept away from train(); an honest model does as well on it
    assert result.details["secret_slice"]["size"] > 0 and result.details["memorisation_suspected"] is False
