"""What a grading run produces: one CheckResult per rubric check."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any


class _Vocabulary(str, Enum):
    """A str Enum: each member IS its value, so JSON records, comparisons with plain
    strings and dict lookups by plain strings keep working, and it prints as its value."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class Status(_Vocabulary):
    """How a check ended, in every report."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"      # the student's code raised or crashed
    TIMEOUT = "timeout"  # it ran past its time
    SKIPPED = "skipped"  # not run (an instructor-only check in public mode, no stored value)


class CallStatus(_Vocabulary):
    """How one call into the sandbox ended (sandbox.client.Outcome.status)."""

    OK = "ok"
    ERROR = "error"      # it raised
    TIMEOUT = "timeout"  # it ran past its timeout; the worker was killed
    CRASHED = "crashed"  # the worker died, or sent back something malformed

    @property
    def check_status(self) -> Status:
        """The status of a check that ends because this call did not return normally."""
        return Status.TIMEOUT if self is CallStatus.TIMEOUT else Status.ERROR


@dataclass
class CheckResult:
    """One check's outcome.

    score/max_score: points earned and available; status: a Status (a plain string
    such as "passed", e.g. from a stored record, becomes one);
    message: one or two sentences a student can act on; details: plain data
    for richer reports (errors, diagnostics, curves).
    """

    name: str
    score: float
    max_score: float
    status: Status
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    visible: bool = True

    def __post_init__(self) -> None:
        self.status = Status(self.status)

    def to_dict(self) -> dict[str, Any]:
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

    def to_dict(self) -> dict[str, Any]:
        return {"assignment": self.assignment, "submission": self.submission,
                "score": self.score, "max_score": self.max_score, "seed": self.seed,
                "seconds": round(self.seconds, 3), "mode": self.mode, "notes": self.notes,
                "results": [r.to_dict() for r in self.results]}
