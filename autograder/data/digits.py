"""The 8x8 handwritten digits, shipped with the package as ``digits.npy``.

The file holds the test set of the UCI "Optical Recognition of Handwritten
Digits" collection (E. Alpaydin and C. Kaynak, Bogazici University, 1998;
https://archive.ics.uci.edu/dataset/80, CC BY 4.0), exactly as scikit-learn
bundles it (``sklearn.datasets.load_digits``), written by
:mod:`autograder.data.export_digits`. Loading it checks its SHA-256 and needs
NumPy only.
"""

from __future__ import annotations

import hashlib
import io
from functools import lru_cache
from pathlib import Path

import numpy as np

from autograder.data.errors import DataError

DIGITS_FILE = Path(__file__).resolve().with_name("digits.npy")
DIGITS_SHA256 = "c45cf27f9e6d1507aa17aa9949fab3d046c8ffa373a108f49991e27f232ad83b"
DIGITS_SHAPE = (1797, 65)


@lru_cache(maxsize=1)
def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """(pixels, labels): float64 (1797, 64) with integer values 0..16, int64 (1797,) in 0..9.

    Raises DataError when the packaged file is missing or altered.
    """
    try:
        content = DIGITS_FILE.read_bytes()
    except OSError as exc:
        raise DataError(f"the packaged digits data {DIGITS_FILE} cannot be read ({exc.strerror})") from None
    if hashlib.sha256(content).hexdigest() != DIGITS_SHA256:
        raise DataError(
            f"the packaged digits data {DIGITS_FILE} does not match its checksum: reinstall the package"
        )
    table = np.load(io.BytesIO(content), allow_pickle=False)
    if table.shape != DIGITS_SHAPE or table.dtype != np.uint8:
        raise DataError(f"the packaged digits data {DIGITS_FILE} has the wrong shape or type")
    return table[:, :64].astype(np.float64), table[:, 64].astype(np.int64)
