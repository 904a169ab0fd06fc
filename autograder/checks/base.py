"""What every check shares: the grading context and the Check base class."""

from __future__ import annotations

import copy
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable

import numpy as np

from autograder.report.model import CallStatus, CheckResult, Status
from autograder.sandbox.client import Outcome, Sandbox, reply_budget


class NoExpectedValue(Exception):
    """Public mode has no stored expected value for this check."""


class CheckFailed(Exception):
    """Raised inside a check's own code: the check ends with ``fraction`` of its
    points and ``message`` (PropertyCheck turns it into the result)."""

    def __init__(self, message: str, fraction: float = 0.0):
        super().__init__(message)
        self.message, self.fraction = message, fraction


class Args:
    """Positional and keyword arguments of one call, as input generators return them."""

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs

    def copy(self) -> "Args":
        return Args(*copy.deepcopy(self.args), **copy.deepcopy(self.kwargs))


def as_args(value) -> Args:
    return value if isinstance(value, Args) else Args(*value)


@dataclass
class Context:
    """Everything a check needs while it runs.

    sandbox: the worker running the submission.
    seed: this run's seed; each check derives its own generator from it.
    reference: the trusted Reference (grading), or None (public mode).
    stored: expected values for the public seed (public mode), by check name.
    recording: when set, expected values computed from the reference are
        also stored here (how the public expected values are generated).
    results: the results of the checks run so far in this grading run, by name
        (what ``requires`` is judged on).
    cache: values shared by the checks of this one grade (see ``once``).
    """

    sandbox: Sandbox
    seed: int
    reference: Any = None
    stored: dict | None = None
    recording: dict | None = None
    data_root: str | None = None
    options: dict = field(default_factory=dict)
    results: dict[str, CheckResult] = field(default_factory=dict)
    cache: dict = field(default_factory=dict)

    @property
    def public(self) -> bool:
        return self.reference is None

    def unmet(self, names) -> list[str]:
        """The checks among ``names`` that ran in this run and did not pass (a
        skipped check, or one not run at all, does not count against them)."""
        return [name for name in names
                if name in self.results and self.results[name].status not in (Status.PASSED, Status.SKIPPED)]

    def worth_running(self, names) -> bool:
        """Whether none of the checks ``names`` timed out, so that what depends on
        them can still run (quickly), unscored, for what its message says."""
        return all(self.results[name].status != Status.TIMEOUT for name in names if name in self.results)

    def rng(self, name: str) -> np.random.Generator:
        """A generator that depends only on the run's seed and the check's name."""
        return np.random.default_rng([self.seed, zlib.crc32(name.encode())])

    def once(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """``compute()``, run once per grade for ``key`` and shared by the checks that ask
        again (e.g. one sandbox request whose answer several checks read)."""
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]

    def expected(self, check: "Check", key: str, compute: Callable[[Any], Any]):
        """The trusted value for ``key`` of ``check``: from the reference, or stored."""
        if self.reference is not None:
            value = compute(self.reference)
            if self.recording is not None:
                self.recording.setdefault(check.name, {})[key] = value
            return value
        try:
            return self.stored[check.name][key]  # type: ignore[index]
        except (TypeError, KeyError):
            raise NoExpectedValue(check.name) from None


def short(target: str) -> str:
    """'layers:linear_forward' -> 'linear_forward'."""
    return target.split(":")[-1]


def needs_first(names) -> str:
    """'needs linear_backward to pass first' for one or more check names."""
    quoted = [f"'{name}'" for name in names]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
    return f"needs {listed} to pass first"


class Check:
    """One gradable item of a rubric.

    name: unique within the rubric; points: what it is worth;
    public: whether `autograder check` (no reference) can run it;
    timeout: seconds for its sandbox request (None: the rubric's default);
    requires: names of earlier checks that must pass for this one to score
        (a property of a function is worth nothing while its values are wrong:
        all-zero stubs are linear in dout); the grader gives it 0 otherwise.
    """

    kind = "check"

    def __init__(self, name: str, points: float, *, public: bool = True,
                 timeout: float | None = None, description: str = "", requires=()):
        self.name, self.points, self.public = name, float(points), public
        self.timeout, self.description = timeout, description
        self.requires = tuple([requires] if isinstance(requires, str) else requires)

    def needs(self) -> tuple[str, ...]:
        """Every check this one depends on: its ``requires`` and those of its parts
        (the rubric's dependency graph is made of these)."""
        return self.requires

    def blocked(self, unmet: list[str], own: CheckResult | None = None) -> CheckResult:
        """The result when required checks did not pass: 0, saying which, and what
        the check found when run on its own (``own``) if it failed too."""
        message = needs_first(unmet)
        if own is not None and own.status != Status.PASSED and own.message:
            message += f". This check also finds: {own.message}"
        return CheckResult(self.name, 0.0, self.points, Status.FAILED, message,
                           {"requires": list(self.needs()), "blocked_by": list(unmet)})

    def prepare(self) -> None:
        """Load what the check needs that costs time (a dataset); the grader calls
        this in a background thread while the worker starts and earlier checks run."""

    def run(self, ctx: Context) -> CheckResult:
        raise NotImplementedError

    # -- result helpers ---------------------------------------------------
    def result(self, fraction: float, message: str = "", **details) -> CheckResult:
        fraction = float(min(1.0, max(0.0, fraction)))
        status = Status.PASSED if fraction >= 1.0 - 1e-12 else Status.FAILED
        return CheckResult(self.name, round(self.points * fraction, 6), self.points, status,
                           message, details)

    def passed(self, message: str = "", **details) -> CheckResult:
        return self.result(1.0, message, **details)

    def failed(self, message: str, fraction: float = 0.0, **details) -> CheckResult:
        result = self.result(fraction, message, **details)
        if result.status == Status.PASSED:
            result.status = Status.FAILED
        return result

    def from_outcome(self, outcome: Outcome, what: str) -> CheckResult:
        """The result for a call that did not return normally."""
        status = CallStatus(outcome.status).check_status
        if outcome.status == "timeout":
            message = f"{what} {outcome.error} (an infinite loop, or far too slow)"
        else:
            message = f"{what}: {outcome.error}"
        return CheckResult(self.name, 0.0, self.points, status, message,
                           {"outcome": outcome.status})

    def first_problem(self, outcomes: list[Outcome], labels: list[str]) -> CheckResult | None:
        """The result for the first call that failed, if any did."""
        for outcome, label in zip(outcomes, labels):
            if not outcome.ok:
                return self.from_outcome(outcome, label)
        return None


class AttributeCheck(Check):
    """A check of a module attribute (a stated answer, a table): the grader
    reads ``module:NAME`` from the worker and the reference and calls
    ``compare(got, expected)``."""

    def __init__(self, name: str, points: float, target: str, **options):
        super().__init__(name, points, **options)
        self.target = target

    def run(self, ctx: Context) -> CheckResult:
        from autograder.sandbox.client import Call

        expected = ctx.expected(self, "value", lambda ref: ref.get(self.target))
        outcome = ctx.sandbox.run([Call(self.target, kind="attr", max_bytes=reply_budget(expected))],
                                  timeout=self.timeout)[0]
        if not outcome.ok:
            return self.from_outcome(outcome, short(self.target))
        return self.compare(outcome.value, expected)

    def compare(self, got, expected) -> CheckResult:
        raise NotImplementedError
