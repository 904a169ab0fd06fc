"""The rubric model: an assignment's modules, checks and defaults."""

from __future__ import annotations

from dataclasses import dataclass, field

from autograder.checks.base import Check
from autograder.sandbox.isolation import Limits


def short_id(assignment_id: str) -> str:
    """'a1_backprop' -> 'a1'."""
    return assignment_id.split("_")[0]


@dataclass
class Rubric:
    """id: the directory name (e.g. "a1_backprop"); modules: the student's
    module names (files NAME.py); checks: in report order; timeout: seconds
    per sandbox request unless a check says otherwise; budget: seconds for
    the whole submission; limits: the worker's resource limits."""

    id: str
    title: str
    modules: list[str]
    checks: list[Check]
    timeout: float = 10.0
    budget: float = 600.0
    limits: Limits = field(default_factory=Limits)
    notebook: str | None = None
    extra_files: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        names = [check.name for check in self.checks]
        duplicates = {name for name in names if names.count(name) > 1}
        if duplicates:
            raise ValueError(f"{self.id}: duplicate check names {sorted(duplicates)}")

    @property
    def max_score(self) -> float:
        return sum(check.points for check in self.checks)

    @property
    def short_id(self) -> str:
        return short_id(self.id)
