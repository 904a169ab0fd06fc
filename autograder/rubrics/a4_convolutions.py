"""Rubric for a4_convolutions: output sizes and parameter counts, two layer
tables, and NumPy convolution, max pooling, batch norm and dropout layers.

Input generators take a NumPy Generator and return the call's arguments; the
grader draws them from a fresh seed per run, so hard-coded outputs fail. The
inputs are small enough that a six-nested-loop Python convolution takes well
under a second per call (tests/a4_convolutions checks this).

Wrong answers are explained by "slips": the rubric recomputes what a common
mistake would give (a flipped kernel, ceil instead of floor, biases counted
in the weights, ...; rubrics/convolution_slips.py) and names the mistake when
the submission matches it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from autograder.checks import (
    AnswerCheck,
    Args,
    CasesCheck,
    Check,
    Context,
    GradientCheck,
    LinearInDoutCheck,
    NoInPlaceCheck,
    PropertyCheck,
    RaisesCheck,
    TableCheck,
    ValueCheck,
)
from autograder.report.model import Status
from autograder.rubrics.base import Rubric
from autograder.rubrics.convolution_slips import (
    COLUMNS,
    TABLE_SLIPS,
    Layer,
    batchnorm_param_slips,
    batchnorm_slips,
    conv_param_slips,
    conv_size_slips,
    conv_slips,
    dropout_slips,
    dropout_test_slips,
    layer_table,
    linear_param_slips,
    maxpool_gradient_routed_to,
    pool_size_slips,
    receptive_field_slips,
    table_explainer,
)
from autograder.sandbox.client import Call, Ref

Inputs = Callable[[np.random.Generator], Args]


@dataclass(frozen=True)
class Net:
    """A question for layer_table: the input's (H, W, C) and the layers, as SPEC.md writes them."""

    input_shape: tuple[int, int, int]
    layers: list[Layer]


# The nets of SPEC.md as layer dicts (the questions; the answers come from the reference).
ALEXNET_INPUT = (256, 256, 3)
ALEXNET_LAYERS = [
    {"type": "conv", "name": "conv1", "out_channels": 64, "kernel": 7, "stride": 2, "padding": 0},
    {"type": "maxpool", "name": "pool1", "kernel": 3, "stride": 2},
    {"type": "conv", "name": "conv2", "out_channels": 256, "kernel": 5, "padding": 2},
    {"type": "maxpool", "name": "pool2", "kernel": 3, "stride": 2},
    {"type": "conv", "name": "conv3", "out_channels": 512, "kernel": 3, "padding": 1},
    {"type": "conv", "name": "conv4", "out_channels": 512, "kernel": 3, "padding": 1},
    {"type": "conv", "name": "conv5", "out_channels": 512, "kernel": 3, "padding": 1},
    {"type": "maxpool", "name": "pool3", "kernel": 3, "stride": 2},
    {"type": "fc", "name": "fc1", "out_features": 4096},
    {"type": "fc", "name": "fc2", "out_features": 4096},
    {"type": "fc", "name": "fc3", "out_features": 1000},
]
CIFAR_NET_INPUT = (32, 32, 3)
CIFAR_NET_LAYERS = [
    {"type": "conv", "name": "conv1", "out_channels": 32, "kernel": 5, "padding": 2},
    {"type": "maxpool", "name": "pool1", "kernel": 2},
    {"type": "conv", "name": "conv2", "out_channels": 64, "kernel": 5, "padding": 2},
    {"type": "maxpool", "name": "pool2", "kernel": 2},
    {"type": "conv", "name": "conv3", "out_channels": 64, "kernel": 5, "padding": 2},
    {"type": "maxpool", "name": "pool3", "kernel": 2},
    {"type": "fc", "name": "fc4", "out_features": 1000},
    {"type": "fc", "name": "fc5", "out_features": 10},
]


