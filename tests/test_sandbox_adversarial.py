"""Hostile submissions: each is graded with the right outcome and nothing
else is disturbed. They are edits of the a1 reference (so every check they do
not attack must still pass) plus direct probes of the worker."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest

from autograder.examples import Bug, Edit, materialize
from autograder.grading import grade
from autograder.reference import REPOSITORY
from autograder.report.model import Status
from autograder.rubrics import load_rubric
from autograder.sandbox import Sandbox
from autograder.sandbox.isolation import Limits, probe

A1 = "a1_backprop"
FULL = probe() == "full"
needs_full = pytest.mark.skipif(not FULL, reason="full isolation needs the grader to run as root")

RELU_CHECKS = {"relu_forward", "relu_backward", "inputs are not modified in place",
               "mlp_forward (relu)", "mlp_loss value", "mlp_loss gradients", "predict",
               "digits accuracy", "circles accuracy"}
LAYERS_CHECKS = {c.name for c in load_rubric(A1).checks if not c.name.isupper()}


def relu_body(code: str) -> Edit:
    """Replace relu_forward's body with ``code`` (indented by the caller)."""
    return Edit("layers.py", "    out = np.maximum(x, 0.0)\n", code + "    out = np.maximum(x, 0.0)\n")


def at_import(code: str) -> Edit:
    return Edit("layers.py", "import numpy as np\n", "import numpy as np\n" + code)


def graded(tmp_path, *edits, timeout=None):
    submission = materialize(A1, Bug("hostile", "", tuple(edits), ()), tmp_path / "submission")
    return grade(load_rubric(A1), submission, seed=11, timeout=timeout)


def lost(report) -> dict[str, str]:
    return {r.name: r.message for r in report.results if r.score < r.max_score}


@pytest.mark.parametrize("code", ["import sys\nsys.exit(0)\n", "import os\nos._exit(0)\n"],
                         ids=["sys.exit", "os._exit"])
def test_exit_at_import_costs_only_the_modules_that_need_it(tmp_path, code):
    report = graded(tmp_path, at_import(code))
    failed = lost(report)
    assert set(failed) == LAYERS_CHECKS  # network.py imports layers; answers.py still scores
    assert all("failed to import" in message for message in failed.values())
    assert "layers.py" in failed["linear_forward"]
    assert report.score == 4


@pytest.mark.parametrize("code", ["    import sys\n    sys.exit(0)\n", "    import os\n    os._exit(0)\n"],
                         ids=["sys.exit", "os._exit"])
def test_exit_inside_a_function_costs_only_its_checks(tmp_path, code):
    report = graded(tmp_path, relu_body(code))
    failed = lost(report)
    assert "relu_forward" in failed and set(failed) <= RELU_CHECKS
    assert "sys.exit" in failed["relu_forward"] or "exited" in failed["relu_forward"]


def test_infinite_loop_times_out_only_that_functions_checks(tmp_path):
    edit = Edit("layers.py", "    out = np.tanh(x)\n", "    while True:\n        pass\n")
    report = graded(tmp_path, edit, timeout=1.5)
    statuses = {r.name: r.status for r in report.results if r.score < r.max_score}
    assert statuses["tanh_forward"] == Status.TIMEOUT
    assert set(statuses) <= {"tanh_forward", "tanh_backward", "mlp_forward (sigmoid, tanh)",
                             "mlp_loss gradients (tanh)", "train_sgd trajectory",
                             "inputs are not modified in place"}


def test_memory_bomb_is_stopped_by_the_address_space_limit(tmp_path):
    report = graded(tmp_path, relu_body("    hog = np.ones((1 << 40,), dtype=np.uint8)\n"))
    failed = lost(report)
    assert "MemoryError" in failed["relu_forward"]
    assert set(failed) <= RELU_CHECKS


def test_fork_bomb_is_contained(tmp_path):
    bomb = "    import os\n    for _ in range(10000):\n        try:\n            os.fork()\n" \
           "        except OSError:\n            break\n"
    report = graded(tmp_path, relu_body(bomb), timeout=3)
    assert set(lost(report)) <= RELU_CHECKS
    assert report.score > 0


@needs_full
def test_processes_that_escape_the_process_group_are_killed(tmp_path):
    marker = "987.654"
    escape = ("    import os\n    for _ in range(20):\n        try:\n            pid = os.fork()\n"
              "        except OSError:\n            break\n        if pid == 0:\n"
              "            os.setsid()\n            os.execv('/bin/sleep', ['sleep', '%s'])\n" % marker)
    report = graded(tmp_path, relu_body(escape))
    assert report.score == report.max_score
    assert not _commands_containing(marker), "processes outlived the worker"


