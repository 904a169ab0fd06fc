"""Naming the slip: candidate explanations of a wrong array, tested against the truth.

Each candidate transforms the trusted value in the way a common mistake
would; when the student's value matches the transformed one, the mistake is
named. Only plain arrays are compared here (the student's value has already
been validated).
"""

from __future__ import annotations

import numpy as np

_CLOSE = dict(rtol=1e-5, atol=1e-8)


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, **_CLOSE))


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
    if not isinstance(got, np.ndarray) or not isinstance(expected, np.ndarray):
        return None
    if got.dtype.kind not in "fiu" or expected.dtype.kind not in "fiu":
        return None
    got = got.astype(np.float64)
    expected = expected.astype(np.float64)
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


def where_wrong(got: np.ndarray, expected: np.ndarray, inputs: dict[str, np.ndarray]) -> str | None:
    """'wrong only where x < 0'-style localisation against same-shaped inputs."""
    if got.shape != expected.shape:
        return None
    wrong = ~np.isclose(got, expected, **_CLOSE)
    if not wrong.any() or wrong.all():
        return None
    for name, value in inputs.items():
        if not isinstance(value, np.ndarray) or value.shape != got.shape:
            continue
        for label, mask in ((f"{name} < 0", value < 0), (f"{name} > 0", value > 0)):
            if np.array_equal(wrong, mask):
                return f"wrong only where {label}"
    fraction = wrong.mean()
    return f"wrong in {fraction:.0%} of the entries"