def random_net(rng: np.random.Generator) -> Net:
    """Conv, pool, conv, pool, fc, fc with random sizes (SPEC.md's keys only) that every
    table slip can still compute."""
    while True:
        input_shape = (int(rng.integers(16, 40)), int(rng.integers(16, 40)), int(rng.integers(1, 5)))
        layers = []
        for i in (1, 2):
            layers.append({"type": "conv", "name": f"conv{i}", "out_channels": int(rng.integers(2, 9)),
                           "kernel": int(rng.choice([3, 5])), "stride": int(rng.integers(1, 3)),
                           "padding": int(rng.integers(1, 3))})
            pool = {"type": "maxpool", "name": f"pool{i}", "kernel": int(rng.integers(2, 4))}
            if i == 2:
                pool["stride"] = int(rng.integers(1, 3))
            layers.append(pool)
        layers += [{"type": "fc", "name": "fc1", "out_features": int(rng.integers(5, 21))},
                   {"type": "fc", "name": "fc2", "out_features": int(rng.integers(2, 11))}]
        # every slip must still give a table, so that wrong cells can be explained
        if all(layer_table(input_shape, layers, slip) is not None
               for slip in (None, *(s.key for s in TABLE_SLIPS))):
            return Net(input_shape, layers)


# -- one-off properties ---------------------------------------------------------------
def layer_table_random_nets(ctx: Context, check: Check) -> tuple[float, str]:
    """layer_table on two random nets, cell by cell with partial credit."""
    rng = ctx.rng(check.name)
    nets = [random_net(rng) for _ in range(2)]
    expected = ctx.expected(check, "tables", lambda ref: [
        ref.get("shapes:layer_table")(net.input_shape, [dict(layer) for layer in net.layers])
        for net in nets])
    outcomes = ctx.sandbox.run([Call("shapes:layer_table", (net.input_shape, net.layers)) for net in nets],
                               timeout=check.timeout)
    fractions, messages = [], []
    for net, outcome, want in zip(nets, outcomes, expected):
        if not outcome.ok:
            fractions.append(0.0)
            messages.append(f"layer_table: {outcome.error}")
            continue
        table = TableCheck("layer_table", 1, "shapes:layer_table", columns=COLUMNS,
                           explain=table_explainer(net.input_shape, net.layers))
        result = table.compare(outcome.value, want)
        fractions.append(result.score)
        if result.status != Status.PASSED:
            names = [layer["name"] for layer in net.layers]
            messages.append(f"for input {net.input_shape} and layers {names}: {result.message}")
    if len(set(messages)) == 1 and len(messages) == len(nets):
        messages = messages[:1]
    return sum(fractions) / len(fractions), " | ".join(messages)


def maxpool_ties(ctx: Context, check: Check) -> tuple[float, str]:
    """With ties the whole gradient goes to the first maximum in row-major order."""
    rng = ctx.rng(check.name)
    x = rng.integers(0, 3, size=(2, 3, 6, 6)).astype(np.float64)
    dout = rng.standard_normal((2, 3, 3, 3))
    expected = ctx.expected(check, "dx", lambda ref: ref.get("conv:maxpool2d_backward")(
        dout, ref.get("conv:maxpool2d_forward")(x.copy(), kernel=2, stride=2)[1]))
    forward, backward = ctx.sandbox.run(
        [Call("conv:maxpool2d_forward", (x,), {"kernel": 2, "stride": 2}, ret=False),
         Call("conv:maxpool2d_backward", (dout, Ref(0, 1)))], timeout=check.timeout)
    for outcome, label in ((forward, "maxpool2d_forward"), (backward, "maxpool2d_backward")):
        if not outcome.ok:
            return 0.0, f"{label}: {outcome.error}"
    got = backward.value
    if type(got) is not np.ndarray or got.shape != x.shape:
        return 0.0, f"maxpool2d_backward should return an array of shape {x.shape}"
    if np.allclose(got, expected, rtol=1e-10, atol=1e-12):
        return 1.0, ""
    rule = ("with ties the whole gradient must go to the FIRST maximum of the window in "
            "row-major order (as torch's CPU kernel; np.argmax does this)")
    if np.allclose(got, maxpool_gradient_routed_to(x, 2, dout, "window")):
        return 0.0, ("your gradient goes to every element of the window; only the window's "
                     "maximum affects the output, so only it receives the gradient")
    if np.allclose(got, maxpool_gradient_routed_to(x, 2, dout, "all")):
        return 0.0, f"your gradient goes to every tied maximum; {rule}"
    if np.allclose(got, maxpool_gradient_routed_to(x, 2, dout, "last")):
        return 0.0, f"your gradient goes to the last tied maximum; {rule}"
    return 0.0, f"maxpool2d_backward differs from the reference on an input with ties; {rule}"


