"""Rubric for a2_losses: loss functions with their gradients, classification
metrics, and the screening question.

Input generators take a NumPy Generator and return the call's arguments; the
grader draws them from a fresh seed per run, so hard-coded outputs fail.
Besides values and gradients, property checks look at what tame inputs miss:
sigmoid and bce_with_logits at |s| = 1000, the clip in binary_cross_entropy,
rmse_loss at zero error, focal_loss with gamma 0 against binary
cross-entropy, label smoothing 0 against softmax cross-entropy, the rows of
the softmax Jacobian, and arctan_loss being a sum.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograder.checks import (
    AnswerCheck,
    Args,
    BatchMeanCheck,
    Check,
    Context,
    GradientCheck,
    NoInPlaceCheck,
    PropertyCheck,
    RaisesCheck,
    ValueCheck,
)
from autograder.checks.compare import conform, relative_error, worst_mismatch
from autograder.checks.values import has_non_finite
from autograder.rubrics.base import Rubric
from autograder.sandbox.client import Call, Outcome

Pair = tuple[np.ndarray, np.ndarray]


def wrong_only_where_not(mask_of: Callable[[Args], np.ndarray]) -> Callable[..., bool]:
    """A hint_when for a (loss, gradient) value: NaN/inf, or a gradient that is right
    wherever ``mask_of(call)`` is True (so the failure is on the edge entries, or in
    the loss alone)."""
    def applies(got: Any, expected: Any, call: Args | None = None) -> bool:
        if has_non_finite(got):
            return True
        if call is None or type(got) is not tuple or len(got) != 2 or conform(got[1], expected[1]):
            return False
        mask = mask_of(call)
        return bool(np.allclose(got[1][mask], expected[1][mask], rtol=1e-7, atol=1e-10))
    return applies


# -- input generators ------------------------------------------------------------
def probability_pair(rng: np.random.Generator, shape: tuple[int, int] = (4, 3)) -> Pair:
    """Probabilities well inside (0, 1) and soft targets."""
    return rng.uniform(0.05, 0.95, size=shape), rng.uniform(0.0, 1.0, size=shape)


def clipped_probability_pair(rng: np.random.Generator) -> Pair:
    """Probabilities that include 0, 1 and values beyond the clip, soft targets in (0, 1)."""
    p = rng.uniform(0.05, 0.95, size=(3, 4))
    edges = np.array([0.0, 1.0, 1e-14, 1.0 - 1e-14])
    p.reshape(-1)[rng.choice(p.size, size=edges.size, replace=False)] = edges
    return p, rng.uniform(0.05, 0.95, size=p.shape)


def logit_pair(rng: np.random.Generator) -> Pair:
    return rng.standard_normal((4, 3)) * 3.0, rng.uniform(0.0, 1.0, size=(4, 3))


def extreme_logit_pair(rng: np.random.Generator) -> Pair:
    """Logits of +-1000 (and a few tame ones) with hard and soft targets."""
    s = rng.choice([-1000.0, 1000.0], size=(2, 5))
    s[1, :2] = rng.standard_normal(2) * 3.0
    t = rng.choice([0.0, 1.0], size=(2, 5))
    t[0, 0], t[0, 1] = 1.0, 0.0
    s[0, 0], s[0, 1] = -1000.0, 1000.0      # the two "completely wrong" cases
    t[1, 4] = 0.3
    return s, t


def logits_and_labels(rng: np.random.Generator, n: int = 6, c: int = 5) -> Pair:
    return rng.standard_normal((n, c)) * 3.0, rng.integers(0, c, size=n)


def large_logits_with_smoothing(rng: np.random.Generator) -> Args:
    logits, y = logits_and_labels(rng, n=5, c=4)
    logits[0, 0], logits[1, 2], logits[2, 1], logits[2, 3] = 1e4, -1e4, 1e4, 1e4 - 1.0
    return Args(logits, y, smoothing=float(rng.uniform(0.05, 0.4)))


def focal_other_gamma(rng: np.random.Generator) -> Args:
    p, t = probability_pair(rng)
    return Args(p, t, gamma=float(rng.choice([0.5, 1.0, 3.0])))


def dice_inputs(rng: np.random.Generator) -> Pair:
    return rng.uniform(0.0, 1.0, size=(4, 5)), (rng.uniform(size=(4, 5)) < 0.3).astype(np.float64)


def empty_masks(rng: np.random.Generator) -> Args:
    shape = (int(rng.integers(2, 5)), int(rng.integers(2, 5)))
    return Args(np.zeros(shape), np.zeros(shape), eps=float(rng.choice([0.5, 1.0, 2.0])))


def regression_pair(rng: np.random.Generator) -> Pair:
    return rng.standard_normal((5, 3)), rng.standard_normal((5, 3))


def zero_error_pair(rng: np.random.Generator) -> Pair:
    pred = rng.standard_normal((4, 3))
    return pred, pred.copy()


def small_params(rng: np.random.Generator) -> tuple[dict[str, np.ndarray], float]:
    params = {"W1": rng.standard_normal((4, 3)), "b1": rng.standard_normal(3),
              "W2": rng.standard_normal((3, 2)), "b2": rng.standard_normal(2)}
    return params, float(rng.uniform(0.01, 1.0))


def class_labels(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, int]:
    c = int(rng.integers(3, 6))
    n = 40
    return rng.integers(0, c, size=n), rng.integers(0, c, size=n), c


def binary_labels(rng: np.random.Generator) -> Pair:
    y_true = (rng.uniform(size=30) < 0.4).astype(np.int64)
    y_pred = (rng.uniform(size=30) < 0.5).astype(np.int64)
    return y_true, y_pred


def labels_with_positive(rng: np.random.Generator) -> Args:
    """Three classes; the positive class is not 1, and nothing is predicted as it."""
    y_true = rng.integers(0, 3, size=25)
    y_true[:3] = 2
    y_pred = rng.integers(0, 2, size=25)
    return Args(y_true, y_pred, positive=2)


def precision_counts(rng: np.random.Generator) -> tuple[int, int, int]:
    """Fewer errors than positives, as in the screening question."""
    positives = int(rng.integers(4, 11))
    return int(rng.integers(30, 81)), positives, int(rng.integers(1, positives))


def precision_counts_many_errors(rng: np.random.Generator) -> tuple[int, int, int]:
    """More errors than positives: at most `positives` of them can be false negatives."""
    positives = int(rng.integers(3, 9))
    return int(rng.integers(30, 81)), positives, positives + int(rng.integers(1, 5))


def recall_counts(rng: np.random.Generator) -> tuple[int, int, int]:
    """errors == positives: one split (every positive missed) predicts nothing positive."""
    positives = int(rng.integers(3, 9))
    return int(rng.integers(30, 81)), positives, positives


# -- one-off properties -------------------------------------------------------------
@dataclass(frozen=True)
class LossAndGradient:
    """What a loss function returned, checked: the loss as a float and the gradient array."""

    loss: float
    gradient: np.ndarray


def read_loss_and_gradient(outcome: Outcome, label: str) -> LossAndGradient | str:
    """The (loss, gradient) pair a call returned, or a message saying why it is not one."""
    if not outcome.ok:
        return f"{label}: {outcome.error}"
    value = outcome.value
    if type(value) is not tuple or len(value) != 2 or type(value[1]) is not np.ndarray:
        return f"{label} should return a (loss, gradient) pair"
    try:
        loss = float(value[0])
    except (TypeError, ValueError):
        return f"{label}'s loss should be a number"
    return LossAndGradient(loss, value[1])


def jacobian_rows_sum_to_zero(ctx: Context, check: Check) -> tuple[float, str]:
    """Every row of the softmax Jacobian sums to 0 (the probabilities always sum to 1)."""
    rng = ctx.rng(check.name)
    vectors = [rng.standard_normal(c) * 4.0 for c in (3, 6)]
    outcomes = ctx.sandbox.run([Call("losses:softmax_jacobian", (z,)) for z in vectors],
                               timeout=check.timeout)
    for z, outcome in zip(vectors, outcomes):
        if not outcome.ok:
            return 0.0, f"softmax_jacobian: {outcome.error}"
        J = outcome.value
        c = z.size
        if type(J) is not np.ndarray or J.shape != (c, c):
            return 0.0, f"softmax_jacobian of a vector of {c} logits should be a ({c}, {c}) array"
        if not np.all(np.isfinite(J)):
            return 0.0, "softmax_jacobian contains NaN or infinite values"
        sums = J.sum(axis=1)
        if np.max(np.abs(sums)) > 1e-10:
            return 0.0, (f"the rows of softmax_jacobian should sum to 0 (adding a constant to every "
                         f"logit changes nothing), but they sum to {np.round(sums, 4).tolist()}: "
                         "J[i, j] = p_i (delta_ij - p_j)")
    return 1.0, ""


def _softmax_cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Plain softmax cross-entropy and its gradient, computed by the grader."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = logits.shape[0]
    onehot = np.eye(logits.shape[1])[y]
    return float(-np.sum(onehot * log_probs) / n), (np.exp(log_probs) - onehot) / n


def smoothing_zero_is_cross_entropy(ctx: Context, check: Check) -> tuple[float, str]:
    """label_smoothing_cross_entropy(..., smoothing=0) is softmax cross-entropy."""
    logits, y = logits_and_labels(ctx.rng(check.name), n=7, c=4)
    outcome = ctx.sandbox.run([Call("losses:label_smoothing_cross_entropy", (logits, y),
                                    {"smoothing": 0.0})], timeout=check.timeout)[0]
    got = read_loss_and_gradient(outcome, "label_smoothing_cross_entropy")
    if isinstance(got, str):
        return 0.0, got
    expected = _softmax_cross_entropy(logits, y)
    problem = conform(got.gradient, expected[1], "dlogits")
    if problem:
        return 0.0, problem
    wrong = []
    if not np.isclose(got.loss, expected[0], rtol=1e-7, atol=1e-10):
        wrong.append(f"the loss is {got.loss:.6g}, softmax cross-entropy is {expected[0]:.6g}")
    if relative_error(got.gradient, expected[1]) > 1e-6:
        wrong.append("the gradient is not (softmax(logits) - onehot(y)) / N")
    if wrong:
        return 0.0, ("with smoothing=0 the target is one-hot, so the loss must equal softmax "
                     "cross-entropy: " + "; ".join(wrong))
    return 1.0, ""


def focal_gamma_zero_is_bce(ctx: Context, check: Check) -> tuple[float, str]:
    """focal_loss(p, t, gamma=0) equals binary_cross_entropy(p, t), clip included."""
    p, t = clipped_probability_pair(ctx.rng(check.name))
    expected = ctx.expected(check, "bce",
                            lambda ref: ref.get("losses:binary_cross_entropy")(p.copy(), t.copy()))
    outcome = ctx.sandbox.run([Call("losses:focal_loss", (p, t), {"gamma": 0.0})],
                              timeout=check.timeout)[0]
    got = read_loss_and_gradient(outcome, "focal_loss")
    if isinstance(got, str):
        return 0.0, got
    pair = (got.loss, got.gradient)
    problem = conform(pair, expected, "focal_loss(p, t, gamma=0)")
    if problem:
        return 0.0, problem + " (p contains 0 and 1: clip it as binary_cross_entropy does)"
    mismatch = worst_mismatch(pair, expected, 1e-7, 1e-10)
    if mismatch:
        part = "loss" if mismatch[1] == "[0]" else "gradient"
        return 0.0, (f"with gamma=0 the focal loss is binary cross-entropy, but the {part} differs "
                     f"from binary_cross_entropy's (largest error {mismatch[0]:.3g}); check the "
                     "clip and the gradient through it too")
    return 1.0, ""


def arctan_is_a_sum(ctx: Context, check: Check) -> tuple[float, str]:
    """arctan_loss sums over elements: repeating the input doubles the loss and
    leaves each element's gradient unchanged."""
    pred, target = regression_pair(ctx.rng(check.name))
    doubled = (np.concatenate([pred, pred]), np.concatenate([target, target]))
    first, second = ctx.sandbox.run([Call("losses:arctan_loss", (pred, target)),
                                     Call("losses:arctan_loss", doubled)], timeout=check.timeout)
    one = read_loss_and_gradient(first, "arctan_loss")
    if isinstance(one, str):
        return 0.0, one
    two = read_loss_and_gradient(second, "arctan_loss")
    if isinstance(two, str):
        return 0.0, two
    if not np.isclose(two.loss, 2.0 * one.loss, rtol=1e-9, atol=1e-12):
        mean = np.isclose(two.loss, one.loss)
        hint = " — it is a mean, but the loss is a SUM over elements" if mean else ""
        return 0.0, (f"repeating the input twice should double the loss, but it went from "
                     f"{one.loss:.6g} to {two.loss:.6g}{hint}")
    if two.gradient.shape != doubled[0].shape or \
            relative_error(two.gradient[:len(pred)], one.gradient) > 1e-7:
        return 0.0, ("repeating the input twice should leave each element's gradient unchanged "
                     "(the loss is a sum): divide by nothing")
    return 1.0, ""


