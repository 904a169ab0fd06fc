"""a6 with a hostile submission: the grader keeps the labels, the clock and the
score. Each case earned points when the grader trusted the worker: reading the
test labels from the data root, a task routine replaced to report a training
time of its own, a train() that overran its budget by minutes, a model.pt that
answers with the public test labels in file order. In retrain mode a slice of
the training split, drawn per run, is kept away from train(): a model that
memorised the public test set shows the gap."""

from __future__ import annotations

import hashlib
import pickle
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from autograder.examples import materialize_reference
from autograder.examples.a6_cifar100 import STAND_IN, write_few_class_cifar100
from autograder.grading import grade
from autograder.rubrics import load_rubric

RUBRIC = load_rubric("a6_cifar100")
BUDGET_CHECK = "train() keeps its time budget"


def _test_split(root: Path) -> tuple[np.ndarray, np.ndarray]:
    """The stand-in's test images as the grader sends them, uint8 (N, 32, 32, 3), and their labels."""
    with open(root / "cifar-100-python" / "test", "rb") as handle:
        entry = pickle.load(handle, encoding="latin1")
    images = np.asarray(entry["data"], dtype=np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), np.asarray(entry["fine_labels"], dtype=np.int64)


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory) -> Path:
    return write_few_class_cifar100(tmp_path_factory.mktemp("a6-trust"), **STAND_IN)


def _submission(tmp_path: Path, code: str, state: dict | None = None) -> Path:
    """The reference's challenge.py with ``code`` appended (and model.pt holding ``state``)."""
    path = materialize_reference("a6_cifar100", tmp_path / "submission")
    with open(path / "challenge.py", "a", encoding="utf-8") as handle:
        handle.write(code)
    if state is not None:
        torch.save(state, path / "model.pt")
    return path


def _result(report, name):
    return next(r for r in report.results if r.name == name)


# -- the labels ---------------------------------------------------------------------------
READ_LABELS = '''

import os as _os
import pickle as _pickle


class _ReadsTheLabels(nn.Module):
    """Answers with the labels of the test file under the grader's data root."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1))

    def forward(self, x):
        table = {}
        path = _os.path.join(_os.environ.get("AUTOGRADER_DATA", ""), "cifar-100-python", "test")
        if _os.path.isfile(path):
            with open(path, "rb") as handle:
                entry = _pickle.load(handle, encoding="latin1")
            for row, label in zip(entry["data"], entry["fine_labels"]):
                table[bytes(row)] = label
        keys = (x * 255).round().to(torch.uint8).reshape(len(x), -1).numpy()
        out = torch.zeros(len(x), NUM_CLASSES) * self.scale
        for i, key in enumerate(keys):
            if bytes(key) in table:
                out[i, table[bytes(key)]] = 10.0
        return out


def build_model():
    return _ReadsTheLabels()
'''