def dropout_statistics(ctx: Context, check: Check) -> tuple[float, str]:
    """About p of the elements are dropped, the kept ones scaled by 1 / (1 - p)."""
    p, x = 0.3, np.ones((100, 400))
    [outcome] = ctx.sandbox.run([Call("conv:dropout_forward", (x, p), {"train": True, "seed": 5},
                                      pick=0)], timeout=check.timeout)
    if not outcome.ok:
        return 0.0, f"dropout_forward: {outcome.error}"
    out = outcome.value
    if type(out) is not np.ndarray or out.shape != x.shape:
        return 0.0, f"dropout_forward should return an array of shape {x.shape}"
    dropped = float(np.mean(out == 0))
    if abs(dropped - (1 - p)) < 0.02:
        return 0.0, (f"with p = {p}, {dropped:.0%} of the elements were dropped: p is the "
                     "probability of DROPPING an element, not of keeping it")
    if abs(dropped - p) >= 0.02:
        return 0.0, f"with p = {p}, {dropped:.0%} of the elements were dropped, expected about {p:.0%}"
    kept = out[out != 0]
    if np.allclose(kept, 1.0):
        return 0.5, ("the kept values are not scaled: inverted dropout divides them by (1 - p), "
                     "so that the expected output equals x")
    if not np.allclose(kept, 1.0 / (1.0 - p)):
        return 0.5, (f"for x = 1 and p = {p} the kept values should all be 1 / (1 - p) = "
                     f"{1 / (1 - p):.4g}, got values between {kept.min():.4g} and {kept.max():.4g}")
    return 1.0, ""


# -- input generators ------------------------------------------------------------------
def conv_output_cases(rng: np.random.Generator) -> list[Args]:
    cases = []
    for i in range(8):
        kernel, dilation = int(rng.integers(1, 8)), int(rng.choice([1, 1, 2]))
        stride, padding = (1, int(rng.integers(0, 3))) if i < 2 else (int(rng.integers(2, 4)),
                                                                      int(rng.integers(0, 4)))
        span = dilation * (kernel - 1) + 1
        # a remainder that the stride does not divide, so that ceil and floor differ
        room = int(rng.integers(0, 12)) * stride + (int(rng.integers(1, stride)) if stride > 1 else 0)
        while span + room - 2 * padding < 1:
            room += stride
        size = span + room - 2 * padding
        cases.append(Args(size, kernel, stride, padding, dilation) if i % 2 else
                      Args(size, kernel, stride=stride, padding=padding, dilation=dilation))
    return cases


def pool_output_cases(rng: np.random.Generator) -> list[Args]:
    cases = []
    for i in range(6):
        kernel = int(rng.integers(2, 5))
        stride = kernel if i < 3 else int(rng.integers(2, 4))
        padding = kernel // 2 if i in (2, 5) else 0
        # a remainder that the stride does not divide, so that ceil and floor differ
        size = kernel + stride * int(rng.integers(1, 10)) + int(rng.integers(1, stride)) - 2 * padding
        cases.append(Args(size, kernel, **({"padding": padding} if padding else {})) if i < 3
                     else Args(size, kernel, stride=stride, padding=padding))
    return cases


def conv_param_cases(rng: np.random.Generator) -> list[Args]:
    cases = []
    for i in range(6):
        groups = [1, 1, 2, 4, 1, 2][i]
        c_in, c_out = groups * int(rng.integers(1, 9)), groups * int(rng.integers(1, 9))
        kernel = int(rng.choice([1, 3, 5, 7])) if i % 2 else \
            (int(rng.integers(1, 6)), int(rng.integers(1, 6)))
        kwargs: dict[str, bool | int] = {"bias": i != 4}
        if groups > 1:
            kwargs["groups"] = groups
        cases.append(Args(c_in, c_out, kernel, **kwargs))
    return cases


