"""Comparing untrusted values with trusted ones: structure first, then numbers."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from autograder.sandbox.protocol import Opaque


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """max over entries of |a - b| / max(1e-8, |a| + |b|); 0 for empty arrays."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def _type_name(value) -> str:
    if isinstance(value, Opaque):
        return value.description
    if type(value) is np.ndarray:
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return type(value).__name__


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def conform(got, expected, what: str = "the result") -> str | None:
    """Why ``got`` cannot stand in for ``expected`` (None when it can).

    Checks exact container types, dict keys, ndarray type, dtype kind and
    size, shape, and finiteness wherever the expected value is finite.
    ``expected`` comes from the trusted reference (or stored values).
    """
    if isinstance(expected, np.ndarray):
        if type(got) is not np.ndarray:
            return f"{what} should be a NumPy array of shape {expected.shape}, got {_type_name(got)}"
        if got.shape != expected.shape:
            return f"{what} has shape {got.shape}, expected {expected.shape}"
        if expected.dtype.kind == "f" and got.dtype != expected.dtype:
            return f"{what} has dtype {got.dtype}, expected {expected.dtype}"
        if expected.dtype.kind in "iu" and got.dtype.kind not in "iu":
            return f"{what} has dtype {got.dtype}, expected an integer dtype"
        if expected.dtype.kind == "b" and got.dtype.kind != "b":
            return f"{what} has dtype {got.dtype}, expected bool"
        if got.dtype.kind == "f" and not np.all(np.isfinite(got)[np.isfinite(expected)]):
            bad = int(np.sum(~np.isfinite(got)))
            return f"{what} contains {bad} NaN or infinite value(s)"
        return None
    if isinstance(expected, (tuple, list)):
        kind = "tuple" if isinstance(expected, tuple) else "list"
        accepted = (tuple,) if kind == "tuple" else (list, tuple)
        if type(got) not in accepted:
            return f"{what} should be a {kind} of {len(expected)} items, got {_type_name(got)}"
        if len(got) != len(expected):
            return f"{what} should be a {kind} of {len(expected)} items, got {len(got)}"
        for i, (g, e) in enumerate(zip(got, expected)):
            problem = conform(g, e, f"item {i} of {what}")
            if problem:
                return problem
        return None
    if isinstance(expected, dict):
        if type(got) is not dict:
            return f"{what} should be a dict with keys {sorted(expected)}, got {_type_name(got)}"
        if set(got) != set(expected):
            missing, extra = sorted(set(expected) - set(got)), sorted(set(got) - set(expected))
            parts = ([f"missing {missing}"] if missing else []) + ([f"unexpected {extra}"] if extra else [])
            return f"{what} has the wrong keys: " + ", ".join(parts)
        for key in expected:
            problem = conform(got[key], expected[key], f"{what}[{key!r}]")
            if problem:
                return problem
        return None
    if isinstance(expected, (bool, np.bool_)):
        if not isinstance(got, (bool, np.bool_)):
            return f"{what} should be a bool, got {_type_name(got)}"
        return None
    if _is_real(expected):
        if not _is_real(got):
            return f"{what} should be a number, got {_type_name(got)}"
        if isinstance(expected, numbers.Integral) and not isinstance(got, numbers.Integral):
            if float(got) != int(got) if np.isfinite(got) else True:
                return f"{what} should be a whole number, got {got!r}"
        if np.isfinite(expected) and not np.isfinite(got):
            return f"{what} is {got}, expected a finite number"
        return None
    if expected is None:
        return None if got is None else f"{what} should be None, got {_type_name(got)}"
    if isinstance(expected, str):
        return None if isinstance(got, str) else f"{what} should be a string, got {_type_name(got)}"
    return None


def leaves(tree, path: str = "") -> list[tuple[str, object]]:
    """Flatten nested tuples, lists and dicts into (path, leaf) pairs."""
    if isinstance(tree, dict):
        return [pair for key in tree for pair in leaves(tree[key], f"{path}[{key!r}]")]
    if isinstance(tree, (tuple, list)):
        return [pair for i, item in enumerate(tree) for pair in leaves(item, f"{path}[{i}]")]
    return [(path, tree)]


def paired_leaves(got, expected, path: str = "") -> list[tuple[str, Any, Any]]:
    """(path, got's leaf, expected's leaf) for every leaf of ``expected``, walking
    its structure: dict entries by key, in expected's order, never by position.
    Assumes ``conform(got, expected)`` passed (same keys and lengths)."""
    if isinstance(expected, dict):
        return [triple for key in expected
                for triple in paired_leaves(got[key], expected[key], f"{path}[{key!r}]")]
    if isinstance(expected, (tuple, list)):
        return [triple for i, (g, e) in enumerate(zip(got, expected))
                for triple in paired_leaves(g, e, f"{path}[{i}]")]
    return [(path, got, expected)]


def worst_mismatch(got, expected, rtol: float, atol: float) -> tuple[float, str] | None:
    """The largest violation of |got - expected| <= atol + rtol |expected| over all
    numeric leaves, as (absolute error, leaf path), or None when all agree.
    Assumes ``conform(got, expected)`` passed."""
    worst: tuple[float, str] | None = None
    for path, g, e in paired_leaves(got, expected):
        if isinstance(e, str) or e is None:
            if g != e:
                return (float("inf"), path)
            continue
        g_arr = np.asarray(g, dtype=np.float64)
        e_arr = np.asarray(e, dtype=np.float64)
        both_nonfinite = ~np.isfinite(e_arr) & (g_arr == e_arr)
        error = np.where(both_nonfinite, 0.0, np.abs(g_arr - e_arr))
        error = np.where(np.isnan(error), np.inf, error)
        excess = error - (atol + rtol * np.abs(np.where(np.isfinite(e_arr), e_arr, 0.0)))
        if excess.size and np.max(excess) > 0:
            value = float(np.max(error))
            if worst is None or value > worst[0]:
                worst = (value, path)
    return worst
