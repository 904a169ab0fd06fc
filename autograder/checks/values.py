"""Value checks: a function's output against the reference's, after exact
type, dtype and shape checks."""

from __future__ import annotations

import inspect

import numpy as np

from autograder.checks import diagnose
from autograder.checks.base import Check, Context, as_args, short
from autograder.checks.compare import conform, leaves, worst_mismatch
from autograder.report.model import Status
from autograder.sandbox.client import Call, reply_budget


class ValueCheck(Check):
    """Call ``target`` on inputs from ``inputs(rng)`` (a tuple or an Args) and
    compare with the reference within rtol/atol. ``pick`` selects one item of
    a tuple result (e.g. 0 for the ``out`` of ``(out, cache)``).

    A failure can be explained two ways:
    slips: (description, fn(call) -> what that mistake returns) pairs; an
        array output that matches one is named by its description.
    hint: a sentence added to the failure when ``hint_when(got, expected,
        call)`` is true (default: the output holds NaN or inf), for checks
        that probe one edge case.
    """

    kind = "values"

    def __init__(self, name: str, points: float, target: str, *, inputs,
                 pick: int | None = None, rtol: float = 1e-7, atol: float = 1e-10,
                 slips=(), hint: str | None = None, hint_when=None, **options):
        super().__init__(name, points, **options)
        self.target, self.inputs, self.pick, self.rtol, self.atol = target, inputs, pick, rtol, atol
        self.slips, self.hint, self.hint_when = slips, hint, hint_when or has_non_finite

    def _reference(self, ref, call):
        value = ref.get(self.target)(*call.args, **call.kwargs)
        return value if self.pick is None else value[self.pick]

    def run(self, ctx: Context):
        call = as_args(self.inputs(ctx.rng(self.name)))
        expected = ctx.expected(self, "value", lambda ref: self._reference(ref, call.copy()))
        outcome = ctx.sandbox.run([Call(self.target, call.args, call.kwargs, pick=self.pick,
                                        max_bytes=reply_budget(expected))], timeout=self.timeout)[0]
        if not outcome.ok:
            return self.from_outcome(outcome, short(self.target))
        return self.compare(outcome.value, expected, call, _parameter_names(ctx, self.target))

    def compare(self, got, expected, call=None, names=()):
        """names: the target's parameter names, for messages like "wrong only where x < 0"."""
        result = self._compare(got, expected, call, names)
        if result.status == Status.PASSED:
            return result
        slip = self._matching_slip(got, call)
        if slip:
            result.message = f"{slip}. ({result.message})"
        if self.hint and self.hint_when(got, expected, call):
            result.message = f"{result.message.rstrip('.')}. {self.hint}"
        return result

    def _matching_slip(self, got, call) -> str | None:
        if call is None or type(got) is not np.ndarray:
            return None
        for description, slip in self.slips:
            value = slip(call.copy())
            if value.shape == got.shape and np.allclose(got, value, rtol=1e-6, atol=1e-9):
                return description
        return None

    def _compare(self, got, expected, call, names):
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


def has_non_finite(got, expected=None, call=None) -> bool:
    """Some float in ``got`` is NaN or infinite (the default ``hint_when``)."""
    for _, leaf in leaves(got):
        try:
            values = np.asarray(leaf, dtype=np.float64)
        except (TypeError, ValueError):
            continue
        if not np.all(np.isfinite(values)):
            return True
    return False


def _batch(call) -> int | None:
    return None if call is None else diagnose.batch_size(call.args)
