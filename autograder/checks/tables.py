"""Table checks: a list of rows compared cell by cell, with partial credit.

A table is a list of rows; each row is a tuple whose first cell is the row's
name. Every other cell is worth the same share of the points. An optional
``explain(row_name, column, got, expected, expected_row)`` names the likely
slip behind a wrong cell.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from autograder.checks.base import AttributeCheck, short


def _same(got, expected) -> bool:
    if isinstance(expected, (tuple, list)):
        return isinstance(got, (tuple, list)) and len(got) == len(expected) and \
            all(_same(g, e) for g, e in zip(got, expected))
    if isinstance(expected, (int, float, np.integer, np.floating)) and not isinstance(expected, bool):
        return isinstance(got, (int, float, np.integer, np.floating)) and not isinstance(got, bool) \
            and float(got) == float(expected)
    return got == expected


def _show(value) -> str:
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(_show(v) for v in value) + ")"
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else repr(value)


class TableCheck(AttributeCheck):
    """Grade ``module:NAME`` (a table) against the reference's, cell by cell."""

    kind = "tables"

    def __init__(self, name: str, points: float, target: str, *, columns: tuple[str, ...],
                 explain: Callable | None = None, public: bool = False, **options):
        super().__init__(name, points, target, public=public, **options)
        self.columns, self.explain = columns, explain

    def compare(self, got, expected):
        label = short(self.target)
        if got is None:
            return self.failed(f"{label} is not filled in yet (it is None)")
        if not isinstance(got, (list, tuple)):
            return self.failed(f"{label} should be a list of rows, got {type(got).__name__}")
        total = sum(len(row) - 1 for row in expected)
        right, wrong = 0, []
        for index, expected_row in enumerate(expected):
            row_name = expected_row[0]
            got_row = got[index] if index < len(got) else None
            if not isinstance(got_row, (list, tuple)) or len(got_row) != len(expected_row):
                wrong.append(f"row {index + 1} ({row_name}) is missing or has the wrong number of cells")
                continue
            for column in range(1, len(expected_row)):
                if _same(got_row[column], expected_row[column]):
                    right += 1
                    continue
                text = (f"{row_name} {self.columns[column]}: {_show(got_row[column])}, "
                        f"expected {_show(expected_row[column])}")
                hint = self.explain(row_name, self.columns[column], got_row[column],
                                    expected_row[column], expected_row) if self.explain else None
                wrong.append(text + (f" ({hint})" if hint else ""))
        if len(got) > len(expected):
            wrong.append(f"{len(got) - len(expected)} extra row(s)")
            total += (len(got) - len(expected)) * (len(self.columns) - 1)
        fraction = right / total if total else 0.0
        if not wrong:
            return self.passed(cells=total)
        shown = "; ".join(wrong[:5]) + (f"; and {len(wrong) - 5} more" if len(wrong) > 5 else "")
        return self.failed(f"{right} of {total} cells right. {shown}", fraction=fraction,
                           wrong_cells=wrong, cells=total)
