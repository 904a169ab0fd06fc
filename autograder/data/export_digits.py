"""Writes autograder/data/digits.npy from scikit-learn's bundled copy of the digits.

Run once by a maintainer (``python -m autograder.data.export_digits``), with
scikit-learn installed; grading reads the written file and never imports
scikit-learn. The rows are scikit-learn's ``load_digits()`` in its order: 64
pixel values (8x8, row-major, integers 0..16) and the label (0..9) as the 65th
column, uint8. Afterwards, put the SHA-256 it prints into
``autograder/data/digits.py`` (DIGITS_SHA256).

The data is the test set of the UCI "Optical Recognition of Handwritten
Digits" collection (E. Alpaydin and C. Kaynak, 1998), which the UCI Machine
Learning Repository publishes under CC BY 4.0 and scikit-learn redistributes
(BSD-3-Clause); both allow this copy, with the attribution kept in
``autograder/data/digits.py``.
"""

from __future__ import annotations

import hashlib

import numpy as np

from autograder.data.digits import DIGITS_FILE


def digits_table() -> np.ndarray:
    """scikit-learn's digits as uint8 rows (1797, 65): 64 pixels, then the label."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    table = np.column_stack([digits.data, digits.target])
    if not np.array_equal(table, np.rint(table)) or table.min() < 0 or table.max() > 16:
        raise ValueError("scikit-learn's digits are no longer integers in 0..16")
    return np.ascontiguousarray(table, dtype=np.uint8)


def main() -> None:
    np.save(DIGITS_FILE, digits_table(), allow_pickle=False)
    print(f"wrote {DIGITS_FILE}, SHA-256 {hashlib.sha256(DIGITS_FILE.read_bytes()).hexdigest()}")


if __name__ == "__main__":
    main()
