"""Naming the slip: candidate explanations of a wrong array, tested against the truth.

Each candidate transforms the trusted value (or the inputs) the way a common
mistake would; when the student's value matches the transformed one, the
mistake is named. The student's value has already been validated (an exact
ndarray or number), and every candidate costs a few elementwise operations.

``describe`` runs them in order and is what the checks call:
  overflow         NaN or inf where the right answer is finite, at large inputs
  explain          transpose, wrong sign, a constant factor (2, 1/2, N, 1/N,
                   the number of elements), a missing reduction over the batch
  other_function   the derivative (or the value) of a different activation
  where_wrong      which entries are wrong: "wrong only where x < 0", "only in
                   the last row", "only at the true-class entries", ...
``consistency`` words what the student's own numerical gradient says, and
``heatmap`` packs a small student/reference pair for the HTML report.
"""

from __future__ import annotations

import re

import numpy as np

_CLOSE = dict(rtol=1e-5, atol=1e-8)
LARGE_INPUT = 100.0  # |input| from which a NaN or inf is called an overflow
HEATMAP_ROWS, HEATMAP_COLUMNS = 32, 32


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, **_CLOSE))


def _float_array(value) -> np.ndarray | None:
    """``value`` as a float64 array when it is a real-valued ndarray, else None."""
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "fiu":
        return None
    return value.astype(np.float64)


def display_name(name: str) -> str:
    """'arg1' -> 'argument 2'; other names unchanged."""
    match = re.fullmatch(r"arg(\d+)", name)
    return f"argument {int(match.group(1)) + 1}" if match else name


# -- transpose, sign, factor, reduction -------------------------------------------------
def _factor(got: np.ndarray, expected: np.ndarray) -> float | None:
    """c with got == c * expected, if there is one (expected not all zero)."""
    denominator = float(np.vdot(expected, expected))
    if denominator == 0.0:
        return None
    c = float(np.vdot(got, expected)) / denominator
    return c if _close(got, c * expected) else None


def _name_factor(c: float, batch: int | None, size: int | None = None) -> str | None:
    candidates = {2.0: "2", 0.5: "1/2"}
    if size and size > 1:
        candidates.update({float(size): "the number of elements",
                           1.0 / size: "1 / the number of elements"})
    if batch and batch > 1:
        candidates.update({float(batch): "N (the batch size)", 1.0 / batch: "1/N (N is the batch size)"})
    for value, label in candidates.items():
        if abs(c - value) <= 1e-6 * max(1.0, abs(value)):
            return label
    return None


def explain(got, expected, *, batch: int | None = None, what: str = "it") -> str | None:
    """A sentence naming the likely slip behind ``got`` != ``expected``, or None."""
    got, expected = _float_array(got), _float_array(expected)
    if got is None or expected is None:
        return None
    if got.shape != expected.shape:
        if got.ndim == 2 and _close(got.T, expected):
            return f"{what} is the transpose of the right answer"
        if got.ndim == expected.ndim + 1 and got.shape[1:] == expected.shape:
            if _close(got.sum(axis=0), expected):
                return f"{what} is missing the sum over the batch (axis 0)"
            if _close(got.mean(axis=0), expected):
                return f"{what} is missing the reduction over the batch (axis 0)"
        if got.size == expected.size and _close(got.reshape(expected.shape), expected):
            return f"{what} has the right values in the wrong shape"
        return None
    if not np.all(np.isfinite(got)):
        return None
    if _close(-got, expected):
        return f"{what} has the wrong sign"
    if got.ndim == 2 and got.shape[0] == got.shape[1] and _close(got.T, expected):
        return f"{what} is the transpose of the right answer"
    c = _factor(got, expected)
    if c is not None and abs(c - 1.0) > 1e-6:
        label = _name_factor(c, batch, expected.size)
        if label:
            return f"{what} is off by a factor of {label}"
        return f"{what} is off by a constant factor of {c:.4g}"
    return None


# -- overflow ------------------------------------------------------------------------------
def overflow(got, expected, inputs: dict, *, what: str = "it") -> str | None:
    """'overflows for large inputs' when ``got`` is NaN or infinite only where the
    right answer is finite and an input is large (|input| >= LARGE_INPUT).

    inputs: {name: argument}; same-shaped arrays locate the bad entries, any
    float array shows that the inputs were large.
    """
    got, expected = _float_array(got), _float_array(expected)
    if got is None or expected is None or got.shape != expected.shape:
        return None
    bad = ~np.isfinite(got) & np.isfinite(expected)
    if not bad.any():
        return None
    for name, value in inputs.items():
        value = _float_array(value)
        if value is not None and value.shape == got.shape:
            smallest = float(np.min(np.abs(value[bad])))
            if smallest >= LARGE_INPUT:
                return (f"{what} overflows for large inputs: it is NaN or infinite where "
                        f"|{display_name(name)}| >= {smallest:.3g}, although the right answer is "
                        "finite there (keep every exp() argument <= 0, e.g. subtract the maximum)")
    largest = max((float(np.max(np.abs(v))) for v in map(_float_array, inputs.values())
                   if v is not None and v.size), default=0.0)
    if largest >= LARGE_INPUT:
        return (f"{what} overflows for large inputs (|input| up to {largest:.3g}): NaN or inf "
                "where the right answer is finite")
    return None


