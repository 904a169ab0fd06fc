"""Rubric for a1_backprop: layers, a fully connected network, and four answers.

Input generators take a NumPy Generator and return the call's arguments; the
grader draws them from a fresh seed per run, so hard-coded outputs fail.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from autograder.checks import (
    AccuracyCheck,
    AnswerCheck,
    Args,
    BatchMeanCheck,
    GradientCheck,
    LinearInDoutCheck,
    NoInPlaceCheck,
    PropertyCheck,
    ValueCheck,
)
from autograder.checks.accuracy import Split, TrainingRun, random_rotation, stratified_split
from autograder.data.circles import make_circles
from autograder.data.digits import load_digits
from autograder.rubrics.base import Rubric
from autograder.sandbox.client import Call, Ref


# -- input generators ------------------------------------------------------------
def linear_inputs(rng):
    return rng.standard_normal((4, 5)), rng.standard_normal((5, 3)), rng.standard_normal(3)


def activation_inputs(rng):
    x = rng.standard_normal((4, 6)) * 2.0
    x[np.abs(x) < 1e-3] = 0.5  # keep clear of relu's kink, where gradients are one-sided
    return (x,)


def logits_and_labels(rng, n=6, c=5):
    return rng.standard_normal((n, c)) * 3.0, rng.integers(0, c, size=n)


def regression_pair(rng):
    return rng.standard_normal((5, 3)), rng.standard_normal((5, 3))


def weighted_pair(rng):
    return rng.standard_normal(7), rng.standard_normal(7)


def small_mlp(rng, sizes=(6, 5, 4, 3), n=8):
    params = {}
    for l, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{l}"] = rng.standard_normal((a, b)) * np.sqrt(2.0 / a)
        params[f"b{l}"] = rng.standard_normal(b) * 0.1
    return params, rng.standard_normal((n, sizes[0])), rng.integers(0, sizes[-1], size=n)


def mlp_loss_inputs(activation):
    def make(rng):
        params, x, y = small_mlp(rng)
        return Args(params, x, y, activation=activation, reg=0.1)
    return make


def train_inputs(rng):
    params, x, y = small_mlp(rng, sizes=(6, 5, 3), n=23)
    return Args(params, x, y, lr=0.1, epochs=3, batch_size=5, reg=0.01, activation="tanh",
                seed=int(rng.integers(1000)), X_val=x[:7], y_val=y[:7])


# -- slips named by the value checks ---------------------------------------------
def penalises_biases(got, expected, call) -> bool:
    """mlp_loss's loss is the reference's plus reg * sum_l ||b_l||^2."""
    params, reg = call.args[0], call.kwargs["reg"]
    extra = reg * sum(float(np.sum(value ** 2)) for key, value in params.items() if key.startswith("b"))
    return isinstance(got, (float, np.floating)) and bool(np.isclose(got, expected + extra, rtol=1e-9))


def loss_rises(got, expected, call) -> bool:
    """train_sgd's history: the training loss rose over the epochs while the reference's fell."""
    try:
        mine, theirs = (np.asarray(value[1]["loss"], dtype=np.float64) for value in (got, expected))
    except (TypeError, KeyError, IndexError, ValueError):
        return False
    return mine.shape == theirs.shape and len(mine) > 1 and mine[-1] > mine[0] and theirs[-1] < theirs[0]


# -- data for the accuracy checks --------------------------------------------------
DIGITS_JITTER = 0.02     # std of the noise added to the rotated digits features


def digits_split(rng: np.random.Generator) -> Split:
    """The 8x8 digits scaled to [0, 1], disguised for this run: a stratified 70/30 split
    drawn from ``rng``, the 64 features turned by a random rotation and jittered by
    N(0, DIGITS_JITTER^2), the class ids permuted. A network learns it as well as the
    plain data (its initial weights are isotropic), but predict() cannot find its inputs
    in a copy of the data set: (M, 64) features, labels in [0, 10)."""
    pixels, labels = load_digits()
    features = pixels / 16.0 @ random_rotation(rng, pixels.shape[1])
    features += rng.normal(0.0, DIGITS_JITTER, features.shape)
    return stratified_split(rng, features, rng.permutation(10)[labels], test_fraction=0.3)


def circles_split(rng: np.random.Generator) -> Split:
    """Two noisy concentric circles (600 points, noise 0.1, factor 0.5) drawn for this run,
    a stratified 70/30 split: (M, 2) points; which circle is class 0 is drawn too."""
    points, labels = make_circles(rng, n=600, noise=0.1, factor=0.5)
    return stratified_split(rng, points, rng.permutation(2)[labels], test_fraction=0.3)


def mlp_training(sizes: list[int], lr: float, epochs: int,
                 batch_size: int = 32) -> Callable[[Split], TrainingRun]:
    """init_mlp(sizes, seed=0), train_sgd on the split's training part, predict its test inputs."""
    def run(split: Split) -> TrainingRun:
        return TrainingRun([Call("network:init_mlp", (list(sizes),), {"seed": 0}, ret=False),
                            Call("network:train_sgd", (Ref(0), split.x_train, split.y_train),
                                 {"lr": lr, "epochs": epochs, "batch_size": batch_size, "seed": 0}, pick=1),
                            Call("network:predict", (Ref(1, 0), split.x_test))],
                           predictions=2, history=1)
    return run


