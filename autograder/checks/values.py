"""Value checks: a function's output against the reference's, after exact
type, dtype and shape checks."""

from __future__ import annotations

from autograder.checks import diagnose
from autograder.checks.base import Check, Context, as_args, short
from autograder.checks.compare import conform, leaves, worst_mismatch
from autograder.sandbox.client import Call


class ValueCheck(Check):
    """Call ``target`` on inputs from ``inputs(rng)`` (a tuple or an Args) and
    compare with the reference within rtol/atol. ``pick`` selects one item of
    a tuple result (e.g. 0 for the ``out`` of ``(out, cache)``)."""

    kind = "values"

    def __init__(self, name: str, points: float, target: str, *, inputs,
                 pick: int | None = None, rtol: float = 1e-7, atol: float = 1e-10, **options):
        super().__init__(name, points, **options)
        self.target, self.inputs, self.pick, self.rtol, self.atol = target, inputs, pick, rtol, atol

    def _reference(self, ref, call):
        value = ref.get(self.target)(*call.args, **call.kwargs)
        return value if self.pick is None else value[self.pick]

    def run(self, ctx: Context):
        call = as_args(self.inputs(ctx.rng(self.name)))
        expected = ctx.expected(self, "value", lambda ref: self._reference(ref, call.copy()))
        outcome = ctx.sandbox.run([Call(self.target, call.args, call.kwargs, pick=self.pick)],
                                  timeout=self.timeout)[0]
        if not outcome.ok:
            return self.from_outcome(outcome, short(self.target))
        return self.compare(outcome.value, expected, call)

    def compare(self, got, expected, call=None):
        what = f"{short(self.target)}'s output"
        problem = conform(got, expected, what)
        if problem:
            hint = diagnose.explain(got, expected, what="it", batch=_batch(call))
            return self.failed(problem + (f" — {hint}" if hint else ""))
        mismatch = worst_mismatch(got, expected, self.rtol, self.atol)
        if mismatch is None:
            return self.passed()
        error, path = mismatch
        where = f"{what}{path}"
        message = f"{where} differs from the reference (largest error {error:.3g})"
        got_leaf = dict(leaves(got)).get(path)
        expected_leaf = dict(leaves(expected)).get(path)
        hint = diagnose.explain(got_leaf, expected_leaf, what="it", batch=_batch(call))
        if hint is None and call is not None:
            inputs = {f"arg{i}": a for i, a in enumerate(call.args)}
            try:
                hint = diagnose.where_wrong(got_leaf, expected_leaf, inputs)
            except (TypeError, ValueError, AttributeError):
                hint = None
        return self.failed(message + (f": {hint}" if hint else ""), error=error)


def _batch(call) -> int | None:
    if call is None or not call.args:
        return None
    first = call.args[0]
    return first.shape[0] if getattr(first, "ndim", 0) else None
