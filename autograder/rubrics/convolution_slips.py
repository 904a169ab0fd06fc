"""The a4 rubric's model of the shape formulas and layers, and of the mistakes
students make in them.

The method: a wrong answer is explained by recomputing what each common
mistake, a "slip", would have given and naming the one that matches. Each
function here is a small second implementation in which a slip is one switch
or one variant: an output size rounded up instead of down, padding on one
side, biases counted in the weights, a flipped kernel, the unbiased variance
in batch norm, dropout's p taken as the keep probability, and so on. The
rubric hands these to its checks: ``CasesCheck(slips=...)`` and
``ValueCheck(slips=...)`` take (description, value or function) pairs,
``TableCheck(explain=...)`` takes ``table_explainer``. With no slip the
models ARE the reference's formulas; tests/a4_convolutions checks that.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from autograder.checks import Args
from autograder.checks.cases import plain

COLUMNS = ("name", "output shape", "weights", "biases")
Layer = dict[str, Any]  # one layer of a net as SPEC.md writes it: {"type": "conv", "name": "conv1", ...}
Row = tuple[str, tuple[int, ...], int, int]  # one row of a layer table, in COLUMNS order
NamedValue = tuple[str, Any]  # (what the mistake is, what it returns): CasesCheck's slips
NamedFunction = tuple[str, Callable[[Args], np.ndarray]]  # (what, what it computes): ValueCheck's slips


@dataclass(frozen=True)
class ShapeSlip:
    """key: the switch in output_size or layer_table; description: the mistake and its fix."""

    key: str
    description: str


# -- output sizes and parameter counts ------------------------------------------------
def output_size(n: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1,
                slip: str | None = None) -> int | None:
    """One output size along one axis, as a given slip computes it (None when nothing fits)."""
    padded = n + (0 if slip == "no padding" else padding if slip == "one-side padding" else 2 * padding)
    span = (kernel if slip == "no dilation" else dilation * (kernel - 1) + 1)
    room = padded - span
    if room < 0:
        return None
    if slip == "ceil":
        return -(-room // stride) + 1
    if slip == "no +1":
        return room // stride
    return room // stride + 1


SIZE_SLIPS = [
    ShapeSlip("ceil", "rounded up: the formula rounds DOWN, floor((n + 2p - d(k - 1) - 1) / s) + 1"),
    ShapeSlip("one-side padding", "the padding counted once: it is added on both sides, n + 2p"),
    ShapeSlip("no padding", "the padding is missing from the formula"),
    ShapeSlip("no dilation", "the dilation is ignored: a dilated kernel spans d(k - 1) + 1 pixels"),
    ShapeSlip("no +1", "the + 1 is missing: a kernel that fits exactly still gives one output"),
]


def conv_size_slips(call: Args) -> list[NamedValue]:
    """What the slips of the output-size formula give for conv_output_size(*call)."""
    size, kernel, *rest = call.args
    params = dict(zip(("stride", "padding", "dilation"), rest), **call.kwargs)
    return [(slip.description, output_size(size, kernel, slip=slip.key, **params)) for slip in SIZE_SLIPS]


def pool_size_slips(call: Args) -> list[NamedValue]:
    """What the slips give for pool_output_size(*call), a missing stride default included."""
    size, kernel, *rest = call.args
    params = dict(zip(("stride", "padding"), rest), **call.kwargs)
    stride, padding = params.get("stride"), params.get("padding", 0)
    slips = [(slip.description, output_size(size, kernel, stride or kernel, padding, slip=slip.key))
             for slip in SIZE_SLIPS[:2]]
    if stride is None:
        slips.append(("the stride should default to the kernel size (non-overlapping windows)",
                      output_size(size, kernel, 1, padding)))
    return slips


def conv_param_slips(call: Args) -> list[NamedValue]:
    """(weights, biases) of conv_param_count(*call) under each counting mistake."""
    c_in, c_out, kernel = call.args
    bias, groups = call.kwargs.get("bias", True), call.kwargs.get("groups", 1)
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    weights, biases = c_out * (c_in // groups) * kh * kw, c_out if bias else 0
    return [("the biases are counted in the weights; report them separately",
             (weights + biases, biases)),
            ("groups ignored: each filter sees only in_channels / groups channels",
             (weights * groups, biases)),
            ("bias=False means no biases", (weights, c_out)),
            ("a (kh, kw) kernel has kh * kw taps", (c_out * (c_in // groups) * kh * kh, biases))]


def linear_param_slips(call: Args) -> list[NamedValue]:
    """(weights, biases) of linear_param_count(*call) under each counting mistake."""
    d, m = call.args
    biases = m if call.kwargs.get("bias", True) else 0
    return [("the biases are counted in the weights; report them separately", (d * m + biases, biases)),
            ("bias=False means no biases", (d * m, m))]


def batchnorm_param_slips(call: Args) -> list[NamedValue]:
    """(trainable, running) of batchnorm_param_count(*call) under each counting mistake."""
    (c,) = call.args
    return [("the running statistics are a mean AND a variance per channel", (2 * c, c)),
            ("gamma and beta are trainable, one each per channel", (c, 2 * c))]


def receptive_field_slips(call: Args) -> list[NamedValue]:
    """receptive_field(*call) with the strides ignored, or each layer's own stride counted."""
    (layers,) = call.args
    ignored = 1 + sum(k - 1 for k, _ in layers)
    field, jump = 1, 1
    for k, s in layers:
        jump *= s
        field += (k - 1) * jump
    return [("the strides are ignored: each layer adds (kernel - 1) times the product of the "
             "strides of the layers BEFORE it", ignored),
            ("a layer's own stride is counted: only the strides of the layers before it matter", field)]


