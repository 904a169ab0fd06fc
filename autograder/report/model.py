"""What a grading run produces: one CheckResult per rubric check."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


class Status:
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    TIMEOUT = "timeout"
    SKIPPED = "skipped"


@dataclass
class CheckResult:
    """One check's outcome.

    score/max_score: points earned and available; status: one of Status;
    message: one or two sentences a student can act on; details: plain data
    for richer reports (errors, diagnostics, curves).
    """

    name: str
    score: float
    max_score: float
    status: str
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    visible: bool = True

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class GradeReport:
    """All results for one submission of one assignment."""

    assignment: str
    submission: str
    results: list[CheckResult]
    seed: int
    seconds: float = 0.0
    mode: str = "grade"
    notes: list[str] = field(default_factory=list)
    output: str = ""

    @property
    def score(self) -> float:
        return round(sum(r.score for r in self.results), 6)

    @property
    def max_score(self) -> float:
        return round(sum(r.max_score for r in self.results), 6)

    @property
    def fraction(self) -> float:
        return self.score / self.max_score if self.max_score else 0.0

    def to_dict(self) -> dict:
        return {"assignment": self.assignment, "submission": self.submission,
                "score": self.score, "max_score": self.max_score, "seed": self.seed,
                "seconds": round(self.seconds, 3), "mode": self.mode, "notes": self.notes,
                "results": [r.to_dict() for r in self.results]}
