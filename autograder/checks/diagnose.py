"""Naming the slip: candidate explanations of a wrong array, tested against the truth.

Each candidate transforms the trusted value (or the inputs) the way a common
mistake would; when the student's value matches the transformed one, the
mistake is named. The student's value has already been validated (an exact
ndarray or number), and every candidate costs a few elementwise operations.

``describe`` runs them in order and is what the checks call:
  overflow         NaN or inf where the right answer is finite, at large inputs
  explain          transpose (or swapped/flipped last axes), wrong sign, a
                   constant factor (2, 1/2, N, 1/N, the number of elements) or
                   one per row/column, a missing reduction (over the batch or
                   other axes), the right values in the wrong shape
  other_function   the derivative (or the value) of a different activation
  where_wrong      which entries are wrong: "wrong only where x < 0", "only in
                   the last row", "only at the true-class entries", ...
``consistency`` words what the student's own numerical gradient says, and
``heatmap`` packs a small student/reference pair for the HTML report.
"""

from __future__ import annotations

import itertools
import numbers
import re

import numpy as np

_CLOSE = dict(rtol=1e-5, atol=1e-8)
LARGE_INPUT = 100.0  # |input| from which a NaN or inf is called an overflow
HEATMAP_ROWS, HEATMAP_COLUMNS = 32, 32
MAX_GROWTH = 64  # a value with more entries than this times the right answer's is not diagnosed


def _comparable(got, expected) -> bool:
    """Whether ``got`` is small enough to diagnose against ``expected``: checked
    on the shapes alone, before any conversion (the diagnostics convert and
    combine whole arrays, so a huge wrong-shaped reply must not reach them)."""
    if not isinstance(got, np.ndarray):
        return True
    return got.size <= MAX_GROWTH * max(1, expected.size if isinstance(expected, np.ndarray) else 1)


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, **_CLOSE))


def _float_array(value) -> np.ndarray | None:
    """``value`` as a float64 array when it is a real-valued ndarray or a real
    number (a 0-d array), else None."""
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
        return np.asarray(value, dtype=np.float64)
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
    """'2', 'N, the batch size', '2 (= N, the batch size)': every name that fits c."""
    candidates = [(2.0, "2"), (0.5, "1/2")]
    if batch and batch > 1:
        candidates += [(float(batch), "N, the batch size"), (1.0 / batch, "1/N, N the batch size")]
    if size and size > 1:
        candidates += [(float(size), "the number of elements"), (1.0 / size, "1 / the number of elements")]
    labels = [label for value, label in candidates if abs(c - value) <= 1e-6 * max(1.0, abs(value))]
    if not labels:
        return None
    return labels[0] + "".join(f" (= {label})" for label in labels[1:])


def _missing_reduction(got: np.ndarray, expected: np.ndarray) -> str | None:
    """'the sum over axes (2, 3)' when summing (or averaging) ``got`` over its
    extra axes gives ``expected``."""
    extra = got.ndim - expected.ndim
    if extra < 1 or got.ndim > 6:
        return None
    for axes in itertools.combinations(range(got.ndim), extra):
        kept = tuple(n for i, n in enumerate(got.shape) if i not in axes)
        if kept != expected.shape:
            continue
        where = "the batch (axis 0)" if axes == (0,) else \
            f"axis {axes[0]}" if extra == 1 else f"axes {axes}"
        if _close(got.sum(axis=axes), expected):
            return f"the sum over {where}"
        if _close(got.mean(axis=axes), expected):
            return f"the reduction over {where}"
    return None


def _padding_margin(got: np.ndarray, expected: np.ndarray) -> int | None:
    """k when ``got`` is ``expected`` with k extra entries on each side of its
    last two axes (a padded array that was not cropped back)."""
    if got.ndim != expected.ndim or got.ndim < 2 or got.shape[:-2] != expected.shape[:-2]:
        return None
    extra = {g - e for g, e in zip(got.shape[-2:], expected.shape[-2:])}
    if len(extra) != 1 or (k := extra.pop()) <= 0 or k % 2:
        return None
    k //= 2
    return k if _close(got[..., k:-k, k:-k], expected) else None