def linear_param_cases(rng: np.random.Generator) -> list[Args]:
    return [Args(int(rng.integers(1, 5000)), int(rng.integers(1, 1000))),
            Args(int(rng.integers(1, 5000)), int(rng.integers(1, 1000))),
            Args(int(rng.integers(1, 100)), int(rng.integers(1, 100)), bias=False)]


def batchnorm_param_cases(rng: np.random.Generator) -> list[Args]:
    return [Args(int(c)) for c in rng.integers(1, 1025, size=3)]


def receptive_cases(rng: np.random.Generator) -> list[Args]:
    stacks = [[(int(rng.integers(1, 8)), int(rng.integers(1, 4))) for _ in range(rng.integers(2, 6))]
              for _ in range(5)]
    return [Args([(3, 1), (3, 1), (3, 1)]), Args([(7, 2), (3, 2), (3, 1)])] + \
        [Args(stack) for stack in stacks] + [Args([])]


def conv_inputs(x_shape: tuple[int, ...], w_shape: tuple[int, ...], stride: int, padding: int) -> Inputs:
    """An input generator for conv2d_forward: Args(x, w, b, stride=, padding=)."""
    def make(rng: np.random.Generator) -> Args:
        return Args(rng.standard_normal(x_shape), rng.standard_normal(w_shape),
                    rng.standard_normal(w_shape[0]), stride=stride, padding=padding)
    return make


# (x shape, w shape, stride, padding): non-square images and kernels, so that
# transposes and one-sided padding show.
CONV_BASIC = ((2, 3, 8, 7), (4, 3, 3, 3), 1, 1)
CONV_STRIDED = ((2, 3, 9, 8), (4, 3, 3, 2), 2, 1)
CONV_WIDE = ((1, 2, 8, 9), (3, 2, 5, 5), 3, 2)


# (x shape, kernel, stride): windows that tile the input, and overlapping ones
POOL_BASIC = ((2, 3, 8, 8), 2, 2)
POOL_OVERLAPPING = ((2, 3, 9, 7), 3, 2)


def pool_inputs(x_shape: tuple[int, ...], kernel: int, stride: int) -> Inputs:
    """An input generator for maxpool2d_forward: Args(x, kernel=, stride=)."""
    def make(rng: np.random.Generator) -> Args:
        return Args(rng.standard_normal(x_shape), kernel=kernel, stride=stride)
    return make


