"""Replies per call: a timeout or crash is charged to the call that caused it,
what the worker sends is bounded before it is read, and a frame that student
code writes into the reply pipe costs only that student's call."""

from __future__ import annotations

import copy
import shutil
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from autograder.checks import Context, NoInPlaceCheck, ValueCheck
from autograder.examples import materialize_reference
from autograder.grading import grade
from autograder.report.model import Status
from autograder.rubrics import load_rubric
from autograder.sandbox import Call, Ref, Sandbox

HOSTILE = Path(__file__).parent / "hostile"
MODULE = """
import os, time
import numpy as np

def fine(x):
    return x + 1

def spin(x):
    while True:
        pass

def die(x):
    os._exit(7)

def scribble(x):
    x[0] = 99.0
    return x

def huge(x):
    return np.zeros((5000, 5000))
"""

@pytest.fixture()
def submission(tmp_path):
    (tmp_path / "mod.py").write_text(MODULE)
    shutil.copy(HOSTILE / "reply_pipe_bomb.py", tmp_path / "forger.py")
    return tmp_path


class PlusOne:
    """A stand-in reference whose every function is x + 1."""

    def get(self, target):
        return lambda x: x + 1


def statuses(outcomes):
    return [o.status for o in outcomes]


def test_a_timeout_is_charged_to_the_call_that_was_running(submission):
    x = np.arange(3.0)
    with Sandbox(submission, ["mod"], timeout=1.5) as sandbox:
        first, stuck, after = sandbox.run([Call("mod:fine", (x,)), Call("mod:spin", (x,)),
                                           Call("mod:fine", (x,))])
        assert statuses([first, stuck, after]) == ["ok", "timeout", "skipped"]
        np.testing.assert_array_equal(first.value, x + 1)
        assert "spin timed out" in after.error
        # Separate tests: the calls after the culprit run in a fresh worker; a call that
        # refers to a lost result, or repeats the culprit, is not run again.
        outcomes = sandbox.run([Call("mod:spin", (x,)), Call("mod:fine", (x,)), Call("mod:fine", (Ref(1),)),
                                Call("mod:spin", (x,)), Call("mod:fine", (x + 1,))], independent=True)
        assert statuses(outcomes) == ["timeout", "ok", "skipped", "skipped", "ok"]
        assert "spin timed out on an earlier call" in outcomes[3].error
        np.testing.assert_array_equal(outcomes[4].value, x + 2)


def test_a_crash_is_charged_to_the_call_that_caused_it(submission):
    x = np.arange(3.0)
    with Sandbox(submission, ["mod"]) as sandbox:
        outcomes = sandbox.run([Call("mod:fine", (x,)), Call("mod:die", (x,)), Call("mod:fine", (x,))],
                               independent=True)
    assert statuses(outcomes) == ["ok", "crashed", "ok"]
    assert "exited (code 7)" in outcomes[1].error


def test_a_reply_over_the_calls_budget_is_dropped_unread(submission):
    with Sandbox(submission, ["mod"]) as sandbox:
        tracemalloc.start()
        try:
            big, small = sandbox.run([Call("mod:huge", (np.ones(3),), max_bytes=1 << 20),
                                      Call("mod:fine", (np.ones(3),))])
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert big.status == "error" and "MiB, more than the" in big.error
    assert small.ok  # the stream stays in step after the dropped frame
    assert peak < 32 << 20


def test_a_wrong_shape_return_of_200_mb_is_refused_before_any_conversion(submission):
    """The old grader decoded the 200 MB and converted it to float64 for the
    diagnostics, peaking near 2 GB; it must not even read it now."""
    check = ValueCheck("fine", 1, "mod:huge", inputs=lambda rng: (rng.standard_normal((4, 3)),))
    with Sandbox(submission, ["mod"]) as sandbox:
        tracemalloc.start()
        try:
            result = check.run(Context(sandbox, 0, PlusOne()))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 32 << 20
    assert result.status == Status.ERROR and "MiB" in result.message and "huge" in result.message


def test_a_frame_forged_by_student_code_costs_only_its_call_and_memory_stays_bounded(submission):
    x = np.arange(3.0)
    with Sandbox(submission, ["mod", "forger"]) as sandbox:
        tracemalloc.start()
        try:
            forged, _ = sandbox.run([Call("forger:bomb", (x,)), Call("mod:fine", (x,))])
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 32 << 20
        assert forged.status == "crashed" and "compressed" in forged.error
        assert sandbox.call("mod:fine", x).ok  # a fresh worker answers the next request


def test_in_place_check_names_only_the_functions_at_fault(submission):
    """One function hangs, one kills the worker, one scribbles on its input: only
    those three lose their shares and only they are named."""
    inputs = lambda rng: (rng.standard_normal(4),)  # noqa: E731
    check = NoInPlaceCheck("in place", 5, [(f"mod:{name}", inputs)
                                           for name in ("fine", "spin", "die", "scribble", "huge")])
    with Sandbox(submission, ["mod"], timeout=1.5) as sandbox:
        result = check.run(Context(sandbox, 0))
    assert result.score == pytest.approx(2.0)  # fine and huge (which modifies nothing)
    assert "scribble (argument [0])" in result.message
    assert "spin (timed out" in result.message and "die (the worker process exited" in result.message
    assert "fine" not in result.message and "huge" not in result.message


def test_an_a1_function_that_crashes_costs_the_in_place_check_only_its_share(tmp_path):
    """softmax kills the worker when the in-place check calls it (the second call on
    a (5, 4) input in one worker): the other eight functions keep their shares and
    are not named."""
    reference = materialize_reference("a1_backprop", tmp_path / "sub")
    layers = reference / "layers.py"
    layers.write_text(layers.read_text().replace("def softmax(", "def _softmax(", 1) + """

_calls = [0]


def softmax(logits):
    _calls[0] += logits.shape == (5, 4)
    if _calls[0] == 2:
        import os
        os._exit(9)
    return _softmax(logits)
""")
    report = grade(load_rubric("a1"), reference, seed=5, only=["softmax", "inputs are not modified in place"])
    result = {r.name: r for r in report.results}["inputs are not modified in place"]
    assert result.score == pytest.approx(8 / 9)
    assert result.message.startswith("could not check softmax (the worker process exited (code 9)")
    for other in ("linear_forward", "relu_forward", "mse_loss", "train_sgd", "mlp_loss"):
        assert other not in result.message


def test_accuracy_check_blames_the_function_that_hangs(tmp_path):
    """A `while True` in predict was reported as "digits accuracy: init_mlp timed out"."""
    reference = materialize_reference("a1_backprop", tmp_path / "sub")
    network = reference / "network.py"
    network.write_text(network.read_text()
                       + "\n\ndef predict(*args, **kwargs):\n    while True:\n        pass\n")
    check = copy.copy(next(c for c in load_rubric("a1").checks if c.name == "digits accuracy"))
    check.timeout = 20
    with Sandbox(reference, ["layers", "network", "answers"]) as sandbox:
        result = check.run(Context(sandbox, 3))
    assert result.status == Status.TIMEOUT
    assert result.message.startswith("predict timed out") and "init_mlp" not in result.message
