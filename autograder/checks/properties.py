"""Property checks: behaviour that fixed values miss (mean vs sum, linearity in
dout, inputs left untouched), plus a custom hook for one-off properties.
None of them needs the reference, so all run in public mode too. A property
says nothing about a function whose values are wrong (all-zero stubs are
linear in dout and modify nothing), so rubrics make these checks require the
function's value or gradient check (Check ``requires``; per function in
NoInPlaceCheck)."""

from __future__ import annotations

from typing import Callable

import numpy as np

from autograder.checks.base import Args, Check, CheckFailed, Context, as_args, needs_first, short
from autograder.checks.compare import conform, paired_leaves, relative_error
from autograder.sandbox.client import Call, Ref, reply_budget


class BatchMeanCheck(Check):
    """A loss ``target(*args) -> (loss, grad)`` averages over the batch:
    repeating the batch twice leaves the loss unchanged and halves each
    row's gradient. ``batch_args`` are the indices of the batched arguments."""

    kind = "property"

    def __init__(self, name, points, target: str, *, inputs, batch_args=(0, 1), **options):
        super().__init__(name, points, **options)
        self.target, self.inputs, self.batch_args = target, inputs, batch_args

    def run(self, ctx: Context):
        call = as_args(self.inputs(ctx.rng(self.name)))
        doubled = list(call.args)
        for i in self.batch_args:
            doubled[i] = np.concatenate([call.args[i], call.args[i]], axis=0)
        first, second = ctx.sandbox.run(
            [Call(self.target, call.args, call.kwargs, max_bytes=reply_budget(call.args)),
             Call(self.target, tuple(doubled), call.kwargs, max_bytes=reply_budget(doubled))],
            timeout=self.timeout)
        problem = self.first_problem([first, second], [short(self.target)] * 2)
        if problem:
            return problem
        for value in (first.value, second.value):
            if type(value) is not tuple or len(value) != 2 or type(value[1]) is not np.ndarray:
                return self.failed(f"{short(self.target)} should return a (loss, gradient) pair")
        (loss, grad), (loss2, grad2) = first.value, second.value
        try:
            loss, loss2 = float(loss), float(loss2)
        except (TypeError, ValueError):
            return self.failed(f"{short(self.target)}'s loss should be a number")
        if not np.isclose(loss2, loss, rtol=1e-7, atol=1e-12):
            ratio = loss2 / loss if loss else float("nan")
            hint = " — it is a sum over the batch, not a mean" if np.isclose(ratio, 2.0) else ""
            return self.failed(f"repeating the batch twice changed the loss from {loss:.6g} to "
                               f"{loss2:.6g}{hint}")
        n = call.args[self.batch_args[0]].shape[0]
        if grad2.shape != (2 * n,) + grad.shape[1:]:
            return self.failed(f"the gradient for a batch of {2 * n} has shape {grad2.shape}")
        if relative_error(grad2, np.concatenate([grad, grad]) / 2) > 1e-7:
            return self.failed("repeating the batch twice should halve every row of the gradient "
                               "(the loss is a mean over the batch): it did not, so the gradient "
                               "is missing its 1/N")
        return self.passed()


class LinearInDoutCheck(Check):
    """``backward(dout, cache)`` is linear in dout:
    backward(a*d1 + b*d2) == a*backward(d1) + b*backward(d2)."""

    kind = "property"

    def __init__(self, name, points, forward: str, backward: str, *, inputs, **options):
        super().__init__(name, points, **options)
        self.forward, self.backward, self.inputs = forward, backward, inputs

    def run(self, ctx: Context):
        rng = ctx.rng(self.name)
        call = as_args(self.inputs(rng))
        shape = ctx.expected(self, "shape",
                             lambda ref: np.shape(ref.get(self.forward)(*call.copy().args,
                                                                        **call.kwargs)[0]))
        d1, d2 = rng.standard_normal(shape), rng.standard_normal(shape)
        calls = [Call(self.forward, call.args, call.kwargs, ret=False)]
        calls += [Call(self.backward, (d, Ref(0, 1)), max_bytes=reply_budget(call.args))
                  for d in (d1, d2, 2.0 * d1 - 3.0 * d2)]
        outcomes = ctx.sandbox.run(calls, timeout=self.timeout)
        problem = self.first_problem(outcomes, [short(self.forward)] + [short(self.backward)] * 3)
        if problem:
            return problem
        g1, g2, g3 = (o.value for o in outcomes[1:])
        for g in (g2, g3):
            if conform(g, g1) is not None:
                return self.failed(f"{short(self.backward)} returned differently shaped results "
                                   f"for different dout: {conform(g, g1)}")
        for (path, b, a), (_, c, _) in zip(paired_leaves(g2, g1), paired_leaves(g3, g1)):
            if isinstance(a, np.ndarray) and relative_error(c, 2.0 * a - 3.0 * b) > 1e-7:
                return self.failed(f"{short(self.backward)}{path} is not linear in dout: "
                                   "backward(2 d1 - 3 d2) != 2 backward(d1) - 3 backward(d2). "
                                   "Every gradient must be a linear function of dout "
                                   "(a constant added, or dout used in a nonlinearity?)")
        return self.passed()


