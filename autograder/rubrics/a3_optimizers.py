"""Rubric for a3_optimizers: update rules, sharpness-aware minimisation,
learning-rate schedules and grid search.

An update rule is graded on its trajectory (checks/trajectory.py): the rubric
draws a starting point and a sequence of gradients, runs several steps of the
student's rule in the worker in one request (each step continues with the w
and config the previous step returned) and compares every step with the
reference's trajectory. A wrong trajectory is explained by "slips": the
rubric's own model of the rules and their common mistakes
(rubrics/optimizer_slips.py) names the one the submission follows.

Some student functions take callables (sam_update's grad_fn, grid_search's
train_fn). Callables cannot cross the sandbox boundary, so the worker builds
them from library functions: ``numpy.sin`` as the gradient of
f(w) = -sum(cos(w)), the bound method ``numpy.random.default_rng(seed).normal``
as a train_fn whose score changes from call to call (so the order and number
of calls show in the scores) and ``numpy.polyval`` for ties.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograder.checks import (
    Args,
    Check,
    Context,
    NoInPlaceCheck,
    PropertyCheck,
    ScheduleCheck,
    TrajectoryCheck,
)
from autograder.checks.compare import relative_error
from autograder.checks.trajectory import Problem, Run, UpdateRules
from autograder.rubrics.base import Rubric
from autograder.rubrics.optimizer_slips import explain_trajectory
from autograder.sandbox.client import Call, Outcome, Ref

SHAPE = (3, 4)
# Per-column gradient scales: tiny gradients expose where eps goes, large ones
# make every step visible.
GRADIENT_SCALE = np.array([1e-4, 1e-2, 1.0, 10.0])
STATE_KEYS = {"sgd_momentum": ("velocity",), "rmsprop": ("square_avg",),
              "adam": ("m", "v", "t"), "adamw": ("m", "v", "t")}
_T_HINT = (" (a division by zero? t is increased BEFORE the bias correction, so the first "
           "step uses t = 1 and 1 - beta**t is never 0)")


def draw_start_and_gradients(rng: np.random.Generator, run: Run) -> Problem:
    """A starting point of SHAPE and one gradient per step, column-scaled by GRADIENT_SCALE."""
    w0 = rng.standard_normal(SHAPE)
    grads = rng.standard_normal((run.steps,) + SHAPE) * GRADIENT_SCALE
    return Problem(w0, grads)


OPTIMIZERS = UpdateRules(
    module="optim",
    draw=draw_start_and_gradients,
    reference_names={"sgd": "torch.optim.SGD", "sgd_momentum": "torch.optim.SGD with momentum",
                     "rmsprop": "torch.optim.RMSprop", "adam": "torch.optim.Adam",
                     "adamw": "torch.optim.AdamW", "sam_update": "SAM"},
    gradient_functions={"sam_update": "numpy:sin"},
    nan_hints={"adam": _T_HINT, "adamw": _T_HINT,
               "rmsprop": " (a division by zero? eps is added to sqrt(square_avg))"},
    explain=explain_trajectory,
    rtol=1e-6, atol=1e-9,
)


# -- one-off properties ------------------------------------------------------------------
def _state_value_problem(rule: str, key: str, value: Any) -> str | None:
    """What is wrong with config[key] after two steps of ``rule``, or None."""
    if key == "t":
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value != 2:
            return f"{rule}: config['t'] should count the steps taken, 2 after two steps, got {value!r}"
        return None
    if type(value) is not np.ndarray or value.shape != SHAPE or value.dtype != np.float64:
        return f"{rule}: config[{key!r}] should be a float64 array of the shape of w {SHAPE}"
    return None


def _state_problem(rule: str, keys: tuple[str, ...], first_step: Outcome, second_step: Outcome) -> str | None:
    """What is wrong with the config that the second of two steps of ``rule`` returned, or None."""
    if not first_step.ok or not second_step.ok:
        failed = second_step if first_step.ok else first_step
        return f"{rule} failed: {failed.error}"
    config = second_step.value
    if type(config) is not dict:
        return f"{rule} should return (next_w, config) with config a dict"
    missing = [key for key in keys if key not in config]
    if missing:
        return (f"{rule}'s config has no {', '.join(map(repr, missing))} "
                f"(it should keep its state under {', '.join(map(repr, keys))})")
    return next((p for key in keys if (p := _state_value_problem(rule, key, config[key]))), None)


def state_in_config(ctx: Context, check: Check) -> tuple[float, str]:
    """After two steps the returned config holds the state keys of SPEC.md."""
    rng = ctx.rng(check.name)
    calls: list[Call] = []
    for rule in STATE_KEYS:
        problem = draw_start_and_gradients(rng, Run(rule, None, 2))
        first = len(calls)
        calls += [Call(f"optim:{rule}", (problem.w0, problem.grads[0], None), ret=False),
                  Call(f"optim:{rule}", (Ref(first, 0), problem.grads[1], Ref(first, 1)), pick=1)]
    outcomes = ctx.sandbox.run(calls, timeout=check.timeout)
    problems = [p for i, (rule, keys) in enumerate(STATE_KEYS.items())
                if (p := _state_problem(rule, keys, outcomes[2 * i], outcomes[2 * i + 1]))]
    if problems:
        return (len(STATE_KEYS) - len(problems)) / len(STATE_KEYS), "; ".join(problems) + "."
    return 1.0, ""


@dataclass(frozen=True)
class SharingProbe:
    """Call ``index`` of the request asks numpy.shares_memory(WHAT, OTHER) after a step of ``rule``."""

    rule: str
    what: str
    other: str
    index: int


def _sharing_calls(rule: str, problem: Problem, first: int) -> tuple[list[Call], list[SharingProbe]]:
    """Calls (the first of them number ``first`` in the request) that make w and dw in the
    worker, take one step of ``rule`` (call first + 2) and ask whether next_w or a state
    array shares memory with w, dw or next_w; and what each answer means."""
    w, dw, step = Ref(first), Ref(first + 1), first + 2
    calls = [Call("numpy:array", (problem.w0,), ret=False),
             Call("numpy:array", (problem.grads[0],), ret=False),
             Call(f"optim:{rule}", (w, dw, {"learning_rate": 0.1}), ret=False)]
    probes = [SharingProbe(rule, "next_w", "w", first + len(calls))]
    calls.append(Call("numpy:shares_memory", (Ref(step, 0), w)))
    for key in STATE_KEYS.get(rule, ()):
        if key == "t":
            continue
        item = first + len(calls)
        calls.append(Call("operator:getitem", (Ref(step, 1), key), ret=False))
        for other, ref in (("w", w), ("dw", dw), ("next_w", Ref(step, 0))):
            probes.append(SharingProbe(rule, f"config[{key!r}]", other, first + len(calls)))
            calls.append(Call("numpy:shares_memory", (Ref(item), ref)))
    return calls, probes


def fresh_arrays(ctx: Context, check: Check) -> tuple[float, str]:
    """next_w is a new array and no state array shares memory with w, dw or next_w.

    The arrays are made in the worker (numpy.array copies what was sent) so that
    numpy.shares_memory can compare them there.
    """
    rng = ctx.rng(check.name)
    calls: list[Call] = []
    probes: list[SharingProbe] = []
    steps = {}
    for rule in ("sgd", *STATE_KEYS):
        problem = draw_start_and_gradients(rng, Run(rule, None, 1))
        steps[rule] = len(calls) + 2
        more_calls, more_probes = _sharing_calls(rule, problem, len(calls))
        calls += more_calls
        probes += more_probes
    outcomes = ctx.sandbox.run(calls, timeout=check.timeout)
    shared = [p for p in probes if outcomes[p.index].ok
              and outcomes[p.index].value is not False and outcomes[p.index].value is not np.False_]
    broken = {p.rule for p in probes if not outcomes[p.index].ok}
    wrong = {p.rule for p in shared} | broken
    if not wrong:
        return 1.0, ""
    fraction = (len(steps) - len(wrong)) / len(steps)
    parts = [f"{p.rule}: {p.what} shares memory with {p.other}" for p in shared]
    for rule in sorted(broken):
        outcome = outcomes[steps[rule]]
        parts.append(f"{rule} failed: {outcome.error}" if not outcome.ok else
                     f"{rule} should return (next_w, config) with the state arrays in config")
    if not shared:
        return fraction, "; ".join(parts) + "."
    return (fraction, "; ".join(parts) + ". Return new arrays (an expression such as w - lr * g makes "
            "one; use .copy() where you keep an input) so that later steps cannot change them.")


# -- schedules ----------------------------------------------------------------------------
def step_decay_inputs(rng: np.random.Generator) -> list[Args]:
    lr0 = float(rng.uniform(0.05, 1.0))
    return [Args(lr0), Args(lr0, drop=float(rng.uniform(0.3, 0.8)), every=int(rng.integers(3, 8)))]


def exponential_inputs(rng: np.random.Generator) -> list[Args]:
    return [Args(float(rng.uniform(0.05, 1.0)), float(rng.uniform(0.85, 0.99)))]


def inverse_time_inputs(rng: np.random.Generator) -> list[Args]:
    return [Args(float(rng.uniform(0.05, 1.0)), float(rng.uniform(0.05, 0.5)))]


def cosine_inputs(rng: np.random.Generator) -> list[Args]:
    # T_max >= 40 keeps every t the check asks for (0 .. 40) within [0, T_max].
    return [Args(float(rng.uniform(0.5, 1.0)), 40, float(rng.uniform(0.01, 0.1))),
            Args(float(rng.uniform(0.05, 0.5)), int(rng.integers(41, 60)))]


def warmup_inputs(rng: np.random.Generator) -> list[Args]:
    return [Args(float(rng.uniform(0.05, 1.0)), int(rng.integers(5, 15)))]


# -- grid search ----------------------------------------------------------------------------
def _draw_grid(rng: np.random.Generator) -> tuple[int, dict[str, list[float]]]:
    """A train_fn seed and a grid of 2 x 3 combinations."""
    # Keys deliberately not in alphabetical order: the order is the grid's insertion order.
    grid = {"scale": [float(s) for s in rng.uniform(0.5, 2.0, size=2)],
            "loc": [float(x) for x in rng.normal(size=3)]}
    return int(rng.integers(2 ** 31)), grid


def _sorted_params(params: list) -> list[str]:
    """The combinations as sorted texts, to compare two lists regardless of order."""
    return sorted(repr(sorted(p.items())) if type(p) is dict else repr(p) for p in params)


def _grid_results_form_problem(value: Any) -> str | None:
    """What is wrong with the form of what grid_search returned, or None."""
    if type(value) is not tuple or len(value) != 2:
        return "grid_search should return a pair (best_params, results)"
    results = value[1]
    if type(results) not in (list, tuple) or \
            not all(type(r) in (tuple, list) and len(r) == 2 for r in results):
        return "results should be a list of (params, score) pairs"
    return None


def _grid_order_problem(got_params: list, grid: dict) -> str | None:
    """What is wrong with the combinations grid_search evaluated, in its order, or None."""
    combos = [dict(zip(grid, values)) for values in itertools.product(*grid.values())]
    if len(got_params) != len(combos):
        return (f"a grid of {len(combos)} combinations gave {len(got_params)} results: "
                "evaluate every combination exactly once")
    if got_params == combos:
        return None
    if _sorted_params(got_params) == _sorted_params(combos):
        return ("the combinations are not in itertools.product order over the keys in "
                f"the grid's order {list(grid)} (the last key varies fastest)")
    return f"results should hold each combination as a dict, e.g. {combos[0]}"


def _grid_results_problem(value: Any, grid: dict, want_results: list) -> str | None:
    """What is wrong with what grid_search returned, apart from best_params, or None."""
    problem = _grid_results_form_problem(value) or _grid_order_problem([r[0] for r in value[1]], grid)
    if problem:
        return problem
    scores = [r[1] for r in value[1]]
    want_scores = [r[1] for r in want_results]
    if not all(isinstance(s, (float, np.floating)) for s in scores) or \
            relative_error(np.array(scores, dtype=float), np.array(want_scores)) > 1e-12:
        return ("the scores differ from what train_fn returns when it is called once per "
                "combination in itertools.product order: call it exactly once for each")
    return None


def grid_search_order(ctx: Context, check: Check) -> tuple[float, str]:
    """Every combination once, in itertools.product order: train_fn draws a new random
    number at each call, so extra, missing or reordered calls change the scores."""
    seed, grid = _draw_grid(ctx.rng(check.name))
    best, results = ctx.expected(check, "value", lambda ref: ref.get("search:grid_search")(
        np.random.default_rng(seed).normal, copy.deepcopy(grid)))
    outcome = ctx.sandbox.run([Call("numpy.random:default_rng", (seed,), ret=False),
                               Call("builtins:getattr", (Ref(0), "normal"), ret=False),
                               Call("search:grid_search", (Ref(1), grid))], timeout=check.timeout)[2]
    if not outcome.ok:
        return 0.0, f"grid_search: {outcome.error}"
    problem = _grid_results_problem(outcome.value, grid, results)
    if problem:
        return 0.0, problem
    got_best = outcome.value[0]
    if got_best != best:
        return 0.5, f"best_params is {got_best}, but the highest score belongs to {best}"
    return 1.0, ""


def grid_search_ties(ctx: Context, check: Check) -> tuple[float, str]:
    """With equal top scores the first combination in product order wins."""
    rng = ctx.rng(check.name)
    xs = [float(x) for x in rng.uniform(1.0, 2.0, size=4)]
    top = int(rng.integers(0, 3))
    xs[top] = 3.0  # the highest x, never last
    grid = {"p": [[1.0, 0.0], [0.0, 3.0]], "x": xs}  # polyval(p, x): x, then the constant 3
    best = ctx.expected(check, "best", lambda ref: ref.get("search:grid_search")(
        np.polyval, copy.deepcopy(grid))[0])
    outcome = ctx.sandbox.run([Call("numpy:polyval", kind="attr", ret=False),
                               Call("search:grid_search", (Ref(0), grid), pick=0)],
                              timeout=check.timeout)[1]
    if not outcome.ok:
        return 0.0, f"grid_search: {outcome.error}"
    if outcome.value != best:
        return 0.0, (f"five combinations share the highest score; best_params should be the first "
                     f"evaluated, {best}, got {outcome.value}: replace the best only on a strictly "
                     "higher score")
    return 1.0, ""


# -- the rubric ---------------------------------------------------------------------------
def one_step_inputs(rule: str, config: dict) -> Callable[[np.random.Generator], Args]:
    """An input generator for one step of ``rule`` with ``config``: Args(w, dw, config)."""
    def make(rng: np.random.Generator) -> Args:
        problem = draw_start_and_gradients(rng, Run(rule, None, 1))
        return Args(problem.w0, problem.grads[0], dict(config))
    return make


checks = [
    TrajectoryCheck("sgd", 1, [Run("sgd", {"learning_rate": 0.05})], rules=OPTIMIZERS),
    TrajectoryCheck("sgd weight decay", 1, [Run("sgd", {"learning_rate": 0.05, "weight_decay": 0.2})],
                    rules=OPTIMIZERS),
    TrajectoryCheck("sgd_momentum", 2, [Run("sgd_momentum", {"learning_rate": 0.02, "momentum": 0.9}),
                                        Run("sgd_momentum", {"learning_rate": 0.05, "momentum": 0.5})],
                    rules=OPTIMIZERS),
    TrajectoryCheck("sgd_momentum nesterov", 1,
                    [Run("sgd_momentum", {"learning_rate": 0.02, "momentum": 0.9, "nesterov": True})],
                    rules=OPTIMIZERS),
    TrajectoryCheck("sgd_momentum weight decay", 1,
                    [Run("sgd_momentum", {"learning_rate": 0.02, "momentum": 0.8, "weight_decay": 0.3})],
                    rules=OPTIMIZERS),
    TrajectoryCheck("rmsprop", 2, [Run("rmsprop", {"learning_rate": 0.01}),
                                   Run("rmsprop", {"learning_rate": 0.003, "alpha": 0.9, "eps": 1e-6})],
                    rules=OPTIMIZERS),
    TrajectoryCheck("rmsprop weight decay", 1, [Run("rmsprop", {"learning_rate": 0.01, "weight_decay": 0.3})],
                    rules=OPTIMIZERS),
    TrajectoryCheck("adam", 2, [Run("adam", {"learning_rate": 0.01}),
                                Run("adam", {"learning_rate": 0.02, "beta1": 0.8, "beta2": 0.99,
                                             "eps": 1e-6})],
                    rules=OPTIMIZERS),
    TrajectoryCheck("adam weight decay", 1, [Run("adam", {"learning_rate": 0.01, "weight_decay": 0.3})],
                    rules=OPTIMIZERS),
    TrajectoryCheck("adamw", 2, [Run("adamw", {"learning_rate": 0.01, "weight_decay": 0.3}),
                                 Run("adamw", {"learning_rate": 0.02, "weight_decay": 0.0})],
                    rules=OPTIMIZERS),
    TrajectoryCheck("default hyperparameters", 1,
                    [Run(rule, None, 3) for rule in ("sgd", "sgd_momentum", "rmsprop", "adam", "adamw",
                                                     "sam_update")],
                    rules=OPTIMIZERS),
    PropertyCheck("optimizer state in config", 1, state_in_config),
    PropertyCheck("next_w and state are new arrays", 1, fresh_arrays),
    NoInPlaceCheck("inputs are not modified in place", 1, [
        ("optim:sgd", one_step_inputs("sgd", {"weight_decay": 0.1})),
        ("optim:sgd_momentum", one_step_inputs("sgd_momentum", {"nesterov": True, "weight_decay": 0.1})),
        ("optim:rmsprop", one_step_inputs("rmsprop", {"weight_decay": 0.1})),
        ("optim:adam", one_step_inputs("adam", {"weight_decay": 0.1})),
        ("optim:adamw", one_step_inputs("adamw", {})),
    ]),
    TrajectoryCheck("sam_update", 2, [
        Run("sam_update", {"rho": 0.5, "base": "sgd", "base_config": {"learning_rate": 0.1}})],
                    rules=OPTIMIZERS),
    TrajectoryCheck("sam_update with a stateful base", 1, [
        Run("sam_update", {"rho": 0.2, "base": "sgd_momentum",
                           "base_config": {"learning_rate": 0.1, "momentum": 0.9}})],
                    rules=OPTIMIZERS),
    ScheduleCheck("step_decay", 1, "schedules:step_decay", inputs=step_decay_inputs,
                  held="the rate drops only after whole periods of `every` steps (t // every)"),
    ScheduleCheck("exponential_decay", 1, "schedules:exponential_decay", inputs=exponential_inputs),
    ScheduleCheck("inverse_time_decay", 1, "schedules:inverse_time_decay", inputs=inverse_time_inputs),
    ScheduleCheck("cosine_annealing", 1, "schedules:cosine_annealing", inputs=cosine_inputs),
    ScheduleCheck("linear_warmup", 1, "schedules:linear_warmup", inputs=warmup_inputs),
    PropertyCheck("grid_search", 2, grid_search_order),
    PropertyCheck("grid_search ties", 1, grid_search_ties),
]

RUBRIC = Rubric(
    id="a3_optimizers",
    title="Optimizers: update rules, schedules and search",
    modules=["optim", "schedules", "search"],
    checks=checks,
    timeout=10.0,
    notebook="a3_optimizers.ipynb",
)