# -- layer tables -------------------------------------------------------------------
# The slips that change one cell come first: a wrong fc weight that both "not
# flattened" and a shape slip explain is more likely the former.
TABLE_SLIPS = [
    ShapeSlip("biases", "the biases are counted in the weights; they have a column of their own"),
    ShapeSlip("not flattened", "the fc input is not flattened: an fc layer sees H * W * C inputs"),
    ShapeSlip("ceil", "ceil instead of floor: output sizes round DOWN"),
    ShapeSlip("no padding", "the padding is forgotten"),
    ShapeSlip("one-side padding", "the padding counted on one side only: it is added on both sides, n + 2p"),
    ShapeSlip("pool stride 1", "the pool stride defaults to the kernel size"),
]


def layer_table(input_shape: tuple[int, ...], layers: list[Layer],
                slip: str | None = None) -> list[Row] | None:
    """The layer table of SPEC.md's layer_table as a slip computes it (None when some
    layer does not fit)."""
    shape: tuple[Any, ...] = tuple(input_shape)  # a size is None where a layer does not fit
    rows: list[Row] = []
    for layer in layers:
        if layer["type"] == "conv":
            k, s, p = layer["kernel"], layer.get("stride", 1), layer.get("padding", 0)
            sizes = [output_size(n, k, s, p, slip=slip) for n in shape[:2]]
            out = layer["out_channels"]
            weights, biases = out * shape[2] * k * k, out
            shape = (*sizes, out)
        elif layer["type"] == "maxpool":
            k = layer["kernel"]
            s = layer["stride"] if "stride" in layer else 1 if slip == "pool stride 1" else k
            sizes = [output_size(n, k, s, slip="ceil" if slip == "ceil" else None) for n in shape[:2]]
            weights = biases = 0
            shape = (*sizes, shape[2])
        else:
            out = layer["out_features"]
            inputs = shape[-1] if slip == "not flattened" else math.prod(shape)
            weights, biases = inputs * out, out
            shape = (out,)
        if any(n is None or n < 1 for n in shape):
            return None
        if slip == "biases":
            weights += biases
        rows.append((layer["name"], shape, weights, biases))
    return rows


def table_explainer(input_shape: tuple[int, ...], layers: list[Layer]) -> Callable[..., str | None]:
    """An ``explain`` for TableCheck that names the slip a wrong cell matches."""
    slipped: dict[str, dict[str, Row]] = {}

    def explain(row_name: str, column: str, got: Any, expected: Any, expected_row: Row) -> str | None:
        index = COLUMNS.index(column)
        for slip in TABLE_SLIPS:
            if slip.key not in slipped:
                slipped[slip.key] = {row[0]: row for row in layer_table(input_shape, layers, slip.key) or []}
            row = slipped[slip.key].get(row_name)
            if row is not None and plain(row[index]) == plain(got) != plain(expected):
                return slip.description
        return None
    return explain


# -- layers ---------------------------------------------------------------------------
def cross_correlation(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int,
                      pads: tuple[int, int, int, int]) -> np.ndarray:
    """Cross-correlation of x (N, C, H, W) with w (F, C, KH, KW) plus b (F,), with explicit
    (top, bottom, left, right) zero padding; (N, F, H', W')."""
    top, bottom, left, right = pads
    xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    windows = sliding_window_view(xp, w.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]
    return np.einsum("nchwpq,fcpq->nfhw", windows, w) + b[None, :, None, None]


def conv_slips() -> list[NamedFunction]:
    """What conv2d_forward(x, w, b, stride=, padding=) gives under each slip."""
    def flipped(call: Args) -> np.ndarray:
        x, w, b = call.args
        p = call.kwargs.get("padding", 0)
        return cross_correlation(x, w[:, :, ::-1, ::-1], b, call.kwargs.get("stride", 1), (p, p, p, p))

    def one_side(before: bool) -> Callable[[Args], np.ndarray]:
        def slip(call: Args) -> np.ndarray:
            x, w, b = call.args
            p = call.kwargs.get("padding", 0)
            return cross_correlation(x, w, b, call.kwargs.get("stride", 1),
                                     (p, 0, p, 0) if before else (0, p, 0, p))
        return slip

    def no_stride(call: Args) -> np.ndarray:
        x, w, b = call.args
        p = call.kwargs.get("padding", 0)
        return cross_correlation(x, w, b, 1, (p, p, p, p))

    return [("the kernel is flipped: F.conv2d computes a cross-correlation, "
             "out[i, j] = sum w[p, q] x[i*s + p, j*s + q], with no flip", flipped),
            ("the padding is applied on one side only: pad every side with `padding` zeros",
             one_side(True)),
            ("the padding is applied on one side only: pad every side with `padding` zeros",
             one_side(False)),
            ("the stride is ignored: windows start every `stride` pixels", no_stride)]


