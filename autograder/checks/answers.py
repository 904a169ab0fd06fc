"""Answer checks: a number the student states (a module attribute) against the
reference's, with a tolerance and hints for the common unit slips."""

from __future__ import annotations

import numbers

import numpy as np

from autograder.checks.base import AttributeCheck, short


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


class AnswerCheck(AttributeCheck):
    """Compare ``module:NAME`` with the reference's value: |got - expected| <=
    atol + rtol |expected|. Answers are instructor-only by default."""

    kind = "answers"

    def __init__(self, name: str, points: float, target: str, *, rtol: float = 1e-6,
                 atol: float = 0.0, public: bool = False, **options):
        super().__init__(name, points, target, public=public, **options)
        self.rtol, self.atol = rtol, atol

    def compare(self, got, expected):
        label = short(self.target)
        if got is None:
            return self.failed(f"{label} is not answered yet (it is None)")
        if not _is_number(got) or not np.isfinite(got):
            return self.failed(f"{label} should be a finite number, got {got!r}")
        if abs(got - expected) <= self.atol + self.rtol * abs(expected):
            return self.passed()
        hint = ""
        if 0 < abs(expected) <= 1 and abs(got / 100 - expected) <= self.atol + self.rtol * abs(expected) + 1e-12:
            hint = ": it looks like a percentage; give a fraction between 0 and 1"
        elif expected != 0 and got != 0 and abs(got * 100 - expected) <= self.rtol * abs(expected) + self.atol:
            hint = ": it looks like a fraction where a percentage is expected"
        return self.failed(f"{label} = {got!r} is not right{hint}")