def batchnorm_inputs(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = 5
    return 2.0 + 3.0 * rng.standard_normal((6, d)), rng.standard_normal(d), rng.standard_normal(d)


def dropout_inputs(train: bool) -> Inputs:
    """An input generator for dropout_forward: Args(x, p, train=, seed=)."""
    def make(rng: np.random.Generator) -> Args:
        return Args(rng.standard_normal((6, 7)), float(rng.uniform(0.2, 0.6)), train=train,
                    seed=int(rng.integers(1000)))
    return make


# -- the rubric ---------------------------------------------------------------------
_EXPLAIN_ALEXNET = table_explainer(ALEXNET_INPUT, ALEXNET_LAYERS)
_EXPLAIN_CIFAR = table_explainer(CIFAR_NET_INPUT, CIFAR_NET_LAYERS)

checks = [
    CasesCheck("conv_output_size", 2, "shapes:conv_output_size", cases=conv_output_cases,
               slips=conv_size_slips),
    # a kernel that does not fit gives a ValueError, not a size below 1
    RaisesCheck("conv_output_size raises ValueError", 1,
                [("shapes:conv_output_size", case) for case in
                 (Args(3, 5), Args(4, 3, dilation=2), Args(6, 4, stride=2, padding=0, dilation=3))],
                why="raise ValueError when the output size would be smaller than 1"),
    CasesCheck("pool_output_size", 1, "shapes:pool_output_size", cases=pool_output_cases,
               slips=pool_size_slips),
    CasesCheck("conv_param_count", 2, "shapes:conv_param_count", cases=conv_param_cases,
               slips=conv_param_slips),
    CasesCheck("linear_param_count", 1, "shapes:linear_param_count", cases=linear_param_cases,
               slips=linear_param_slips),
    CasesCheck("batchnorm_param_count", 1, "shapes:batchnorm_param_count",
               cases=batchnorm_param_cases, slips=batchnorm_param_slips),
    CasesCheck("receptive_field", 2, "shapes:receptive_field", cases=receptive_cases,
               slips=receptive_field_slips),
    PropertyCheck("layer_table", 3, layer_table_random_nets),
    ValueCheck("conv2d_forward", 2, "conv:conv2d_forward", inputs=conv_inputs(*CONV_BASIC),
               pick=0, slips=conv_slips()),
    ValueCheck("conv2d_forward with stride and padding", 2, "conv:conv2d_forward",
               inputs=conv_inputs(*CONV_WIDE), pick=0, slips=conv_slips()),
    GradientCheck("conv2d_backward", 3, "conv:conv2d_forward", "conv:conv2d_backward",
                  inputs=conv_inputs(*CONV_BASIC), names=("x", "w", "b")),
    GradientCheck("conv2d_backward with stride and padding", 2, "conv:conv2d_forward",
                  "conv:conv2d_backward", inputs=conv_inputs(*CONV_STRIDED), names=("x", "w", "b")),
    LinearInDoutCheck("conv2d_backward is linear in dout", 1, "conv:conv2d_forward",
                      "conv:conv2d_backward", inputs=conv_inputs(*CONV_STRIDED)),
    ValueCheck("maxpool2d_forward", 1, "conv:maxpool2d_forward", pick=0,
               inputs=pool_inputs(*POOL_BASIC)),
    GradientCheck("maxpool2d_backward", 2, "conv:maxpool2d_forward", "conv:maxpool2d_backward",
                  inputs=pool_inputs(*POOL_OVERLAPPING), names=("x",)),
    PropertyCheck("maxpool2d_backward with ties", 1, maxpool_ties),
    ValueCheck("batchnorm_forward", 2, "conv:batchnorm_forward", inputs=batchnorm_inputs,
               pick=0, slips=batchnorm_slips()),
    GradientCheck("batchnorm_backward", 3, "conv:batchnorm_forward", "conv:batchnorm_backward",
                  inputs=batchnorm_inputs, names=("x", "gamma", "beta")),
    ValueCheck("dropout_forward", 2, "conv:dropout_forward", inputs=dropout_inputs(True),
               pick=0, slips=dropout_slips()),
    ValueCheck("dropout_forward at test time", 1, "conv:dropout_forward",
               inputs=dropout_inputs(False), pick=0, slips=dropout_test_slips()),
    PropertyCheck("dropout statistics", 1, dropout_statistics),
    GradientCheck("dropout_backward", 1, "conv:dropout_forward", "conv:dropout_backward",
                  inputs=dropout_inputs(True), names=("x",)),
    NoInPlaceCheck("inputs are not modified in place", 1, [
        ("conv:conv2d_forward", conv_inputs(*CONV_STRIDED)),
        ("conv:maxpool2d_forward", pool_inputs(*POOL_BASIC)),
        ("conv:batchnorm_forward", batchnorm_inputs),
        ("conv:dropout_forward", dropout_inputs(True)),
    ]),
    TableCheck("ALEXNET_TABLE", 4, "answers:ALEXNET_TABLE", columns=COLUMNS, explain=_EXPLAIN_ALEXNET),
    TableCheck("CIFAR_NET_TABLE", 3, "answers:CIFAR_NET_TABLE", columns=COLUMNS, explain=_EXPLAIN_CIFAR),
    AnswerCheck("CIFAR_NET_TOTAL_PARAMS", 1, "answers:CIFAR_NET_TOTAL_PARAMS", rtol=0),
    AnswerCheck("RECEPTIVE_FIELD_TWO_3X3", 1, "answers:RECEPTIVE_FIELD_TWO_3X3", rtol=0),
]

RUBRIC = Rubric(
    id="a4_convolutions",
    title="Convolutions: shapes, parameters and layers",
    modules=["shapes", "conv", "answers"],
    checks=checks,
    timeout=10.0,
    notebook="a4_convolutions.ipynb",
)
