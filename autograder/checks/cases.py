"""Cases checks: a function of small exact values (sizes, counts) on several
inputs at once, with partial credit per case and named slips."""

from __future__ import annotations

import numpy as np

from autograder.checks.base import Args, Check, Context, as_args
from autograder.sandbox.client import Call, reply_budget


def plain(value):
    """Tuples, lists and NumPy scalars as comparable Python values."""
    if isinstance(value, (tuple, list)):
        return tuple(plain(v) for v in value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def show_call(function: str, call: Args) -> str:
    """``function(arg, ..., key=value)`` as a message shows a call."""
    parts = [repr(plain(a)) for a in call.args] + [f"{k}={plain(v)!r}" for k, v in call.kwargs.items()]
    return f"{function}({', '.join(parts)})"


class CasesCheck(Check):
    """``target`` on every input of ``cases(rng)`` (tuples or Args) in one
    request, each compared exactly (value and type) with the reference;
    partial credit per case. ``slips(call)`` lists (description, value) pairs
    that a common mistake would return, to name it."""

    kind = "values"

    def __init__(self, name, points, target: str, *, cases, slips=None, **options):
        super().__init__(name, points, **options)
        self.target, self.cases, self.slips = target, cases, slips

    def run(self, ctx: Context):
        function = self.target.split(":")[-1]
        calls = [as_args(c) for c in self.cases(ctx.rng(self.name))]
        expected = ctx.expected(self, "values", lambda ref: [
            ref.get(self.target)(*c.copy().args, **c.kwargs) for c in calls])
        outcomes = ctx.sandbox.run([Call(self.target, c.args, c.kwargs, max_bytes=reply_budget(want))
                                    for c, want in zip(calls, expected)], timeout=self.timeout)
        wrong = [problem for call, outcome, want in zip(calls, outcomes, expected)
                 if (problem := self._problem(function, call, outcome, want))]
        if not wrong:
            return self.passed()
        if not any(outcome.ok for outcome in outcomes):
            return self.failed(f"{function}: {outcomes[0].error}")
        shown = "; ".join(wrong[:3]) + (f"; and {len(wrong) - 3} more" if len(wrong) > 3 else "")
        return self.result(1 - len(wrong) / len(calls), shown)

    def _problem(self, function, call, outcome, want) -> str | None:
        """What is wrong with one case, or None."""
        if not outcome.ok:
            return f"{show_call(function, call)}: {outcome.error}"
        got, want = plain(outcome.value), plain(want)
        if got == want and type(got) is type(want):
            return None
        if got == want:
            return f"{show_call(function, call)} returned a {type(got).__name__}, expected {want!r}"
        text = f"{show_call(function, call)} returned {got!r}, expected {want!r}"
        for description, value in (self.slips(call) if self.slips else []):
            if value is not None and plain(value) == got:
                return f"{text} ({description})"
        return text