def batchnorm_slips() -> list[NamedFunction]:
    """What batchnorm_forward(x, gamma, beta) gives under each slip."""
    def normalised(call: Args, var_of: Callable[[np.ndarray], np.ndarray],
                   eps_inside: bool = True) -> np.ndarray:
        x, gamma, beta = call.args
        eps = call.kwargs.get("eps", 1e-5)
        centred = x - x.mean(axis=0)
        var = var_of(centred)
        scale = np.sqrt(var + eps) if eps_inside else np.sqrt(var) + eps
        return gamma * centred / scale + beta

    def n_minus_1(c: np.ndarray) -> np.ndarray:
        return (c ** 2).sum(axis=0) / (c.shape[0] - 1)

    def biased(c: np.ndarray) -> np.ndarray:
        return (c ** 2).mean(axis=0)

    return [("it uses the unbiased variance (divide by N - 1); batch norm normalises with the "
             "biased variance, divide by N", lambda call: normalised(call, n_minus_1)),
            ("eps belongs inside the square root: sqrt(var + eps)",
             lambda call: normalised(call, biased, eps_inside=False))]


def dropout_test_slips() -> list[NamedFunction]:
    """What dropout_forward(x, p, train=False, seed=) gives under each slip."""
    def masked(call: Args) -> np.ndarray:
        x, p = call.args[0], call.args[1]
        keep = np.random.default_rng(call.kwargs["seed"]).random(x.shape) >= p
        return np.where(keep, x / (1.0 - p), 0.0)

    return [("at test time (train=False) inverted dropout is the identity: it still drops "
             "and rescales", masked),
            ("at test time (train=False) inverted dropout is the identity: the (1 - p) factor "
             "belongs to the old, non-inverted dropout", lambda call: call.args[0] * (1.0 - call.args[1]))]


def dropout_slips() -> list[NamedFunction]:
    """What dropout_forward(x, p, train=True, seed=) gives under each slip: a mask drawn
    from the same generator, kept where ``keep(u, p)``, scaled by ``scale(p)``."""
    def make(keep: Callable[[np.ndarray, float], np.ndarray],
             scale: Callable[[float], float]) -> Callable[[Args], np.ndarray]:
        def slip(call: Args) -> np.ndarray:
            x, p = call.args[0], call.args[1]
            u = np.random.default_rng(call.kwargs["seed"]).random(x.shape)
            return np.where(keep(u, p), x * scale(p), 0.0)
        return slip

    return [("p is the probability of DROPPING an element, not of keeping it",
             make(lambda u, p: u < p, lambda p: 1.0 / p)),
            ("p is the probability of DROPPING an element, not of keeping it",
             make(lambda u, p: u < p, lambda p: 1.0)),
            ("the kept values are not scaled: inverted dropout multiplies them by 1 / (1 - p)",
             make(lambda u, p: u >= p, lambda p: 1.0)),
            ("the kept values are scaled by (1 - p); inverted dropout divides by (1 - p)",
             make(lambda u, p: u >= p, lambda p: 1.0 - p)),
            ("the mask must be np.random.default_rng(seed).random(x.shape) >= p",
             make(lambda u, p: u < 1 - p, lambda p: 1.0 / (1.0 - p)))]


def maxpool_gradient_routed_to(x: np.ndarray, kernel: int, dout: np.ndarray, which: str) -> np.ndarray:
    """dx of non-overlapping max pooling when the gradient goes to ``which``: 'all' tied
    maxima, the 'last' one, or the whole 'window'."""
    n, c, h, w = x.shape
    dx = np.zeros_like(x)
    for i in range(h // kernel):
        for j in range(w // kernel):
            window = x[:, :, i * kernel:(i + 1) * kernel, j * kernel:(j + 1) * kernel].reshape(n, c, -1)
            is_max = window == window.max(axis=-1, keepdims=True)
            if which == "window":
                is_max = np.ones_like(is_max)
            if which == "last":
                last = kernel * kernel - 1 - np.argmax(is_max[..., ::-1], axis=-1)
                is_max = np.arange(kernel * kernel) == last[..., None]
            routed = is_max * dout[:, :, i, j][..., None]
            dx[:, :, i * kernel:(i + 1) * kernel, j * kernel:(j + 1) * kernel] = \
                routed.reshape(n, c, kernel, kernel)
    return dx