# -- a different activation ---------------------------------------------------------------
def _sigmoid(x: np.ndarray) -> np.ndarray:
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


_DERIVATIVES = {  # label -> derivative as a function of the forward's input x
    "the derivative of relu": lambda x: (x > 0).astype(np.float64),
    "the derivative of sigmoid": lambda x: _sigmoid(x) * (1.0 - _sigmoid(x)),
    "the derivative of tanh": lambda x: 1.0 - np.tanh(x) ** 2,
    "the sigmoid's s (1 - s) with s = x, the input instead of the output": lambda x: x * (1.0 - x),
    "tanh's 1 - t**2 with t = x, the input instead of the output": lambda x: 1.0 - x * x,
    "1 - t with t = tanh(x): the square of 1 - t**2 is missing": lambda x: 1.0 - np.tanh(x),
    "s with s = sigmoid(x) instead of s (1 - s)": _sigmoid,
}
_FUNCTIONS = {
    "relu": lambda x: np.maximum(x, 0.0),
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
}


def other_function(got, expected, x, dout=None, *, what: str = "it") -> str | None:
    """Does ``got`` match a different activation than the reference computes?

    With ``dout`` (a gradient check): candidates are dout * f'(x) for the
    derivatives above; without it (a value check): f(x). x, dout: arrays of
    got's shape. A candidate that equals the right answer is never named.
    """
    got, expected, x = _float_array(got), _float_array(expected), _float_array(x)
    if got is None or expected is None or x is None or not got.shape == expected.shape == x.shape:
        return None
    if dout is not None:
        dout = _float_array(dout)
        if dout is None or dout.shape != x.shape:
            return None
        candidates = {label: dout * f(x) for label, f in _DERIVATIVES.items()}
    else:
        candidates = {label: f(x) for label, f in _FUNCTIONS.items()}
    with np.errstate(all="ignore"):
        for label, candidate in candidates.items():
            if _close(got, candidate) and not _close(candidate, expected):
                if dout is not None:
                    return f"{what} matches dout times {label}, not the derivative this layer needs"
                return f"{what} computes {label}, not the required function"
    return None


# -- where it is wrong -----------------------------------------------------------------------
def _value_masks(name: str, value: np.ndarray, wrong: np.ndarray):
    """(label, mask) pairs from the sign and the size of one same-shaped input."""
    name = display_name(name)
    yield f"{name} < 0", value < 0
    yield f"{name} > 0", value > 0
    yield f"{name} == 0", value == 0
    yield f"{name} <= 0", value <= 0
    yield f"{name} >= 0", value >= 0
    magnitude = np.abs(value)
    if (~wrong).any():
        threshold = float(np.min(magnitude[wrong]))
        if threshold > float(np.max(magnitude[~wrong])):
            yield f"|{name}| is large (|{name}| >= {threshold:.3g})", magnitude >= threshold


def _label_masks(name: str, labels: np.ndarray, shape: tuple):
    """The true-class entries [i, labels[i]] of an (N, C) result."""
    if len(shape) != 2 or labels.shape != (shape[0],) or labels.min() < 0 or labels.max() >= shape[1]:
        return
    onehot = np.zeros(shape, dtype=bool)
    onehot[np.arange(shape[0]), labels] = True
    yield f"the true-class entries [i, {display_name(name)}[i]]", onehot
    yield f"the entries other than the true class [i, {display_name(name)}[i]]", ~onehot


def _position_masks(shape: tuple):
    """The first/last row or column, whole rows or columns, the diagonal."""
    if not shape or min(shape) == 0:
        return
    index = np.indices(shape)
    if len(shape) == 1:
        yield "the first entry", index[0] == 0
        yield "the last entry", index[0] == shape[0] - 1
        return
    yield "the first row", index[0] == 0
    yield "the last row", index[0] == shape[0] - 1
    yield "the first column", index[-1] == 0
    yield "the last column", index[-1] == shape[-1] - 1
    if len(shape) == 2 and shape[0] == shape[1]:
        yield "the diagonal", index[0] == index[1]
        yield "the entries off the diagonal", index[0] != index[1]


