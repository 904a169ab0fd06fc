"""Property checks: behaviour that fixed values miss (mean vs sum, linearity in
dout, inputs left untouched), plus a custom hook for one-off properties.
None of them needs the reference, so all run in public mode too."""

from __future__ import annotations

from typing import Callable

import numpy as np

from autograder.checks.base import Check, CheckFailed, Context, as_args, short
from autograder.checks.compare import conform, leaves, relative_error
from autograder.sandbox.client import Call, Ref


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
        first, second = ctx.sandbox.run([Call(self.target, call.args, call.kwargs),
                                         Call(self.target, tuple(doubled), call.kwargs)],
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
        calls += [Call(self.backward, (d, Ref(0, 1))) for d in (d1, d2, 2.0 * d1 - 3.0 * d2)]
        outcomes = ctx.sandbox.run(calls, timeout=self.timeout)
        problem = self.first_problem(outcomes, [short(self.forward)] + [short(self.backward)] * 3)
        if problem:
            return problem
        g1, g2, g3 = (o.value for o in outcomes[1:])
        for g in (g2, g3):
            if conform(g, g1) is not None:
                return self.failed(f"{short(self.backward)} returned differently shaped results "
                                   f"for different dout: {conform(g, g1)}")
        for (path, a), (_, b), (_, c) in zip(leaves(g1), leaves(g2), leaves(g3)):
            if isinstance(a, np.ndarray) and relative_error(c, 2.0 * a - 3.0 * b) > 1e-7:
                return self.failed(f"{short(self.backward)}{path} is not linear in dout: "
                                   "backward(2 d1 - 3 d2) != 2 backward(d1) - 3 backward(d2). "
                                   "Every gradient must be a linear function of dout "
                                   "(a constant added, or dout used in a nonlinearity?)")
        return self.passed()


class NoInPlaceCheck(Check):
    """None of ``targets`` modifies its array arguments: the worker echoes the
    arguments back after each call and the grader compares them with what it sent.
    ``targets`` is a list of (target, inputs) pairs."""

    kind = "property"

    def __init__(self, name, points, targets: list[tuple[str, Callable]], **options):
        super().__init__(name, points, **options)
        self.targets = targets

    def run(self, ctx: Context):
        rng = ctx.rng(self.name)
        sent = [as_args(inputs(rng)) for _, inputs in self.targets]
        calls = [Call(target, call.args, call.kwargs, echo_args=True)
                 for (target, _), call in zip(self.targets, sent)]
        outcomes = ctx.sandbox.run(calls, timeout=self.timeout)
        modified, failed, first_error = [], [], ""
        for (target, _), call, outcome in zip(self.targets, sent, outcomes):
            if not outcome.ok:
                failed.append(short(target))
                first_error = first_error or outcome.error
                continue
            echoed = outcome.args
            if type(echoed) is not tuple or len(echoed) != 2:
                failed.append(short(target))
                continue
            before = (list(call.args), dict(call.kwargs))
            for (path, old), (_, new) in zip(leaves(before), leaves(echoed)):
                if isinstance(old, np.ndarray) and (type(new) is not np.ndarray or new.shape != old.shape
                                                    or not np.array_equal(new, old, equal_nan=True)):
                    modified.append(f"{short(target)} (argument {path})")
                    break
        checked = len(self.targets) - len(failed)
        could_not = f"could not run {', '.join(failed)} (first error: {first_error})" if failed else ""
        if checked == 0:
            return self.failed(could_not)
        if modified:
            return self.failed("these functions modify their inputs in place: " + ", ".join(modified)
                               + ". Work on copies (e.g. x = x.copy(), or x = x + 1 instead of x += 1)"
                               + (f"; {could_not}" if could_not else ""),
                               fraction=(checked - len(modified)) / len(self.targets))
        if failed:
            return self.failed(could_not, fraction=checked / len(self.targets))
        return self.passed()


class PropertyCheck(Check):
    """A one-off property: ``verify(ctx, check)`` returns (fraction, message), or
    raises CheckFailed(message, fraction) from anywhere inside it."""

    kind = "property"

    def __init__(self, name, points, verify: Callable[[Context, Check], tuple[float, str]], **options):
        super().__init__(name, points, **options)
        self.verify = verify

    def run(self, ctx: Context):
        try:
            fraction, message = self.verify(ctx, self)
        except CheckFailed as failure:
            return self.failed(failure.message, fraction=failure.fraction)
        return self.result(fraction, message) if fraction < 1 else self.passed(message)