def _commands_containing(text: str) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if text.encode() in Path(entry.path, "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def test_a_flood_of_output_is_truncated_and_grading_goes_on(tmp_path):
    flood = at_import("import sys\nfor _ in range(100):\n    sys.stdout.write('x' * (1 << 20))\n")
    report = graded(tmp_path, flood)
    assert report.score == report.max_score
    assert len(report.output) < 200_000 and "more bytes cut" in report.output


@needs_full
def test_fake_results_files_land_nowhere_that_matters(tmp_path):
    forge = ("    import json, os\n"
             "    for d in ['.', '..', '../..', '/tmp', os.environ.get('HOME', '.')]:\n"
             "        try:\n"
             "            open(os.path.join(d, 'results.json'), 'w').write(json.dumps({'score': 999}))\n"
             "        except OSError:\n"
             "            pass\n")
    output = tmp_path / "out"
    output.mkdir()
    report = graded(tmp_path, relu_body(forge))
    assert report.score == report.max_score  # the forgery changes nothing
    assert not (tmp_path / "results.json").exists()
    assert not (tmp_path / "submission" / "results.json").exists()
    assert not Path("/tmp/results.json").exists()


def test_monkeypatching_numpy_and_builtins_changes_nothing(tmp_path):
    patch = at_import("np.allclose = lambda *a, **k: True\nnp.testing.assert_allclose = lambda *a, **k: None\n"
                      "np.array_equal = lambda *a, **k: True\nimport builtins\nbuiltins.abs = lambda v: 0\n")
    wrong = Edit("layers.py", "    dW = x.T @ dout\n", "    dW = 0 * x.T @ dout\n")
    report = graded(tmp_path, patch, wrong)
    assert "linear_backward" in lost(report)


@pytest.mark.parametrize("body,phrase", [
    ("    class Sneaky(np.ndarray):\n        def __eq__(self, other):\n            return True\n"
     "    return np.zeros_like(x).view(Sneaky), x\n", "ndarray subclass"),
    ("    class Sneaky(np.ndarray):\n        def __array_function__(self, *a, **k):\n            return True\n"
     "    return np.zeros_like(x).view(Sneaky), x\n", "ndarray subclass"),
    ("    class Fake:\n        def __array__(self, dtype=None, copy=None):\n            return np.maximum(x, 0)\n"
     "    return Fake(), x\n", "Fake"),
    ("    import torch\n    class T(torch.Tensor):\n        pass\n"
     "    return torch.as_tensor(np.maximum(x, 0)).as_subclass(T), x\n", "T"),
    ("    return np.full_like(x, np.nan), x\n", "NaN"),
    ("    return np.full_like(x, np.inf), x\n", "infinite"),
    ("    return np.maximum(x, 0).astype(np.float32), x\n", "float32"),
    ("    return np.maximum(x, 0).T, x\n", "shape"),
], ids=["eq-subclass", "array-function-subclass", "__array__", "tensor-subclass", "nan", "inf",
        "dtype", "shape"])
def test_hostile_return_values_are_rejected_by_validation(tmp_path, body, phrase):
    report = graded(tmp_path, relu_body(body))
    message = lost(report)["relu_forward"]
    assert phrase in message


@needs_full
@pytest.mark.parametrize("target", [REPOSITORY / "solutions" / A1 / "layers.py",
                                    REPOSITORY / "autograder" / "grading.py"],
                         ids=["reference", "grader"])
def test_reference_and_grader_files_are_unreadable(tmp_path, target):
    (tmp_path / "spy.py").write_text("def read(path):\n    return open(path).read()\n")
    with Sandbox(tmp_path, ["spy"]) as sandbox:
        outcome = sandbox.call("spy:read", str(target))
    assert outcome.status == "error"
    assert "Error" in outcome.error


@pytest.mark.skipif(probe() == "none", reason="no network namespace on this machine")
def test_sockets_cannot_reach_even_the_local_machine(tmp_path):
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    accepted = []
    threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
    (tmp_path / "net.py").write_text(
        "import socket\ndef connect(port):\n"
        "    socket.create_connection(('127.0.0.1', port), timeout=2).close()\n    return 1\n")
    with Sandbox(tmp_path, ["net"]) as sandbox:
        outcome = sandbox.call("net:connect", port)
    server.close()
    assert outcome.status == "error" and not accepted


@needs_full
def test_files_outside_the_working_copy_cannot_be_deleted(tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep me")
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "vandal.py").write_text(
        "import shutil\ndef wreck(*paths):\n    for p in paths:\n"
        "        shutil.rmtree(p, ignore_errors=True)\n    return 0\n")
    with Sandbox(submission, ["vandal"]) as sandbox:
        sandbox.call("vandal:wreck", str(victim), str(submission))
    assert (victim / "precious.txt").read_text() == "keep me"
    assert (submission / "vandal.py").exists()


def test_worker_limits_are_in_force(tmp_path):
    (tmp_path / "probe.py").write_text(
        "import resource\ndef limits():\n"
        "    return [resource.getrlimit(r)[0] for r in (resource.RLIMIT_AS, resource.RLIMIT_CPU,"
        " resource.RLIMIT_FSIZE)]\n")
    with Sandbox(tmp_path, ["probe"], limits=Limits(memory_mb=1024, cpu_s=30, file_mb=8)) as sandbox:
        outcome = sandbox.call("probe:limits")
    assert outcome.value == [1024 << 20, 30, 8 << 20]
