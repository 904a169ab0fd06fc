"""Value checks: a function's output against the reference's, after exact
type, dtype and shape checks."""

from __future__ import annotations

import inspect

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
        return self.compare(outcome.value, expected, call, _parameter_names(ctx, self.target))

    def compare(self, got, expected, call=None, names=()):
        """names: the target's parameter names, for messages like "wrong only where x < 0"."""
        what = f"{short(self.target)}'s output"
        inputs = {} if call is None else {names[i] if i < len(names) else f"arg{i}": a
                                          for i, a in enumerate(call.args)}
        problem = conform(got, expected, what)
        if problem:
            hint = diagnose.describe(got, expected, inputs=inputs, what="it", batch=_batch(call))
            return self.failed(problem + (f" — {hint}" if hint else ""),
                               heatmaps=[h for h in [diagnose.heatmap(what, got, expected)] if h])
        mismatch = worst_mismatch(got, expected, self.rtol, self.atol)
        if mismatch is None:
            return self.passed()
        error, path = mismatch
        where = f"{what}{path}"
        message = f"{where} differs from the reference (largest error {error:.3g})"
        got_leaf = dict(leaves(got)).get(path)
        expected_leaf = dict(leaves(expected)).get(path)
        x = call.args[0] if call is not None and call.args else None
        hint = diagnose.swapped_items(got, expected) or \
            diagnose.describe(got_leaf, expected_leaf, inputs=inputs, what="it", batch=_batch(call), x=x)
        heatmaps = [h for h in [diagnose.heatmap(where, got_leaf, expected_leaf)] if h]
        return self.failed(message + (f": {hint}" if hint else ""), error=error, heatmaps=heatmaps)


def _parameter_names(ctx: Context, target: str) -> tuple[str, ...]:
    """The reference function's parameter names (none in public mode)."""
    if ctx.reference is None:
        return ()
    try:
        return tuple(inspect.signature(ctx.reference.get(target)).parameters)
    except (TypeError, ValueError):
        return ()


def _batch(call) -> int | None:
    return None if call is None else diagnose.batch_size(call.args)