# -- one-off properties ---------------------------------------------------------------
def init_mlp_statistics(ctx, check):
    """Shapes, zero biases, N(0, 2 / fan_in) weights, and reproducibility from the seed."""
    sizes = [300, 200, 10]
    a, b, c = ctx.sandbox.run([Call("network:init_mlp", (sizes,), {"seed": 3}),
                               Call("network:init_mlp", (sizes,), {"seed": 3}),
                               Call("network:init_mlp", (sizes,), {"seed": 4})], timeout=check.timeout)
    for outcome in (a, b, c):
        if not outcome.ok:
            return 0.0, f"init_mlp: {outcome.error}"
    params = a.value
    expected_keys = {"W1", "b1", "W2", "b2"}
    if type(params) is not dict or set(params) != expected_keys:
        return 0.0, f"init_mlp([300, 200, 10]) should return a dict with keys {sorted(expected_keys)}"
    for l, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        W, bias = params[f"W{l}"], params[f"b{l}"]
        if type(W) is not np.ndarray or W.shape != (fan_in, fan_out) or W.dtype != np.float64:
            return 0.0, f"W{l} should be a float64 array of shape {(fan_in, fan_out)}"
        if type(bias) is not np.ndarray or bias.shape != (fan_out,) or np.any(bias != 0):
            return 0.0, f"b{l} should be zeros of shape {(fan_out,)}"
        std, target = float(W.std()), float(np.sqrt(2.0 / fan_in))
        if abs(float(W.mean())) > 4 * target / np.sqrt(W.size) or abs(std / target - 1) > 0.05:
            return 0.0, (f"W{l} has mean {W.mean():.3g} and std {std:.4g}; He initialisation draws "
                         f"N(0, 2 / fan_in), i.e. std {target:.4g}")
    if not all(np.array_equal(params[k], b.value.get(k)) for k in params):
        return 0.0, "init_mlp gives different weights for the same seed: use np.random.default_rng(seed)"
    if all(np.array_equal(params[k], c.value.get(k)) for k in params):
        return 0.0, "init_mlp ignores its seed: different seeds give the same weights"
    return 1.0, ""


