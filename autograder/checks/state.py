"""Model weights sent back by the worker, checked before the grader uses them.

A worker sends a state_dict as ``{name: array}``. It is the student's claim like
everything else from the worker: the grader accepts only str names, numeric
arrays (bool, integer or float, no objects), a bounded total size and, for a
model whose architecture the grader knows, exactly that architecture's names
and shapes, so that nothing can be smuggled in an extra entry.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from autograder.checks.base import CheckFailed

MAX_STATE_BYTES = 1 << 30


def checked_state(
    value, what: str, *, like: Mapping[str, tuple[int, ...]] | None = None, max_bytes: int = MAX_STATE_BYTES
) -> dict[str, np.ndarray]:
    """``value`` as {name: array} after the checks above; ``like`` maps each expected name
    to its shape. Raises CheckFailed naming the first problem (``what``: whose weights)."""
    if type(value) is not dict or not value:
        raise CheckFailed(f"{what}: expected a state_dict of arrays, got {type(value).__name__}")
    bad = [
        key
        for key, array in value.items()
        if type(key) is not str or type(array) is not np.ndarray or array.dtype.kind not in "biuf"
    ]
    if bad:
        raise CheckFailed(f"{what}: the entry {str(bad[0])[:60]!r} is not a numeric array")
    size = sum(array.nbytes for array in value.values())
    if size > max_bytes:
        raise CheckFailed(
            f"{what}: {size / 2**20:.0f} MiB of weights, over the limit of {max_bytes / 2**20:.0f} MiB"
        )
    if like is not None:
        missing, extra = [k for k in like if k not in value], [k for k in value if k not in like]
        if missing or extra:
            parts = ([f"missing {', '.join(missing[:3])}"] if missing else []) + (
                [f"unexpected {', '.join(extra[:3])}"] if extra else []
            )
            raise CheckFailed(f"{what}: not the state_dict of the model it should be ({'; '.join(parts)})")
        resized = [k for k in like if value[k].shape != tuple(like[k])]
        if resized:
            key = resized[0]
            raise CheckFailed(f"{what}: {key} has shape {value[key].shape}, expected {tuple(like[key])}")
    return value
