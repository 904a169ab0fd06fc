"""Gradient checks: the student's backward against the reference's.

Three shapes of API are covered (SPEC.md conventions):
  mode "layer":    forward(*args) -> (out, cache); backward(dout, cache) -> grads
  mode "function": forward(*args) -> out;          backward(dout, *args) -> grads
  mode "loss":     forward(*args) -> (loss, grad of args[0])
The score is the fraction of gradients that agree with the reference within
``tol`` (relative error, see compare.relative_error). As a diagnostic, the
centred-difference gradient of the student's own forward is computed at a few
sampled entries, in the same request as everything else.
"""

from __future__ import annotations

import numpy as np

from autograder.checks import diagnose
from autograder.checks.base import Args, Check, Context, as_args, short
from autograder.checks.compare import conform, relative_error, worst_mismatch
from autograder.sandbox.client import Call, Ref, reply_budget


def _float_arrays(args: tuple) -> list[int]:
    return [i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.dtype.kind == "f"]


def _leaves(tree) -> list[tuple[str | None, np.ndarray]]:
    """(dict key, array) for a dict of arrays (the shape params take), or (None, array)."""
    if isinstance(tree, dict):
        return list(tree.items())
    return [(None, tree)]


class GradientCheck(Check):
    """See the module docstring. ``names`` label the forward's arguments
    (e.g. ("x", "W", "b")); ``wrt`` lists the indices of the arguments whose
    gradients backward returns (default: every float array argument)."""

    kind = "gradient"

    def __init__(self, name: str, points: float, forward: str, backward: str | None = None, *,
                 inputs, mode: str = "layer", names: tuple[str, ...] = (), wrt=None,
                 tol: float = 1e-6, samples: int = 4, step: float = 1e-6, **options):
        super().__init__(name, points, **options)
        if mode not in ("layer", "function", "loss"):
            raise ValueError(f"unknown gradient mode {mode}")
        self.forward, self.backward, self.inputs, self.mode = forward, backward, inputs, mode
        self.names, self.wrt, self.tol = names, wrt, tol
        self.samples, self.step = samples, step

    # -- trusted side -------------------------------------------------------
    def _label(self, i: int) -> str:
        return "d" + (self.names[i] if i < len(self.names) else f"arg{i}")

    def _reference_out(self, ref, call: Args):
        out = ref.get(self.forward)(*call.args, **call.kwargs)
        return out[0] if self.mode == "layer" else out

    def _reference_grads(self, ref, call: Args, dout):
        forward = ref.get(self.forward)
        if self.mode == "layer":
            _, cache = forward(*call.args, **call.kwargs)
            return ref.get(self.backward)(dout, cache)
        return ref.get(self.backward)(dout, *call.args)

    # -- the check ----------------------------------------------------------
    def run(self, ctx: Context):
        rng = ctx.rng(self.name)
        call = as_args(self.inputs(rng))
        if self.mode == "loss":
            expected = ctx.expected(self, "value", lambda ref: ref.get(self.forward)(*call.copy().args,
                                                                                    **call.kwargs))
            return self._run_loss(ctx, rng, call, expected)
        expected_out = ctx.expected(self, "out", lambda ref: self._reference_out(ref, call.copy()))
        dout = (float(rng.standard_normal()) if np.ndim(expected_out) == 0
                else rng.standard_normal(np.shape(expected_out)))
        expected_grads = ctx.expected(self, "grads",
                                      lambda ref: self._reference_grads(ref, call.copy(), dout))
        return self._run_backward(ctx, rng, call, expected_out, dout, expected_grads)

    def _perturbations(self, rng, call: Args, positions: list[int], budget: int):
        """(arg index, dict key or None, flat index) triples and the calls for f(x+h), f(x-h);
        budget: Call.max_bytes of each."""
        picks, calls = [], []
        for i in positions:
            for key, array in _leaves(call.args[i]):
                count = min(self.samples, array.size)
                for flat in rng.choice(array.size, size=count, replace=False):
                    picks.append((i, key, int(flat)))
                    for sign in (1.0, -1.0):
                        shifted = call.copy()
                        target = shifted.args[i] if key is None else shifted.args[i][key]
                        target.reshape(-1)[flat] += sign * self.step
                        calls.append(Call(self.forward, shifted.args, shifted.kwargs,
                                          pick=None if self.mode == "function" else 0, max_bytes=budget))
        return picks, calls

    def _numerical(self, picks, outcomes, dout, expected_out) -> dict | None:
        """{(arg index, key): {flat index: numerical derivative}}, or None if a call
        failed or returned something that is not shaped like ``expected_out``."""
        found: dict = {}
        for n, (i, key, flat) in enumerate(picks):
            plus, minus = outcomes[2 * n], outcomes[2 * n + 1]
            if not (plus.ok and minus.ok) or conform(plus.value, expected_out) or \
                    conform(minus.value, expected_out):
                return None
            try:
                delta = np.asarray(plus.value, dtype=np.float64) - np.asarray(minus.value, dtype=np.float64)
                weight = 1.0 if dout is None else np.asarray(dout, dtype=np.float64)
                found.setdefault((i, key), {})[flat] = float(np.sum(weight * delta)) / (2 * self.step)
            except (TypeError, ValueError):
                return None
        return found

    def _run_backward(self, ctx, rng, call, expected_out, dout, expected_grads):
        wrt = self.wrt if self.wrt is not None else _float_arrays(call.args)
        out_budget, grads_budget = reply_budget(expected_out), reply_budget(expected_grads)
        calls = [Call(self.forward, call.args, call.kwargs, pick=0 if self.mode == "layer" else None,
                      max_bytes=out_budget)]
        if self.mode == "layer":
            calls.append(Call(self.backward, (dout, Ref(0, 1)), max_bytes=grads_budget))
        else:
            calls.append(Call(self.backward, (dout, *call.args), max_bytes=grads_budget))
        picks, perturbed = self._perturbations(rng, call, wrt, out_budget)
        outcomes = ctx.sandbox.run(calls + perturbed, timeout=self.timeout)
        problem = self.first_problem(outcomes[:2], [short(self.forward), short(self.backward)])
        if problem:
            return problem
        got_out, got_grads = outcomes[0].value, outcomes[1].value
        forward_ok = conform(got_out, expected_out) is None and \
            worst_mismatch(got_out, expected_out, 1e-7, 1e-10) is None
        if len(wrt) == 1 and not isinstance(expected_grads, tuple):
            labelled = [(self._label(wrt[0]), got_grads, expected_grads, wrt[0], None)]
        else:
            problem = conform(got_grads, expected_grads, f"what {short(self.backward)} returns")
            if problem and not (type(got_grads) is tuple and len(got_grads) == len(expected_grads)):
                return self.failed(problem)
            labelled = [(self._label(i), g, e, i, None) for i, g, e in zip(wrt, got_grads, expected_grads)]
        numerical = self._numerical(picks, outcomes[2:], dout, expected_out)
        batch = diagnose.batch_size(call.args)
        return self._score(labelled, numerical, forward_ok, batch, call, dout, expected_out)

    def _run_loss(self, ctx, rng, call, expected):
        budget = reply_budget(expected)
        calls = [Call(self.forward, call.args, call.kwargs, max_bytes=budget)]
        picks, perturbed = self._perturbations(rng, call, [0], budget)
        outcomes = ctx.sandbox.run(calls + perturbed, timeout=self.timeout)
        problem = self.first_problem(outcomes[:1], [short(self.forward)])
        if problem:
            return problem
        got = outcomes[0].value
        if type(got) is not tuple or len(got) != 2:
            return self.failed(f"{short(self.forward)} should return a (loss, gradient) pair")
        value_ok = conform(got[0], expected[0]) is None and \
            worst_mismatch(got[0], expected[0], 1e-7, 1e-10) is None
        name = "d" + (self.names[0] if self.names else "input")
        if isinstance(expected[1], dict) and isinstance(got[1], dict) and set(got[1]) == set(expected[1]):
            labelled = [(f"{name}[{key!r}]", got[1][key], expected[1][key], 0, key)
                        for key in expected[1]]
        else:
            labelled = [(name, got[1], expected[1], 0, None)]
        numerical = self._numerical(picks, outcomes[1:], None, expected[0])
        batch = diagnose.batch_size(call.args)
        return self._score(labelled, numerical, value_ok, batch, call)

    def _score(self, labelled, numerical, forward_ok: bool, batch, call: Args, dout=None, out=None):
        wrong, notes, errors, heatmaps = [], [], {}, []
        inputs = {self.names[i] if i < len(self.names) else f"arg{i}": a for i, a in enumerate(call.args)}
        if dout is not None:
            inputs["dout"] = dout
        for label, got, expected, index, key in labelled:
            problem = conform(got, expected, label)
            if problem:
                hint = diagnose.describe(got, expected, inputs=inputs, batch=batch, what=label)
                wrong.append(f"{problem}" + (f" — {hint}" if hint else ""))
                notes.append("")
                heatmaps.append(diagnose.heatmap(label, got, expected))
                continue
            error = relative_error(got, expected)
            errors[label] = error
            if error > self.tol:
                x = call.args[index] if dout is not None and not key else None
                hint = diagnose.describe(got, expected, inputs=inputs, batch=batch, what=label,
                                         x=x, out=out, dout=dout)
                text = f"{label} differs from the reference (relative error {error:.2g}, tolerance {self.tol:g})"
                if hint:
                    text += f": {hint}"
                wrong.append(text)
                notes.append(self._consistency(got, index, key, numerical, forward_ok))
                heatmaps.append(diagnose.heatmap(label, got, expected))
        details = {"relative_errors": errors, "forward_matches": forward_ok}
        if not wrong:
            return self.passed(details=details)
        details["heatmaps"] = [h for h in heatmaps if h]
        if len(notes) > 1 and len(set(notes)) == 1 and notes[0]:  # say a shared diagnosis once
            wrong[-1] += f" ({notes[0]}, for each of them)"
        else:
            wrong = [text + (f" ({note})" if note else "") for text, note in zip(wrong, notes)]
        message = "; ".join(wrong)
        if not forward_ok and self.mode != "loss":
            message += f". Note: {short(self.forward)}'s output also differs from the reference"
        elif not forward_ok:
            message += ". Note: the loss value also differs from the reference"
        return self.failed(message, fraction=1 - len(wrong) / len(labelled), **details)

    def _consistency(self, got, index: int, key: str | None, numerical, forward_ok: bool) -> str:
        """Compare the student's analytic gradient with their own forward's numerical one."""
        samples = (numerical or {}).get((index, key))
        if not samples or not isinstance(got, np.ndarray):
            return ""
        analytic = got.reshape(-1)[list(samples)]
        return diagnose.consistency(analytic, np.array(list(samples.values())), forward_ok,
                                    short(self.forward))
