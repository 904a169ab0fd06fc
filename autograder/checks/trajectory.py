"""Trajectory checks: a stateful update rule run for several steps in the worker
and compared with the reference's trajectory step by step.

An update rule is ``module:rule(w, g, config) -> (next_w, config)``: each step
continues from the w and config the previous step returned, so state that is
not carried in config shows as a trajectory that goes wrong after the first
step. All runs of a check go to the worker in one request, chained there with
Refs; credit is per run. A wrong run is explained by the rule family's
``explain`` (the slip the trajectory follows), or else by where it goes wrong.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograder.checks.base import Check, Context
from autograder.checks.compare import conform, worst_mismatch
from autograder.checks.show import show_config
from autograder.report.model import CheckResult
from autograder.sandbox.client import Call, Outcome, Ref


@dataclass(frozen=True)
class Run:
    """``steps`` steps of the update rule ``rule`` starting from ``config`` (None: its defaults)."""

    rule: str
    config: dict | None
    steps: int = 10


@dataclass(frozen=True)
class Problem:
    """What a run starts from: w0 of any shape S, and grads (steps, *S), one gradient per step."""

    w0: np.ndarray
    grads: np.ndarray


@dataclass(frozen=True)
class UpdateRules:
    """A family of update rules and how to exercise and explain them.

    module: the student's module holding the rules ("optim");
    draw(rng, run): the Problem of a run;
    reference_names: {rule: what messages call the reference, e.g. "torch.optim.Adam"};
    gradient_functions: {rule: "module:function"} for rules that take a gradient
        function instead of a gradient (a library function, so that both the worker
        and the grader can import it);
    nan_hints: {rule: text added to the message when next_w holds NaN or inf};
    explain(run, problem, got_steps): the slip a wrong trajectory follows, or None;
    rtol, atol: the tolerance of each step's next_w.
    """

    module: str
    draw: Callable[[np.random.Generator, Run], Problem]
    reference_names: dict[str, str]
    gradient_functions: dict[str, str] = field(default_factory=dict)
    nan_hints: dict[str, str] = field(default_factory=dict)
    explain: Callable[[Run, Problem, list], str | None] | None = None
    rtol: float = 1e-6
    atol: float = 1e-9

    def target(self, run: Run) -> str:
        return f"{self.module}:{run.rule}"

    def gradient_function(self, run: Run) -> Callable | None:
        """The library function the rule takes instead of gradients, imported in the grader."""
        name = self.gradient_functions.get(run.rule)
        if name is None:
            return None
        module, _, function = name.partition(":")
        return getattr(importlib.import_module(module), function)

    def reference_trajectory(self, ref: Any, run: Run, problem: Problem) -> np.ndarray:
        """(steps, *S): the reference's next_w after each step."""
        rule, grad_fn = ref.get(self.target(run)), self.gradient_function(run)
        w, config, out = problem.w0.copy(), copy.deepcopy(run.config), []
        for k in range(run.steps):
            w, config = rule(w, grad_fn if grad_fn is not None else problem.grads[k].copy(), config)
            out.append(w)
        return np.stack(out)

    def chained_calls(self, run: Run, problem: Problem, first: int) -> list[Call]:
        """The calls of one run, each step fed the previous step's (next_w, config) in the
        worker; ``first`` is the index of the first of these calls in the request."""
        calls: list[Call] = []
        gradient_function = self.gradient_functions.get(run.rule)
        if gradient_function is not None:
            calls.append(Call(gradient_function, kind="attr", ret=False))
            grad_fn = Ref(first)
            first += 1
        for k in range(run.steps):
            w = problem.w0 if k == 0 else Ref(first + k - 1, 0)
            config = copy.deepcopy(run.config) if k == 0 else Ref(first + k - 1, 1)
            g = grad_fn if gradient_function is not None else problem.grads[k]
            calls.append(Call(self.target(run), (w, g, config), pick=0))
        return calls


class TrajectoryCheck(Check):
    """Runs of update rules of ``rules`` compared with the reference step by step;
    partial credit per run. All runs go to the worker in one request."""

    kind = "values"

    def __init__(self, name: str, points: float, runs: list[Run], *, rules: UpdateRules, **options: Any):
        super().__init__(name, points, **options)
        self.runs, self.rules = runs, rules

    def run(self, ctx: Context) -> CheckResult:
        rng = ctx.rng(self.name)
        problems = [self.rules.draw(rng, run) for run in self.runs]
        expected = ctx.expected(self, "trajectories", lambda ref: [
            self.rules.reference_trajectory(ref, run, problem) for run, problem in zip(self.runs, problems)])
        calls: list[Call] = []
        spans = []
        for run, problem in zip(self.runs, problems):
            chained = self.rules.chained_calls(run, problem, len(calls))
            spans.append((len(calls) + len(chained) - run.steps, len(calls) + len(chained)))
            calls += chained
        outcomes = ctx.sandbox.run(calls, timeout=self.timeout)
        messages, good = [], 0
        for run, problem, trajectory, (start, stop) in zip(self.runs, problems, expected, spans):
            message = self._compare_run(run, problem, trajectory, outcomes[start:stop])
            if message is None:
                good += 1
            else:
                messages.append(message)
        if not messages:
            return self.passed()
        return self.failed(" ".join(dict.fromkeys(messages)), fraction=good / len(self.runs))

    def _compare_run(self, run: Run, problem: Problem, trajectory: np.ndarray,
                     outcomes: list[Outcome]) -> str | None:
        """What is wrong with one run, or None."""
        got = []
        for k, outcome in enumerate(outcomes):
            if not outcome.ok:
                if k == 0 or "skipped" not in outcome.error:
                    return f"{run.rule} failed at step {k + 1}: {outcome.error}."
                return f"{run.rule} failed after step {k}: it should return (next_w, config)."
            got.append(outcome.value)
        for k, (value, want) in enumerate(zip(got, trajectory)):
            message = self._compare_step(run, problem, k, got, value, want)
            if message is not None:
                return message
        return None

    def _compare_step(self, run: Run, problem: Problem, k: int, got: list, value: Any,
                      want: np.ndarray) -> str | None:
        """What is wrong with step ``k`` (0-based) of a run whose steps are ``got``, or None."""
        label = f"{run.rule}({show_config(run.config)})"
        problem_text = conform(value, want, "next_w")
        if problem_text:
            hint = self.rules.nan_hints.get(run.rule, "") if "NaN" in problem_text else ""
            return f"{label}, step {k + 1}: {problem_text}{hint}."
        mismatch = worst_mismatch(value, want, self.rules.rtol, self.rules.atol)
        if mismatch is None:
            return None
        message = (f"{label}: after step {k + 1} of {run.steps}, next_w differs from "
                   f"{self.rules.reference_names[run.rule]}'s (largest error {mismatch[0]:.3g})")
        slip = self.rules.explain(run, problem, got) if self.rules.explain else None
        if slip:
            return f"{message}; {slip}."
        if k > 0:
            return (f"{message}; the first {k} step(s) agree, so look at the state carried "
                    "between steps (store it in config and return that config).")
        return message + "."