def _whole_lines(wrong: np.ndarray) -> str | None:
    """'rows 1, 3 (of 5)' when the wrong entries are exactly some whole rows (or columns)."""
    if wrong.ndim < 2:
        return None
    for axis, noun in ((0, "row"), (wrong.ndim - 1, "column")):
        other = tuple(a for a in range(wrong.ndim) if a != axis)
        full, some = wrong.all(axis=other), wrong.any(axis=other)
        if np.array_equal(full, some):
            numbers = [str(i) for i in np.flatnonzero(full)]
            if 1 < len(numbers) <= 5:
                return f"{noun}s {', '.join(numbers)} (of {wrong.shape[axis]}, counting from 0)"
    return None


def where_wrong(got, expected, inputs: dict) -> str | None:
    """'wrong only where x < 0'-style localisation of the entries that differ.

    inputs: {name: argument}; float arrays of got's shape are tested by sign and
    size, an int (N,) array as the labels of an (N, C) result; the positions
    (first/last row or column, whole rows, the diagonal) need no input.
    """
    got, expected = _float_array(got), _float_array(expected)
    if got is None or expected is None or got.shape != expected.shape:
        return None
    with np.errstate(all="ignore"):
        wrong = ~np.isclose(got, expected, **_CLOSE)
    if not wrong.any() or wrong.all():
        return None
    for name, value in inputs.items():
        if not isinstance(value, np.ndarray):
            continue
        if value.dtype.kind == "f" and value.shape == got.shape:
            masks = _value_masks(name, value, wrong)
        elif value.dtype.kind in "iu" and value.size:
            masks = _label_masks(name, value, got.shape)
        else:
            continue
        for label, mask in masks:
            if np.array_equal(wrong, mask):
                return f"wrong only where {label}"
    if not np.any(expected[~wrong]):
        return "right only where the right answer is 0: every other entry is wrong"
    for label, mask in _position_masks(got.shape):
        if np.array_equal(wrong, mask):
            return f"wrong only in {label}"
    lines = _whole_lines(wrong)
    if lines:
        return f"wrong only in {lines}"
    first = tuple(int(i) for i in np.argwhere(wrong)[0])
    return f"wrong in {wrong.mean():.0%} of the entries (the first at index {first})"


def batch_size(args) -> int | None:
    """N of the first array argument with at least one axis (the batch, by the
    conventions), or None."""
    for value in args:
        if isinstance(value, np.ndarray) and value.ndim:
            return value.shape[0]
    return None


# -- everything, in order ---------------------------------------------------------------------
def describe(got, expected, *, inputs: dict | None = None, batch: int | None = None,
             what: str = "it", x=None, dout=None) -> str | None:
    """The first explanation that fits, or None.

    inputs: {name: argument} of the call; x: the input of an elementwise
    layer (for the different-activation candidates); dout: the upstream
    gradient when ``got`` is a gradient, None when it is a value.
    """
    inputs = inputs or {}
    return (overflow(got, expected, inputs, what=what)
            or explain(got, expected, batch=batch, what=what)
            or other_function(got, expected, x, dout, what=what)
            or where_wrong(got, expected, inputs))


def consistency(analytic: np.ndarray, numerical: np.ndarray, forward_ok: bool, forward: str) -> str:
    """What the numerical gradient of the student's own forward says about a
    gradient that differs from the reference (analytic and numerical: the same
    sampled entries). Empty when it says nothing."""
    agrees = bool(np.allclose(analytic, numerical, rtol=1e-5, atol=1e-7))
    if agrees and not forward_ok:
        return (f" (it matches the numerical gradient of your own {forward}, so the backward is "
                "consistent and the forward is what is wrong)")
    if not agrees and forward_ok:
        return (f" (your {forward} matches the reference, but this gradient disagrees with its "
                "numerical gradient, so the backward pass is wrong)")
    if not agrees:
        return (f" (it also disagrees with the numerical gradient of your own {forward}, "
                "so the forward and the backward pass are both wrong)")
    return ""


# -- data for pictures ---------------------------------------------------------------------------
def _as_rows(value: np.ndarray) -> np.ndarray:
    """A 2-D view for a picture: a vector is one row; more axes fold into the rows."""
    if value.ndim == 1:
        return value.reshape(1, -1)
    return value.reshape(-1, value.shape[-1])


def _plain(rows: np.ndarray) -> list:
    """Nested lists with None for NaN and infinities (valid JSON)."""
    return [[float(v) if np.isfinite(v) else None for v in row] for row in rows]


def heatmap(label: str, got, expected) -> dict | None:
    """{"label", "shape", "student", "reference"} for the report's error heatmap:
    the two arrays as 2-D nested lists, cropped to HEATMAP_ROWS x HEATMAP_COLUMNS.
    None unless both are real arrays of the same shape with at least two entries."""
    got, expected = _float_array(got), _float_array(expected)
    if got is None or expected is None or got.shape != expected.shape or got.size < 2:
        return None
    crop = (slice(0, HEATMAP_ROWS), slice(0, HEATMAP_COLUMNS))
    return {"label": label, "shape": list(got.shape),
            "student": _plain(_as_rows(got)[crop]), "reference": _plain(_as_rows(expected)[crop])}
