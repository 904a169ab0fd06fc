"""Raises checks: fixed calls that have no valid answer must raise a given exception."""

from __future__ import annotations

from typing import Any

from autograder.checks.base import Args, Check, Context, as_args, short
from autograder.checks.cases import plain, show_call
from autograder.report.model import CheckResult
from autograder.sandbox.client import Call


class RaisesCheck(Check):
    """Each of ``calls``, (target, arguments) pairs with arguments a tuple or Args,
    raises ``exception`` (its name); credit per call, all in one request. ``why``
    completes the message for a call that returned: "f(3, 5) returned 0: WHY"."""

    kind = "property"

    def __init__(self, name: str, points: float, calls: list[tuple[str, Args | tuple]], *, why: str,
                 exception: str = "ValueError", **options: Any):
        super().__init__(name, points, **options)
        self.calls = [(target, as_args(arguments)) for target, arguments in calls]
        self.why, self.exception = why, exception

    def run(self, ctx: Context) -> CheckResult:
        outcomes = ctx.sandbox.run([Call(target, call.args, call.kwargs) for target, call in self.calls],
                                   timeout=self.timeout)
        wrong = []
        for (target, call), outcome in zip(self.calls, outcomes):
            text = show_call(short(target), call)
            if outcome.ok:
                wrong.append(f"{text} returned {plain(outcome.value)!r}: {self.why}")
            elif not outcome.error.startswith(self.exception):
                wrong.append(f"{text} should raise {self.exception}, got {outcome.error}")
        if not wrong:
            return self.passed()
        return self.result(1 - len(wrong) / len(self.calls), "; ".join(wrong[:2]))