def _rearranged(got: np.ndarray, expected: np.ndarray) -> str | None:
    """A same-shaped array whose last two axes are swapped or reversed."""
    if got.ndim < 2:
        return None
    if got.ndim == 2 and got.shape[0] == got.shape[1] and _close(got.T, expected):
        return "is the transpose of the right answer"
    if got.ndim > 2 and got.shape[-1] == got.shape[-2] and _close(np.swapaxes(got, -1, -2), expected):
        return "has its last two axes swapped (a transpose of each 2-D slice)"
    if _close(got[..., ::-1, ::-1], expected):
        return "is flipped (rotated by 180 degrees) in its last two axes"
    return None


def explain(got, expected, *, batch: int | None = None, size: int | None = None,
            what: str = "it") -> str | None:
    """A sentence naming the likely slip behind ``got`` != ``expected``, or None.

    batch: N of the call's inputs; size: the number of elements the factor
    candidates use (default: expected's). A number (0-d) is only ever called
    off by a named factor (2, N, the number of elements, ...) or of the wrong
    sign, since any two numbers differ by some factor.
    """
    got, expected = _float_array(got), _float_array(expected)
    if got is None or expected is None:
        return None
    if got.shape != expected.shape:
        if got.ndim == 2 and _close(got.T, expected):
            return f"{what} is the transpose of the right answer"
        reduction = _missing_reduction(got, expected)
        if reduction:
            return f"{what} is missing {reduction}"
        if got.size == expected.size and _close(got.reshape(expected.shape), expected):
            return f"{what} has the right values in the wrong shape"
        margin = _padding_margin(got, expected)
        if margin is not None:
            return (f"{what} still includes the padding: without its outer {margin} entries "
                    "on each side it would be right")
        if got.ndim == expected.ndim + 1 and got.shape[:-1] == expected.shape:
            return (f"{what} has an extra last axis of size {got.shape[-1]}: a reduction over the "
                    "last axis (a sum, or an argmax) is missing")
        return None
    if not np.all(np.isfinite(got)):
        return None
    if _close(-got, expected):
        return f"{what} has the wrong sign"
    rearranged = _rearranged(got, expected)
    if rearranged:
        return f"{what} {rearranged}"
    c = _factor(got, expected)
    if c is not None and abs(c - 1.0) > 1e-6:
        label = _name_factor(c, batch, size or expected.size)
        if label:
            return f"{what} is off by a factor of {label}"
        if expected.ndim:
            return f"{what} is off by a constant factor of {c:.4g}"
    if got.ndim == 2:
        for axis, lines in ((0, "row"), (1, "column")):
            if _factor_per_line(got, expected, axis):
                return (f"{what} is off by a different factor in each {lines}: a normalisation of each "
                        f"{lines} (axis {1 - axis}) is missing or wrong")
    return None


def _factor_per_line(got: np.ndarray, expected: np.ndarray, axis: int) -> bool:
    """Whether each row (axis 0) or column (axis 1) of got is its own multiple
    of expected's, with at least two different multiples."""
    got, expected = np.moveaxis(got, axis, 0), np.moveaxis(expected, axis, 0)
    factors = []
    for g, e in zip(got, expected):
        c = _factor(g, e)
        if c is None:
            if np.any(e) or np.any(g):
                return False
            continue
        factors.append(c)
    return len(factors) > 1 and not np.allclose(factors, factors[0], rtol=1e-6)


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


_DERIVATIVES = {  # label -> an activation's derivative as a function of its input x
    "the derivative of relu": lambda x: (x > 0).astype(np.float64),
    "the derivative of sigmoid": lambda x: _sigmoid(x) * (1.0 - _sigmoid(x)),
    "the derivative of tanh": lambda x: 1.0 - np.tanh(x) ** 2,
}
_FORMULAS = {  # label -> a derivative formula written in terms of an activation's output v
    "s (1 - s), the sigmoid's derivative formula,": lambda v: v * (1.0 - v),
    "1 - t**2, tanh's derivative formula,": lambda v: 1.0 - v * v,
    "1 - t (tanh's formula without the square)": lambda v: 1.0 - v,
    "the activation's value itself (no derivative)": lambda v: v,
}
_FUNCTIONS = {
    "relu": lambda x: np.maximum(x, 0.0),
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
}


def _same_shape(shape: tuple, *arrays) -> bool:
    return all(a is not None and a.shape == shape for a in arrays)


