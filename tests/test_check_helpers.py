"""Small pieces the checks share: CheckFailed inside PropertyCheck, the per-grade
cache on the Context, and the checks on weights that come back from the worker."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.checks import PropertyCheck
from autograder.checks.base import CheckFailed, Context
from autograder.checks.state import checked_state
from autograder.report.model import Status


def test_check_failed_anywhere_in_a_property_becomes_its_result():
    def verify(ctx, check):
        def deep():
            raise CheckFailed("the worker sent back something malformed", fraction=0.25)

        deep()
        return 1.0, ""

    result = PropertyCheck("p", 4, verify).run(Context(sandbox=None, seed=0))
    assert (result.score, result.status, result.message) == (
        1.0,
        Status.FAILED,
        "the worker sent back something malformed",
    )


def test_context_runs_each_shared_computation_once_per_grade():
    calls = []
    first, second = Context(sandbox=None, seed=0), Context(sandbox=None, seed=0)
    for ctx in (first, first, second):
        assert ctx.once("loaders", lambda: calls.append(1) or len(calls)) == (1 if ctx is first else 2)
    assert len(calls) == 2


LIKE = {"0.weight": (4, 3), "0.bias": (4,)}


def _state(**changes):
    state = {"0.weight": np.zeros((4, 3)), "0.bias": np.zeros(4)}
    state.update(changes)
    return state


@pytest.mark.parametrize(
    "state,words",
    [
        (None, "expected a state_dict"),
        ({}, "expected a state_dict"),
        (_state(**{"smuggled": np.arange(10)}), "unexpected smuggled"),
        ({"0.weight": np.zeros((4, 3))}, "missing 0.bias"),
        (_state(**{"0.bias": np.zeros(5)}), "0.bias has shape (5,), expected (4,)"),
        (_state(**{"0.bias": np.array(["a"] * 4)}), "'0.bias' is not a numeric array"),
        (_state(**{"0.bias": [0.0] * 4}), "'0.bias' is not a numeric array"),
    ],
)
def test_weights_from_the_worker_must_be_the_architectures(state, words):
    with pytest.raises(CheckFailed) as caught:
        checked_state(state, "the probe's weights", like=LIKE)
    assert words in caught.value.message and caught.value.message.startswith("the probe's weights")


def test_weights_from_the_worker_are_bounded_and_otherwise_passed_through():
    with pytest.raises(CheckFailed, match="over the limit"):
        checked_state({"w": np.zeros(1000)}, "the module train() returns", max_bytes=4000)
    state = _state()
    assert checked_state(state, "w", like=LIKE) is state