# -- the rubric -----------------------------------------------------------------------
checks = [
    ValueCheck("sigmoid", 1, "losses:sigmoid", inputs=lambda rng: (rng.standard_normal((4, 5)) * 4.0,)),
    ValueCheck("sigmoid at +-1000", 1, "losses:sigmoid", atol=1e-300,
               inputs=lambda rng: (rng.permutation(np.array([-1000.0, -745.0, -30.0, 0.0, 30.0,
                                                             745.0, 1000.0])),)),
    ValueCheck("softmax_jacobian", 2, "losses:softmax_jacobian",
               inputs=lambda rng: (rng.standard_normal(int(rng.integers(4, 7))) * 2.0,)),
    PropertyCheck("softmax_jacobian rows sum to 0", 1, jacobian_rows_sum_to_zero),
    ValueCheck("softmax_jacobian at large logits", 1, "losses:softmax_jacobian", atol=1e-300,
               inputs=lambda rng: (rng.permutation(np.array([1e4, -1e4, 1e4 - 1.0, 0.0])),)),
    ValueCheck("binary_cross_entropy value", 1, "losses:binary_cross_entropy", pick=0,
               inputs=probability_pair),
    GradientCheck("binary_cross_entropy", 2, "losses:binary_cross_entropy", mode="loss",
                  inputs=probability_pair, names=("p",)),
    ValueCheck("binary_cross_entropy clipping", 1, "losses:binary_cross_entropy",
               inputs=clipped_probability_pair,
               hint_when=wrong_only_where_not(lambda call: (call.args[0] > 1e-12)
                                            & (call.args[0] < 1.0 - 1e-12)),
               hint="p holds 0, 1 and values beyond [1e-12, 1 - 1e-12]: clip p before the "
                    "logs, and make dp 0 wherever the clip is active, as autograd through "
                    "torch.clamp does"),
    BatchMeanCheck("binary_cross_entropy is a mean", 1, "losses:binary_cross_entropy",
                   inputs=probability_pair),
    ValueCheck("bce_with_logits value", 1, "losses:bce_with_logits", pick=0, inputs=logit_pair),
    GradientCheck("bce_with_logits", 2, "losses:bce_with_logits", mode="loss", inputs=logit_pair,
                  names=("s",)),
    ValueCheck("bce_with_logits at +-1000", 2, "losses:bce_with_logits", rtol=1e-12,
               inputs=extreme_logit_pair,
               hint_when=wrong_only_where_not(lambda call: np.abs(call.args[0]) < 100),
               hint="At |s| = 1000 work from the logit itself: max(s, 0) - t s + "
                    "log1p(exp(-|s|)), with no log of a rounded or clipped probability"),
    ValueCheck("label_smoothing_cross_entropy value", 1, "losses:label_smoothing_cross_entropy",
               pick=0, inputs=logits_and_labels),
    GradientCheck("label_smoothing_cross_entropy", 2, "losses:label_smoothing_cross_entropy",
                  mode="loss", inputs=logits_and_labels, names=("logits",)),
    PropertyCheck("label smoothing 0 is softmax cross-entropy", 1, smoothing_zero_is_cross_entropy),
    ValueCheck("label_smoothing_cross_entropy at large logits", 1,
               "losses:label_smoothing_cross_entropy", inputs=large_logits_with_smoothing,
               hint="Some logits are 1e4: use a log-softmax (subtract each row's maximum "
                    "before exp) so that nothing overflows"),
    ValueCheck("focal_loss value", 1, "losses:focal_loss", pick=0, inputs=probability_pair),
    GradientCheck("focal_loss", 2, "losses:focal_loss", mode="loss", inputs=probability_pair,
                  names=("p",)),
    ValueCheck("focal_loss with other gammas", 1, "losses:focal_loss", inputs=focal_other_gamma),
    PropertyCheck("focal_loss with gamma 0 is binary_cross_entropy", 1, focal_gamma_zero_is_bce),
    ValueCheck("dice_loss value", 1, "losses:dice_loss", pick=0, inputs=dice_inputs),
    GradientCheck("dice_loss", 2, "losses:dice_loss", mode="loss", inputs=dice_inputs, names=("p",)),
    ValueCheck("dice_loss on empty masks", 1, "losses:dice_loss", inputs=empty_masks,
               hint="With p and t all zero only eps keeps the ratio defined (it is 1, so "
                    "the loss is 0): add eps to both the numerator and the denominator"),
    ValueCheck("rmse_loss value", 1, "losses:rmse_loss", pick=0, inputs=regression_pair),
    GradientCheck("rmse_loss", 2, "losses:rmse_loss", mode="loss", inputs=regression_pair,
                  names=("pred",)),
    ValueCheck("rmse_loss at zero error", 1, "losses:rmse_loss", inputs=zero_error_pair,
               hint="Here pred == target: put eps inside the square root, so that the "
                    "gradient e / (N * loss) is 0 instead of 0 / 0"),
    ValueCheck("arctan_loss value", 1, "losses:arctan_loss", pick=0, inputs=regression_pair),
    GradientCheck("arctan_loss", 2, "losses:arctan_loss", mode="loss", inputs=regression_pair,
                  names=("pred",)),
    PropertyCheck("arctan_loss is a sum", 1, arctan_is_a_sum),
    ValueCheck("l2_penalty value", 1, "losses:l2_penalty", pick=0, inputs=small_params),
    GradientCheck("l2_penalty gradients", 2, "losses:l2_penalty", mode="loss", inputs=small_params,
                  names=("params",)),
    NoInPlaceCheck("inputs are not modified in place", 1, [
        ("losses:sigmoid", lambda rng: (rng.standard_normal((3, 4)),)),
        ("losses:softmax_jacobian", lambda rng: (rng.standard_normal(4),)),
        ("losses:binary_cross_entropy", clipped_probability_pair),
        ("losses:bce_with_logits", logit_pair),
        ("losses:label_smoothing_cross_entropy", logits_and_labels),
        ("losses:focal_loss", clipped_probability_pair),
        ("losses:dice_loss", dice_inputs),
        ("losses:rmse_loss", regression_pair),
        ("losses:arctan_loss", regression_pair),
        ("losses:l2_penalty", small_params),
    ]),
    ValueCheck("confusion_matrix", 2, "metrics:confusion_matrix", inputs=class_labels, atol=0),
    ValueCheck("precision_recall_f1", 2, "metrics:precision_recall_f1", inputs=binary_labels),
    ValueCheck("precision_recall_f1 where undefined", 1, "metrics:precision_recall_f1",
               inputs=labels_with_positive),
    ValueCheck("precision_bounds", 2, "metrics:precision_bounds", inputs=precision_counts),
    ValueCheck("precision_bounds with more errors than positives", 1, "metrics:precision_bounds",
               inputs=precision_counts_many_errors),
    ValueCheck("recall_bounds", 2, "metrics:recall_bounds", inputs=recall_counts),
    # more errors than samples; every subject positive and missed
    RaisesCheck("bounds raise ValueError", 1,
                [(f"metrics:{fn}", case) for case in [(10, 3, 11), (8, 8, 8)]
                 for fn in ("precision_bounds", "recall_bounds")],
                why="no split of the errors is allowed, so raise ValueError"),
    AnswerCheck("WORST_PRECISION", 1, "answers:WORST_PRECISION", rtol=1e-4),
    AnswerCheck("BEST_PRECISION", 1, "answers:BEST_PRECISION", rtol=1e-4),
    AnswerCheck("WORST_RECALL", 1, "answers:WORST_RECALL", rtol=1e-4),
    AnswerCheck("BEST_RECALL", 1, "answers:BEST_RECALL", rtol=1e-4),
    AnswerCheck("ALL_NEGATIVE_ACCURACY", 1, "answers:ALL_NEGATIVE_ACCURACY", rtol=1e-4),
]

RUBRIC = Rubric(
    id="a2_losses",
    title="Loss functions, gradients and metrics",
    modules=["losses", "metrics", "answers"],
    checks=checks,
    timeout=10.0,
    notebook="a2_losses.ipynb",
)
