"""checks/diagnose.py: each candidate explanation names its slip, stays silent
when the slip is absent, and never names the right answer; the wrong arrays
are made independently (torch autograd for derivatives, plain NumPy edits)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from autograder.checks import diagnose


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def autograd_derivative(name: str, x: np.ndarray) -> np.ndarray:
    """d activation / dx at x, elementwise, from torch autograd."""
    t = torch.tensor(x, requires_grad=True)
    getattr(torch, name)(t).sum().backward()
    return t.grad.numpy()


# -- explain ---------------------------------------------------------------------------------
def test_explain_names_transpose_sign_and_factors(rng):
    right = rng.standard_normal((4, 3))
    assert "transpose" in diagnose.explain(right.T, right)
    assert "wrong sign" in diagnose.explain(-right, right)
    assert "factor of 2" in diagnose.explain(2 * right, right)
    assert "factor of 1/2" in diagnose.explain(right / 2, right)
    assert "factor of N, the batch size" in diagnose.explain(4 * right, right, batch=4)
    assert "1/N" in diagnose.explain(right / 4, right, batch=4)
    assert "number of elements" in diagnose.explain(12 * right, right, batch=4)
    assert "constant factor of 3.7" in diagnose.explain(3.7 * right, right)


def test_a_factor_with_two_names_gets_both(rng):
    right = rng.standard_normal((2, 5))
    message = diagnose.explain(2 * right, right, batch=2)
    assert "factor of 2 (= N, the batch size)" in message


def test_explain_names_missing_reductions(rng):
    per_sample = rng.standard_normal((6, 3))
    assert "sum over the batch (axis 0)" in diagnose.explain(per_sample, per_sample.sum(axis=0))
    assert "reduction over the batch" in diagnose.explain(per_sample, per_sample.mean(axis=0))
    maps = rng.standard_normal((2, 4, 5, 3))
    assert "sum over axes (0, 2, 3)" in diagnose.explain(maps, maps.sum(axis=(0, 2, 3)))
    scores = rng.standard_normal((5, 3))
    assert "extra last axis of size 3" in diagnose.explain(scores, scores.argmax(axis=1).astype(float))


def test_explain_names_flips_swaps_padding_and_row_factors(rng):
    kernels = rng.standard_normal((2, 3, 4, 4))
    assert "flipped" in diagnose.explain(kernels[..., ::-1, ::-1].copy(), kernels)
    assert "last two axes swapped" in diagnose.explain(np.swapaxes(kernels, -1, -2).copy(), kernels)
    padded = np.pad(kernels, ((0, 0), (0, 0), (2, 2), (2, 2)), constant_values=7.0)
    assert "outer 2 entries" in diagnose.explain(padded, kernels)
    probs = rng.random((4, 5))
    assert "different factor in each row" in diagnose.explain(probs, probs / probs.sum(axis=1, keepdims=True))


@pytest.mark.parametrize("slip", [lambda a: a + 0.1, lambda a: a ** 2, np.sort])
def test_explain_is_silent_about_other_differences(rng, slip):
    right = rng.standard_normal((4, 3))
    assert diagnose.explain(slip(right), right) is None


# -- overflow --------------------------------------------------------------------------------
def naive_softmax(z):
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def test_overflow_is_named_where_the_input_is_large():
    logits = np.array([[1e4, -1e4, 0.0], [1.0, 2.0, 3.0]])
    with np.errstate(all="ignore"):
        got = naive_softmax(logits)
    right = naive_softmax(logits - logits.max(axis=1, keepdims=True))
    message = diagnose.overflow(got, right, {"logits": logits})
    assert "overflows for large inputs" in message and "|logits| >= 1e+04" in message


def test_a_nan_at_small_inputs_is_not_called_an_overflow():
    x = np.array([[0.5, -0.5], [1.0, 2.0]])
    right = np.sqrt(np.abs(x))
    got = np.where(x < 0, np.nan, right)  # NaN at -0.5: a domain error, not an overflow
    assert diagnose.overflow(got, right, {"x": x}) is None
    assert diagnose.overflow(x, x + 1, {"x": x}) is None  # nothing non-finite at all


# -- a different activation ----------------------------------------------------------------------
@pytest.mark.parametrize("used,needed", [("tanh", "sigmoid"), ("sigmoid", "tanh"), ("relu", "tanh")])
def test_the_derivative_of_another_activation_is_named(rng, used, needed):
    x, dout = rng.standard_normal((4, 5)) * 2, rng.standard_normal((4, 5))
    got = dout * autograd_derivative(used, x)
    right = dout * autograd_derivative(needed, x)
    message = diagnose.other_function(got, right, x=x, dout=dout)
    assert f"the derivative of {used} at x" in message


def test_formulas_applied_to_the_wrong_value_are_named(rng):
    x, dout = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    t = np.tanh(x)
    right = dout * autograd_derivative("tanh", x)
    from_input = diagnose.other_function(dout * (1 - x * x), right, x=x, out=t, dout=dout)
    assert "1 - t**2" in from_input and "input x instead of the output" in from_input
    sigmoid_formula = diagnose.other_function(dout * t * (1 - t), right, x=x, out=t, dout=dout)
    assert "sigmoid's derivative formula" in sigmoid_formula and "this layer's output" in sigmoid_formula
    inverted = diagnose.other_function(dout * (x <= 0), dout * (x > 0), x=x, dout=dout)
    assert "inverted" in inverted


def test_an_activation_too_many_is_named(rng):
    logits = rng.standard_normal((5, 3))
    message = diagnose.other_function(np.maximum(logits, 0), logits)
    assert "relu of the right answer" in message


def test_the_right_derivative_is_never_named(rng):
    x, dout = np.abs(rng.standard_normal((3, 4))) + 0.1, rng.standard_normal((3, 4))
    right = dout * autograd_derivative("relu", x)  # x > 0: relu' = 1, so right == dout
    assert diagnose.other_function(right * 3, right, x=x, dout=dout) is None
    assert diagnose.other_function(right + 1.0, right, x=x, dout=dout) is None


# -- where it is wrong ---------------------------------------------------------------------------
def test_wrong_only_where_x_is_negative(rng):
    x, dout = rng.standard_normal((4, 6)), rng.standard_normal((4, 6))
    right = dout * (x > 0)
    assert diagnose.where_wrong(dout, right, {"x": x}) == "wrong only where x < 0"


def test_wrong_only_where_x_is_zero(rng):
    x, dout = rng.standard_normal((4, 6)), rng.standard_normal((4, 6))
    x[1, 2] = x[3, 0] = 0.0
    assert diagnose.where_wrong(dout * (x >= 0), dout * (x > 0), {"x": x}) == "wrong only where x == 0"


def test_wrong_only_where_the_input_is_large(rng):
    x = rng.standard_normal((4, 6))
    x[0, 0], x[2, 3] = 40.0, -50.0
    got = np.where(np.abs(x) > 30, 0.0, np.tanh(x))
    assert "|x| is large (|x| >= 40)" in diagnose.where_wrong(got, np.tanh(x), {"x": x})


def test_wrong_only_in_the_last_row_and_at_the_true_class(rng):
    logits, labels = rng.standard_normal((6, 4)), rng.integers(0, 4, size=6)
    right = rng.standard_normal((6, 4))
    last = right.copy()
    last[-1] += 1.0
    assert diagnose.where_wrong(last, right, {}) == "wrong only in the last row"
    one = right.copy()
    one[-1, 2] += 1.0
    assert diagnose.where_wrong(one, right, {}) == "wrong only in the last row (1 of its 4 entries)"
    true_class = right.copy()
    true_class[np.arange(6), labels] -= 1.0
    assert "true-class entries [i, y[i]]" in diagnose.where_wrong(true_class, right, {"logits": logits, "y": labels})


def test_whole_rows_and_scattered_entries(rng):
    right = rng.standard_normal((6, 5))
    rows = right.copy()
    rows[[1, 4]] *= 3
    assert "rows 1, 4 (of 6" in diagnose.where_wrong(rows, right, {})
    scattered = right.copy()
    scattered[0, 1] += 1
    scattered[3, 2] += 1
    assert diagnose.where_wrong(scattered, right, {}) == "wrong at 2 entries: (0, 1), (3, 2)"


def test_where_wrong_is_silent_when_all_or_nothing_is_wrong(rng):
    right = rng.standard_normal((3, 3))
    assert diagnose.where_wrong(right.copy(), right, {}) is None
    assert diagnose.where_wrong(right + 1, right, {}) is None


# -- consistency, describe, heatmaps -----------------------------------------------------------
def test_consistency_tells_forward_from_backward():
    a, b = np.array([1.0, 2.0]), np.array([1.5, 2.0])
    assert "forward is what is wrong" in diagnose.consistency(a, a, forward_ok=False, forward="f")
    assert "backward pass is wrong" in diagnose.consistency(a, b, forward_ok=True, forward="f")
    assert "both wrong" in diagnose.consistency(a, b, forward_ok=False, forward="f")
    assert diagnose.consistency(a, a, forward_ok=True, forward="f") == ""


def test_describe_tries_overflow_first_then_the_rest(rng):
    x, dout = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    right = dout * (x > 0)
    assert "wrong sign" in diagnose.describe(-right, right, inputs={"x": x}, x=x, dout=dout)
    assert "wrong only where x < 0" in diagnose.describe(dout, right, inputs={"x": x}, x=x, dout=dout)
    assert diagnose.describe("not an array", right) is None


def test_heatmap_is_plain_json_data_cropped_for_the_report(rng):
    got = rng.standard_normal((3, 40, 50))
    got[0, 0, 0] = np.nan
    picture = diagnose.heatmap("dx", got, np.zeros_like(got))
    assert picture["shape"] == [3, 40, 50]
    assert len(picture["student"]) == diagnose.HEATMAP_ROWS
    assert len(picture["student"][0]) == diagnose.HEATMAP_COLUMNS
    assert picture["student"][0][0] is None and picture["student"][0][1] == got[0, 0, 1]
    json.dumps(picture, allow_nan=False)
    assert diagnose.heatmap("dx", np.ones(3), np.ones(4)) is None
    assert diagnose.heatmap("y", np.float64(1.0), np.float64(2.0)) is None


def test_swapped_items_of_a_tuple_are_named():
    assert diagnose.swapped_items((0.25, 0.75, 0.375), (0.75, 0.25, 0.375)) == "items 0 and 1 are swapped"
    dx, dw = np.ones((2, 3)), np.arange(6.0).reshape(2, 3)
    assert diagnose.swapped_items((dw, dx), (dx, dw)) == "items 0 and 1 are swapped"
    assert diagnose.swapped_items((0.25, 0.5, 0.375), (0.75, 0.25, 0.375)) is None
    assert diagnose.swapped_items((0.5, 0.5), (0.5, 0.5)) is None
    assert diagnose.swapped_items((np.ones(3), (1.0, 2.0)), (np.ones(2), 0.5)) is None  # mixed items


@pytest.mark.parametrize("value", [(1.0, np.ones(3)), {"W": np.ones(2)}, "text", None, [np.ones(2), 2]])
def test_describe_never_fails_on_structured_results(value):
    assert diagnose.describe(value, value, inputs={"x": np.ones(3)}, batch=3) is None
    assert diagnose.describe(value, np.ones(3), inputs={"x": np.ones(3)}) is None


def test_numbers_are_only_called_off_by_a_named_factor():
    x = np.zeros((4, 5))
    assert "factor of the number of elements" in diagnose.describe(20 * 0.3, 0.3, inputs={"x": x}, batch=4)
    assert "factor of N, the batch size" in diagnose.describe(4 * 0.3, 0.3, inputs={"x": x}, batch=4)
    assert "wrong sign" in diagnose.describe(-0.3, 0.3)
    assert diagnose.describe(0.7, 0.3, inputs={"x": x}, batch=4) is None
    assert diagnose.describe(0.0, -0.3) is None  # not "relu of the right answer"