def other_function(got, expected, *, x=None, out=None, dout=None, what: str = "it") -> str | None:
    """Does ``got`` match what a different activation (or formula) gives?

    A gradient (``dout`` given): dout * f'(x) for relu, sigmoid and tanh, then
    the usual derivative formulas applied to the layer's right output ``out``
    and to its input ``x`` (a slip in what the cache holds). A value (no
    dout): relu, sigmoid or tanh of x, or of the right answer (an activation
    too many). x, out, dout: arrays of got's shape, or None. A candidate that
    equals the right answer is never named.
    """
    got, expected = _float_array(got), _float_array(expected)
    x, out, dout = _float_array(x), _float_array(out), _float_array(dout)
    if got is None or expected is None or got.shape != expected.shape:
        return None
    candidates = []
    if dout is not None and _same_shape(got.shape, dout):
        if _same_shape(got.shape, x):
            candidates += [(f"matches dout times {label} at x, not the derivative this layer needs",
                            dout * f(x)) for label, f in _DERIVATIVES.items()]
        for source, value in (("this layer's output", out), ("the input x instead of the output", x)):
            if _same_shape(got.shape, value):
                candidates += [(f"matches dout times {label} computed from {source}", dout * f(value))
                               for label, f in _FORMULAS.items()]
        candidates.append(("is dout minus the right answer: the mask or the derivative is inverted "
                           "(1 - f' where f' belongs)", dout - expected))
    elif dout is None:
        if _same_shape(got.shape, x):
            candidates += [(f"computes {name} of the input, not the required function", f(x))
                           for name, f in _FUNCTIONS.items()]
        if expected.size > 1:
            candidates += [(f"is {name} of the right answer: an activation too many (after the last "
                            "layer?)", f(expected)) for name, f in _FUNCTIONS.items()]
    with np.errstate(all="ignore"):
        for label, candidate in candidates:
            if _close(got, candidate) and not _close(candidate, expected):
                return f"{what} {label}"
    return None


# -- where it is wrong -----------------------------------------------------------------------
def _value_masks(name: str, value: np.ndarray, wrong: np.ndarray):
    """(place, mask) pairs from the sign and the size of one same-shaped input."""
    name = display_name(name)
    yield f"where {name} < 0", value < 0
    yield f"where {name} > 0", value > 0
    yield f"where {name} == 0", value == 0
    yield f"where {name} <= 0", value <= 0
    yield f"where {name} >= 0", value >= 0
    magnitude = np.abs(value)
    if (~wrong).any():
        threshold = float(np.min(magnitude[wrong]))
        if threshold > float(np.max(magnitude[~wrong])):
            yield f"where |{name}| is large (|{name}| >= {threshold:.3g})", magnitude >= threshold


def _label_masks(name: str, labels: np.ndarray, shape: tuple):
    """The true-class entries [i, labels[i]] of an (N, C) result, and the others."""
    if len(shape) != 2 or labels.shape != (shape[0],) or labels.min() < 0 or labels.max() >= shape[1]:
        return
    label = "labels" if re.fullmatch(r"arg\d+", name) else name
    onehot = np.zeros(shape, dtype=bool)
    onehot[np.arange(shape[0]), labels] = True
    yield f"at the true-class entries [i, {label}[i]]", onehot
    yield f"away from the true class: at every entry but [i, {label}[i]]", ~onehot


def _edge_masks(shape: tuple):
    """(label, mask) for the first and last row and column (of a 2-D array;
    index 0 and -1 of the first and the last axis for more axes)."""
    index = np.indices(shape)
    two_d = len(shape) == 2
    yield ("the first row" if two_d else "index 0 of axis 0"), index[0] == 0
    yield ("the last row" if two_d else "the last index of axis 0"), index[0] == shape[0] - 1
    yield ("the first column" if two_d else "index 0 of the last axis"), index[-1] == 0
    yield ("the last column" if two_d else "the last index of the last axis"), index[-1] == shape[-1] - 1