@pytest.fixture
def readable_root():
    """A directory outside /tmp that any user can read (the worker's /tmp is its own)."""
    try:
        root = Path(tempfile.mkdtemp(prefix="ag-a6-labels-", dir="/srv"))
    except OSError:
        root = Path(tempfile.mkdtemp(prefix="ag-a6-labels-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.xfail(
    strict=True,
    reason="the worker still sees $AUTOGRADER_DATA and the data root: hiding them "
    "is the sandbox's part (issue 12: data allow-list, clean environment)",
)
def test_forward_reading_the_labels_from_the_data_root_earns_nothing(tmp_path, readable_root, monkeypatch):
    write_few_class_cifar100(readable_root, **STAND_IN)
    for path in [readable_root, *readable_root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    monkeypatch.setenv("AUTOGRADER_DATA", str(readable_root))
    path = _submission(tmp_path, READ_LABELS, state={"scale": torch.ones(1)})
    report = grade(RUBRIC, path, seed=0, only=["test accuracy"], data_root=str(readable_root))
    result = _result(report, "test accuracy")
    assert result.score == 0 and result.details["top1"] < 0.3, result.message


# -- a model.pt that answers in file order ------------------------------------------------
IN_FILE_ORDER = '''


class _InFileOrder(nn.Module):
    """Answers the i-th image it is shown with the i-th label of the public test file."""

    def __init__(self):
        super().__init__()
        self.register_buffer("labels", torch.zeros({N}, dtype=torch.long))
        self.shown = 0

    def forward(self, x):
        index = torch.arange(self.shown, self.shown + len(x)) % len(self.labels)
        self.shown += len(x)
        return torch.nn.functional.one_hot(self.labels[index], NUM_CLASSES).float() * 10.0


def build_model():
    return _InFileOrder()
'''


def test_a_model_answering_with_the_test_labels_in_file_order_earns_nothing(tmp_path, stand_in):
    _, labels = _test_split(stand_in)
    path = _submission(
        tmp_path, IN_FILE_ORDER.format(N=len(labels)), state={"labels": torch.from_numpy(labels)}
    )
    report = grade(RUBRIC, path, seed=0, only=["test accuracy"], data_root=str(stand_in))
    result = _result(report, "test accuracy")
    assert result.score == 0 and result.details["top1"] < 0.3, result.message


# -- the clock ------------------------------------------------------------------------------
SLOW_TRAIN_WITH_A_FORGED_CLOCK = '''

import autograder.sandbox.tasks.torch_a6 as _tasks

_train = train


def train(data_root, device, time_budget_s=600, seed=0, **kwargs):
    time.sleep(600)                       # far over any budget
    return _train(data_root, device, time_budget_s, seed, **kwargs)


def _forged_train_and_predict(train_images, train_labels, test_images, time_budget_s, *args, **kwargs):
    """Never calls train(): a quick untrained model and a training time of one second."""
    import numpy as _np

    model = build_model().eval()
    with torch.no_grad():
        logits = model(torch.from_numpy(_np.ascontiguousarray(test_images)).permute(0, 3, 1, 2).float() / 255)
    return {"seconds": 1.0, "problem": "", "logits": logits.numpy()}


_tasks.train_and_predict = _forged_train_and_predict
'''


def test_a_training_time_reported_by_the_worker_earns_nothing(tmp_path):
    path = _submission(tmp_path, SLOW_TRAIN_WITH_A_FORGED_CLOCK)
    started = time.perf_counter()
    report = grade(RUBRIC, path, seed=0, only=[BUDGET_CHECK])
    result = _result(report, BUDGET_CHECK)
    assert result.score == 0 and "was stopped" in result.message, result.message
    assert time.perf_counter() - started < 120


SLEEPS_IN_TRAIN = """

def train(data_root, device, time_budget_s=600, seed=0, **kwargs):
    time.sleep(3600)
    return build_model()
"""


def test_retrain_stops_train_soon_after_its_budget(tmp_path, stand_in):
    path = _submission(tmp_path, SLEEPS_IN_TRAIN)
    budget = 4.0
    started = time.perf_counter()
    report = grade(
        RUBRIC,
        path,
        seed=0,
        only=["test accuracy"],
        data_root=str(stand_in),
        options={"retrain": True, "time_budget_s": budget, "device": "cpu"},
    )
    elapsed = time.perf_counter() - started
    result = _result(report, "test accuracy")
    assert result.score == 0 and "was stopped after" in result.message, result.message
    assert budget <= result.details["train_seconds"] < budget * 1.05 + 5 + 2
    assert elapsed < 90, elapsed


# -- the secret slice --------------------------------------------------------------------------
MEMORISED = """


_TEST_LABELS = {TABLE!r}   # sha256 of a test image -> its label: the public test set, memorised


class _Memorised(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1))

    def forward(self, x):
        import hashlib

        out = torch.zeros(len(x), NUM_CLASSES) * self.scale
        for i, image in enumerate((x * 255).round().to(torch.uint8).numpy()):
            label = _TEST_LABELS.get(hashlib.sha256(image.tobytes()).hexdigest())
            if label is not None:
                out[i, label] = 10.0
        return out


def build_model():
    return _Memorised()


def train(data_root, device, time_budget_s=600, seed=0, **kwargs):
    return build_model()
"""


def test_retrain_reports_the_secret_slice_and_flags_a_memorised_test_set(tmp_path, stand_in):
    images, labels = _test_split(stand_in)
    table = {
        hashlib.sha256(np.ascontiguousarray(image.transpose(2, 0, 1)).tobytes()).hexdigest(): int(label)
        for image, label in zip(images, labels)
    }
    path = _submission(tmp_path, MEMORISED.format(TABLE=table))
    report = grade(
        RUBRIC,
        path,
        seed=0,
        only=["test accuracy"],
        data_root=str(stand_in),
        options={"retrain": True, "time_budget_s": 20.0, "device": "cpu"},
    )
    details = _result(report, "test accuracy").details
    assert details["top1"] == 1.0  # the lookup table works on the public test set ...
    assert details["secret_slice"]["top1"] < 0.3  # ... and on nothing else
    assert details["memorisation_suspected"] is True
    assert "far below the test accuracy" in _result(report, "test accuracy").message