class NoInPlaceCheck(Check):
    """None of ``targets`` modifies its array arguments: the worker echoes the
    arguments back after each call and the grader compares them with what it sent.

    ``targets`` lists (target, inputs) pairs or (target, inputs, check)
    triples: a function with a check named earns its share only once that
    check has passed. Each function is an equal share and a separate test: one
    that fails, hangs or crashes costs its own share only, and the message
    names only the functions that lose theirs.
    """

    kind = "property"

    def __init__(self, name, points, targets: list[tuple], **options):
        super().__init__(name, points, **options)
        self.targets = [(target, inputs, rest[0] if rest else None) for target, inputs, *rest in targets]

    def needs(self) -> tuple[str, ...]:
        return self.requires + tuple(check for _, _, check in self.targets if check)

    def run(self, ctx: Context):
        rng = ctx.rng(self.name)
        sent = [as_args(inputs(rng)) for _, inputs, _ in self.targets]
        waiting = {i: check for i, (_, _, check) in enumerate(self.targets) if check and ctx.unmet([check])}
        # A function whose own check timed out is not called again; one that is wrong still is:
        # modifying an input in place may be why, and its error says what is wrong.
        tested = [i for i in range(len(self.targets)) if i not in waiting or ctx.worth_running([waiting[i]])]
        calls = [Call(self.targets[i][0], sent[i].args, sent[i].kwargs, ret=False, echo_args=True)
                 for i in tested]
        outcomes = ctx.sandbox.run(calls, timeout=self.timeout, independent=True) if calls else []
        modified, failed = {}, {}
        for i, outcome in zip(tested, outcomes):
            if not outcome.ok:
                failed[i] = outcome.error
            elif (change := _changed_argument(sent[i], outcome.args)) is not None:
                modified[i] = change
        named = [short(target) for target, _, _ in self.targets]
        parts = []
        if modified:
            parts.append("these functions modify their inputs in place: "
                         + ", ".join(f"{named[i]} ({change})" for i, change in modified.items())
                         + ". Work on copies (e.g. x = x.copy(), or x = x + 1 instead of x += 1)")
        if failed:
            parts.append("could not check " + _grouped_by_error(named, failed))
        uncredited = [i for i in waiting if i not in modified and i not in failed]
        if uncredited:
            parts.append("not credited until their own checks pass: " + ", ".join(
                f"{named[i]} ({needs_first([waiting[i]])})" for i in uncredited))
        lost = len(modified.keys() | failed.keys() | waiting.keys())
        if not lost:
            return self.passed()
        return self.failed("; ".join(parts), fraction=1 - lost / len(self.targets),
                           blocked_by=sorted({check for i, check in waiting.items() if i not in modified}))


def _grouped_by_error(names: list[str], errors: dict[int, str]) -> str:
    """'f, g (error one); h (error two)': the functions that failed, grouped by their error."""
    groups: dict[str, list[str]] = {}
    for i, error in errors.items():
        groups.setdefault(error, []).append(names[i])
    return "; ".join(f"{', '.join(functions)} ({error})" for error, functions in groups.items())


def _changed_argument(sent: Args, echoed) -> str | None:
    """Which argument came back changed ("argument [0]", "argument [0]['W1']",
    "keyword argument ['X_val']"), or None."""
    before = (list(sent.args), dict(sent.kwargs))
    problem = conform(echoed, before, "the arguments")
    if problem:
        return f"the arguments came back changed: {problem}"
    for path, new, old in paired_leaves(echoed, before):
        if isinstance(old, np.ndarray) and not np.array_equal(new, old, equal_nan=True):
            return f"argument {path[3:]}" if path.startswith("[0]") else f"keyword argument {path[3:]}"
    return None


class PropertyCheck(Check):
    """A one-off property: ``verify(ctx, check)`` returns (fraction, message), or
    raises CheckFailed(message, fraction) from anywhere inside it.
    part_requires: checks that ``verify`` consults itself, one per part of the
    property (``ctx.unmet``), listed in the rubric's dependency graph."""

    kind = "property"

    def __init__(self, name, points, verify: Callable[[Context, Check], tuple[float, str]], *,
                 part_requires: tuple[str, ...] = (), **options):
        super().__init__(name, points, **options)
        self.verify, self.part_requires = verify, tuple(part_requires)

    def needs(self) -> tuple[str, ...]:
        return self.requires + self.part_requires

    def run(self, ctx: Context):
        try:
            fraction, message = self.verify(ctx, self)
        except CheckFailed as failure:
            fraction, message = failure.fraction, failure.message
        if fraction >= 1:
            return self.passed(message)
        return self.failed(message, fraction=fraction, blocked_by=ctx.unmet(self.part_requires))
