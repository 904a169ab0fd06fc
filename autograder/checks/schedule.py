"""Schedule checks: a function of the step t (a learning-rate schedule) over
t = 0 .. steps-1, against the reference, with an off-by-one named."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autograder.checks.base import Args, Check, Context, short
from autograder.checks.compare import conform
from autograder.checks.show import show_value
from autograder.report.model import CheckResult
from autograder.sandbox.client import Call, Outcome

RTOL, ATOL = 1e-9, 1e-15  # rates are equal up to rounding


class ScheduleCheck(Check):
    """A schedule at t = 0 .. steps-1 against the reference, in one request; names
    an off-by-one when the values are the reference's shifted by one step.
    ``inputs(rng)`` returns a list of Args(lr0, *rest, **kwargs): the call is
    target(lr0, t, *rest, **kwargs); credit per variant. ``held``: a sentence
    for a schedule that changes where the reference's holds its rate."""

    kind = "values"

    def __init__(self, name: str, points: float, target: str, *,
                 inputs: Callable[[np.random.Generator], list[Args]], steps: int = 40,
                 held: str | None = None, **options: Any):
        super().__init__(name, points, **options)
        self.target, self.inputs, self.steps, self.held = target, inputs, steps, held

    def run(self, ctx: Context) -> CheckResult:
        variants = self.inputs(ctx.rng(self.name))
        # One value more than is asked of the student, to recognise an off-by-one.
        expected = ctx.expected(self, "values", lambda ref: [
            [float(ref.get(self.target)(v.args[0], t, *v.args[1:], **v.kwargs))
             for t in range(self.steps + 1)] for v in variants])
        calls = [Call(self.target, (v.args[0], t, *v.args[1:]), dict(v.kwargs))
                 for v in variants for t in range(self.steps)]
        outcomes = ctx.sandbox.run(calls, timeout=self.timeout)
        messages = []
        for i, (variant, want) in enumerate(zip(variants, expected)):
            message = self._compare(variant, want, outcomes[i * self.steps:(i + 1) * self.steps])
            if message:
                messages.append(message)
        if not messages:
            return self.passed()
        return self.failed(" ".join(dict.fromkeys(messages)), fraction=1 - len(messages) / len(variants))

    def _compare(self, variant: Args, want: list[float], outcomes: list[Outcome]) -> str | None:
        """What is wrong with one variant's rates, or None."""
        function = short(self.target)
        got = []
        for t, outcome in enumerate(outcomes):
            if not outcome.ok:
                return f"{function} failed at t={t}: {outcome.error}."
            problem = conform(outcome.value, want[t], f"{function}(..., t={t})")
            if problem:
                return problem + "."
            got.append(float(outcome.value))
        got_a, want_a = np.array(got), np.array(want)
        wrong = ~np.isclose(got_a, want_a[:-1], rtol=RTOL, atol=ATOL)
        if not wrong.any():
            return None
        t = int(np.argmax(wrong))
        arguments = ", ".join([show_value(variant.args[0]), f"t={t}", *map(show_value, variant.args[1:]),
                               *(f"{k}={show_value(val)}" for k, val in variant.kwargs.items())])
        message = f"{function}({arguments}) = {got[t]:.6g}, expected {want[t]:.6g}"
        if np.allclose(got_a, want_a[1:], rtol=RTOL, atol=ATOL):
            return message + ": off by one, your rate at step t is the reference's at t + 1 (t starts at 0)."
        if np.allclose(got_a[1:], want_a[:-2], rtol=RTOL, atol=ATOL):
            return message + ": off by one, your rate at step t is the reference's at t - 1 (t starts at 0)."
        changed = np.isclose(np.diff(want_a[:-1]), 0, rtol=RTOL, atol=ATOL) & \
            ~np.isclose(np.diff(got_a), 0, rtol=RTOL, atol=ATOL)
        if self.held and changed.any():
            t = int(np.argmax(changed))
            return (f"{message}: from t={t} to t={t + 1} the reference holds the rate and yours "
                    f"changes; {self.held}.")
        return message + "."