def _position_masks(shape: tuple):
    """The first/last entry of a vector; the edges and the diagonal of an array."""
    if not shape or min(shape) == 0:
        return
    if len(shape) == 1:
        index = np.arange(shape[0])
        yield "the first entry", index == 0
        yield "the last entry", index == shape[0] - 1
        return
    yield from _edge_masks(shape)
    if len(shape) == 2 and shape[0] == shape[1]:
        index = np.indices(shape)
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
        for place, mask in masks:
            if np.array_equal(wrong, mask):
                return f"wrong only {place}"
    if not np.any(expected[~wrong]):
        return "right only where the right answer is 0: every other entry is wrong"
    for label, mask in _position_masks(got.shape):
        if np.array_equal(wrong, mask):
            return f"wrong only in {label}"
    lines = _whole_lines(wrong)
    if lines:
        return f"wrong only in {lines}"
    if wrong.ndim > 1:
        for label, mask in _edge_masks(wrong.shape):
            if not np.any(wrong & ~mask):
                return f"wrong only in {label} ({int(wrong.sum())} of its {int(mask.sum())} entries)"
    places = [str(tuple(int(i) for i in where)) for where in np.argwhere(wrong)]
    if len(places) <= 3:
        return f"wrong at {len(places)} {'entry' if len(places) == 1 else 'entries'}: {', '.join(places)}"
    return f"wrong in {wrong.mean():.0%} of the entries (the first at index {places[0]})"


def swapped_items(got, expected) -> str | None:
    """'items 0 and 1 are swapped' when exchanging two items of a tuple or list
    result makes it match (e.g. precision and recall, or dW and db)."""
    if not isinstance(got, (tuple, list)) or not isinstance(expected, (tuple, list)) or \
            len(got) != len(expected):
        return None

    def same(a, b) -> bool:
        a, b = _float_array(a), _float_array(b)
        return a is not None and b is not None and _close(a, b)

    for i, j in itertools.combinations(range(len(got)), 2):
        rest = all(same(got[k], expected[k]) for k in range(len(got)) if k not in (i, j))
        if rest and same(got[i], expected[j]) and same(got[j], expected[i]) and not same(got[i], got[j]):
            return f"items {i} and {j} are swapped"
    return None


def batch_size(args) -> int | None:
    """N of the first array argument with at least one axis (the batch, by the
    conventions), or None."""
    for value in args:
        if isinstance(value, np.ndarray) and value.ndim:
            return value.shape[0]
    return None


# -- everything, in order ---------------------------------------------------------------------
def describe(got, expected, *, inputs: dict | None = None, batch: int | None = None,
             what: str = "it", x=None, out=None, dout=None) -> str | None:
    """The first explanation that fits, or None.

    inputs: {name: argument} of the call; x, out: the input and the right
    output of an elementwise layer (for the different-activation candidates);
    dout: the upstream gradient when ``got`` is a gradient, None for a value.
    """
    if not _comparable(got, expected):
        return None
    inputs = inputs or {}
    scalar = _float_array(expected) is not None and not np.ndim(expected)
    size = next((a.size for a in inputs.values() if isinstance(a, np.ndarray) and a.dtype.kind == "f"),
                None) if scalar else None
    return (overflow(got, expected, inputs, what=what)
            or explain(got, expected, batch=batch, size=size, what=what)
            or other_function(got, expected, x=x, out=out, dout=dout, what=what)
            or where_wrong(got, expected, inputs))


def consistency(analytic: np.ndarray, numerical: np.ndarray, forward_ok: bool, forward: str) -> str:
    """What the numerical gradient of the student's own forward says about a
    gradient that differs from the reference (analytic and numerical: the same
    sampled entries), as a clause; empty when it says nothing."""
    agrees = bool(np.allclose(analytic, numerical, rtol=1e-5, atol=1e-7))
    if agrees and not forward_ok:
        return (f"it matches the numerical gradient of your own {forward}, so the backward is "
                "consistent and the forward is what is wrong")
    if not agrees and forward_ok:
        return (f"your {forward} matches the reference, but the gradient disagrees with its "
                "numerical gradient, so the backward pass is wrong")
    if not agrees:
        return (f"it also disagrees with the numerical gradient of your own {forward}, "
                "so the forward and the backward pass are both wrong")
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
    if isinstance(got, np.ndarray) and got.shape != np.shape(expected):
        return None
    got, expected = _float_array(got), _float_array(expected)
    if got is None or expected is None or got.shape != expected.shape or got.size < 2:
        return None
    crop = (slice(0, HEATMAP_ROWS), slice(0, HEATMAP_COLUMNS))
    return {"label": label, "shape": list(got.shape),
            "student": _plain(_as_rows(got)[crop]), "reference": _plain(_as_rows(expected)[crop])}