# -- the rubric -----------------------------------------------------------------------
checks = [
    ValueCheck("linear_forward", 2, "layers:linear_forward", inputs=linear_inputs, pick=0),
    GradientCheck("linear_backward", 3, "layers:linear_forward", "layers:linear_backward",
                  inputs=linear_inputs, names=("x", "W", "b")),
    LinearInDoutCheck("linear_backward is linear in dout", 1, "layers:linear_forward",
                      "layers:linear_backward", inputs=linear_inputs, requires="linear_backward"),
    ValueCheck("relu_forward", 1, "layers:relu_forward", inputs=activation_inputs, pick=0),
    GradientCheck("relu_backward", 1, "layers:relu_forward", "layers:relu_backward",
                  inputs=activation_inputs, names=("x",)),
    ValueCheck("sigmoid_forward", 1, "layers:sigmoid_forward", inputs=activation_inputs, pick=0),
    ValueCheck("sigmoid_forward at +-1000", 1, "layers:sigmoid_forward", pick=0,
               inputs=lambda rng: (np.array([[-1000.0, -745.0, -30.0, 0.0, 30.0, 745.0, 1000.0]]),),
               atol=1e-300),
    GradientCheck("sigmoid_backward", 1, "layers:sigmoid_forward", "layers:sigmoid_backward",
                  inputs=activation_inputs, names=("x",)),
    ValueCheck("tanh_forward", 1, "layers:tanh_forward", inputs=activation_inputs, pick=0),
    GradientCheck("tanh_backward", 1, "layers:tanh_forward", "layers:tanh_backward",
                  inputs=activation_inputs, names=("x",)),
    ValueCheck("softmax", 1, "layers:softmax", inputs=lambda rng: (rng.standard_normal((5, 4)) * 3,)),
    ValueCheck("softmax at +-1e4", 1, "layers:softmax", atol=1e-300,
               inputs=lambda rng: (np.array([[1e4, -1e4, 0.0], [1e4, 1e4 - 1.0, -1e4],
                                             [-1e4, -1e4, -1e4]]),)),
    GradientCheck("softmax_cross_entropy", 2, "layers:softmax_cross_entropy", mode="loss",
                  inputs=logits_and_labels, names=("logits",)),
    BatchMeanCheck("softmax_cross_entropy is a batch mean", 1, "layers:softmax_cross_entropy",
                   inputs=logits_and_labels, requires="softmax_cross_entropy"),
    GradientCheck("mse_loss", 1, "layers:mse_loss", mode="loss", inputs=regression_pair,
                  names=("pred",)),
    BatchMeanCheck("mse_loss is a mean", 1, "layers:mse_loss", inputs=regression_pair, requires="mse_loss"),
    ValueCheck("weighted_square_sum", 1, "layers:weighted_square_sum", inputs=weighted_pair),
    GradientCheck("weighted_square_sum_backward", 1, "layers:weighted_square_sum",
                  "layers:weighted_square_sum_backward", mode="function", inputs=weighted_pair,
                  names=("w", "x")),
    PropertyCheck("init_mlp", 2, init_mlp_statistics),
    ValueCheck("mlp_forward (relu)", 2, "network:mlp_forward", pick=0,
               inputs=lambda rng: Args(*small_mlp(rng)[:2], activation="relu")),
    ValueCheck("mlp_forward (sigmoid, tanh)", 1, "network:mlp_forward", pick=0,
               inputs=lambda rng: Args(*small_mlp(rng)[:2], activation=("sigmoid", "tanh")[rng.integers(2)])),
    ValueCheck("mlp_loss value", 1, "network:mlp_loss", pick=0, inputs=mlp_loss_inputs("relu"),
               hint="The penalty is reg * sum of ||W_l||^2 over the weights only: the biases are not "
                    "regularised.", hint_when=penalises_biases),
    GradientCheck("mlp_loss gradients", 3, "network:mlp_loss", mode="loss",
                  inputs=mlp_loss_inputs("relu"), names=("params",)),
    GradientCheck("mlp_loss gradients (tanh)", 1, "network:mlp_loss", mode="loss",
                  inputs=mlp_loss_inputs("tanh"), names=("params",)),
    ValueCheck("predict", 1, "network:predict", inputs=lambda rng: small_mlp(rng)[:2]),
    ValueCheck("train_sgd trajectory", 2, "network:train_sgd", inputs=train_inputs, rtol=1e-6,
               atol=1e-9, hint="Your training loss rises from epoch to epoch while the reference's falls: "
                               "check the sign of the update, params - lr * grads.", hint_when=loss_rises),
    NoInPlaceCheck("inputs are not modified in place", 1, [
        ("layers:linear_forward", linear_inputs, "linear_forward"),
        ("layers:relu_forward", activation_inputs, "relu_forward"),
        ("layers:sigmoid_forward", activation_inputs, "sigmoid_forward"),
        ("layers:tanh_forward", activation_inputs, "tanh_forward"),
        ("layers:softmax", lambda rng: (rng.standard_normal((5, 4)),), "softmax"),
        ("layers:softmax_cross_entropy", logits_and_labels, "softmax_cross_entropy"),
        ("layers:mse_loss", regression_pair, "mse_loss"),
        ("network:mlp_loss", mlp_loss_inputs("relu"), "mlp_loss value"),
        ("network:train_sgd", train_inputs, "train_sgd trajectory"),
    ]),
    AccuracyCheck("digits accuracy", 3, dataset=digits_split,
                  training=mlp_training([64, 64, 10], lr=0.1, epochs=20), floor=0.80, target=0.92,
                  timeout=60),
    AccuracyCheck("circles accuracy", 2, dataset=circles_split,
                  training=mlp_training([2, 32, 32, 2], lr=0.1, epochs=50), floor=0.60, target=0.93,
                  timeout=60),
    AnswerCheck("MLP_784_10_10_PARAMS", 1, "answers:MLP_784_10_10_PARAMS", rtol=0),
    AnswerCheck("MLP_784_300_10_PARAMS", 1, "answers:MLP_784_300_10_PARAMS", rtol=0),
    AnswerCheck("CHANCE_ACCURACY_10_CLASSES", 1, "answers:CHANCE_ACCURACY_10_CLASSES"),
    AnswerCheck("INITIAL_LOSS_10_CLASSES", 1, "answers:INITIAL_LOSS_10_CLASSES", rtol=1e-4),
]

RUBRIC = Rubric(
    id="a1_backprop",
    title="Backpropagation from scratch",
    modules=["layers", "network", "answers"],
    checks=checks,
    timeout=10.0,
    notebook="a1_backprop.ipynb",
)
