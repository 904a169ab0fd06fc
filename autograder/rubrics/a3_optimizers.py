"""Rubric for a3_optimizers: update rules, sharpness-aware minimisation,
learning-rate schedules and grid search.

An update rule is graded on its trajectory: the rubric draws a starting point
and a sequence of gradients, runs STEPS steps of the student's rule in the
worker in one request (each step continues with the w and config the previous
step returned) and compares every step with the reference's trajectory. A
wrong trajectory is explained by "slips": the rubric simulates the common
mistakes (no bias correction, eps inside the square root, dampening, weight
decay in the wrong place, ...) with its own small formulas and names the one
the submission follows.

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
from dataclasses import dataclass

import numpy as np

from autograder.checks import Args, NoInPlaceCheck, PropertyCheck
from autograder.checks.base import Check
from autograder.checks.compare import conform, relative_error, worst_mismatch
from autograder.rubrics.base import Rubric
from autograder.sandbox.client import Call, Ref

STEPS = 10
SHAPE = (3, 4)
# Per-column gradient scales: tiny gradients expose where eps goes, large ones
# make every step visible.
GRADIENT_SCALE = np.array([1e-4, 1e-2, 1.0, 10.0])
RTOL, ATOL = 1e-6, 1e-9

TORCH = {"sgd": "torch.optim.SGD", "sgd_momentum": "torch.optim.SGD with momentum",
         "rmsprop": "torch.optim.RMSprop", "adam": "torch.optim.Adam",
         "adamw": "torch.optim.AdamW", "sam_update": "SAM"}
DEFAULTS = {
    "sgd": dict(learning_rate=1e-2, weight_decay=0.0),
    "sgd_momentum": dict(learning_rate=1e-2, momentum=0.9, nesterov=False, weight_decay=0.0),
    "rmsprop": dict(learning_rate=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0),
    "adam": dict(learning_rate=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0),
    "adamw": dict(learning_rate=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2),
    "sam_update": dict(rho=0.05, base="sgd", base_config={}),
}
STATE_KEYS = {"sgd_momentum": ("velocity",), "rmsprop": ("square_avg",),
              "adam": ("m", "v", "t"), "adamw": ("m", "v", "t")}


# -- the rubric's own simulation of the rules and their slips ---------------------------
# Each slip is (key, what the student did, what to do instead). The simulation
# with slip=None is the algorithm of SPEC.md; tests/a3_optimizers checks it
# against the reference.
SLIPS = {
    "sgd": [
        ("wd_sign", "the weight decay is subtracted from the gradient",
         "add weight_decay * w to dw"),
        ("wd_ignored", "the weight decay is ignored", "add weight_decay * w to dw"),
        ("wd_after", "the weight decay is applied after the update, to the new weights",
         "add weight_decay * w (the old w) to the gradient before the step"),
        ("wd_no_lr", "the weight decay is not scaled by the learning rate",
         "add weight_decay * w to the gradient, then multiply the whole gradient by learning_rate"),
    ],
    "sgd_momentum": [
        ("dampening", "the gradient enters the velocity with weight 1 - momentum (dampening)",
         "torch uses velocity = momentum * velocity + g, with no (1 - momentum) factor"),
        ("nesterov_ignored", "the nesterov option changes nothing (the step is the plain momentum "
         "step; looking ahead with the velocity from before this step gives exactly that)",
         "with nesterov=True update the velocity first, then step along g + momentum * velocity "
         "with the new velocity"),
        ("wd_ignored", "the weight decay is ignored", "add weight_decay * w to dw first"),
        ("wd_after", "the weight decay is applied after the update",
         "add weight_decay * w to dw before updating the velocity"),
        ("no_state", "the velocity is not carried from step to step",
         "store the new velocity in config['velocity'] and return that config"),
    ],
    "rmsprop": [
        ("eps_inside", "eps is added inside the square root",
         "divide by sqrt(square_avg) + eps, with eps outside the root"),
        ("no_one_minus_alpha", "the squared gradient enters without its (1 - alpha) factor",
         "square_avg = alpha * square_avg + (1 - alpha) * g**2"),
        ("wd_ignored", "the weight decay is ignored", "add weight_decay * w to dw first"),
        ("no_state", "square_avg is not carried from step to step",
         "store the new average in config['square_avg'] and return that config"),
    ],
    "adam": [
        ("no_bias_correction", "the bias correction is missing",
         "divide m by 1 - beta1**t and v by 1 - beta2**t"),
        ("bias_correction_m_only", "only m is bias-corrected", "divide v by 1 - beta2**t too"),
        ("eps_inside", "eps is added inside the square root",
         "divide by sqrt(v_hat) + eps, with eps outside the root"),
        ("decoupled", "the weight decay is decoupled as in AdamW",
         "in adam, weight decay is an L2 term: add weight_decay * w to dw"),
        ("wd_ignored", "the weight decay is ignored", "add weight_decay * w to dw first"),
        ("t_not_stored", "the step count t is not carried from step to step",
         "store t + 1 in config['t'] and return that config"),
    ],
    "adamw": [
        ("coupled", "the weight decay is added to the gradient (that is Adam with L2, not AdamW)",
         "shrink the weights by learning_rate * weight_decay * w and give Adam the plain dw"),
        ("wd_after", "the weight decay is applied after the Adam step, to the new weights",
         "shrink the OLD weights first: w - learning_rate * weight_decay * w, then the Adam step"),
        ("wd_no_lr", "the weight decay is not scaled by the learning rate",
         "shrink by learning_rate * weight_decay * w"),
        ("no_bias_correction", "the bias correction is missing",
         "divide m by 1 - beta1**t and v by 1 - beta2**t"),
        ("wd_ignored", "the weight decay is ignored",
         "shrink the weights by learning_rate * weight_decay * w first"),
    ],
    "sam_update": [
        ("step_from_perturbed", "the base step starts from the perturbed point w + e",
         "take the base step from w itself, using only the GRADIENT measured at w + e"),
        ("not_normalised", "the perturbation is not normalised",
         "e = rho * g / (||g||_2 + 1e-12), a step of length rho"),
        ("no_perturbation", "the base rule gets the gradient at w, not at w + e",
         "evaluate grad_fn at w + e for the base step"),
        ("descent", "the perturbation goes downhill (w - e)", "perturb uphill: w + e"),
        ("base_state_lost", "the base rule's config is not carried from step to step",
         "store what the base rule returns in config['base_config']"),
    ],
}


def _config(rule: str, config: dict | None) -> dict:
    merged = dict(DEFAULTS[rule])
    merged.update(config or {})
    return merged


def _step(rule, w, g, state, c, slip=None):
    """One step of ``rule`` (not sam) with hyperparameters ``c``; updates ``state``."""
    lr, wd = c["learning_rate"], c["weight_decay"]
    if rule in ("sgd", "sgd_momentum", "rmsprop", "adam"):
        if slip == "wd_sign":
            g = g - wd * w
        elif slip not in ("wd_ignored", "wd_after", "wd_no_lr", "decoupled"):
            g = g + wd * w
    if rule == "sgd":
        new = w - lr * g
        if slip == "wd_no_lr":
            new = new - wd * w
    elif rule == "sgd_momentum":
        mu = c["momentum"]
        old = state.get("velocity", np.zeros_like(w)) if slip != "no_state" else np.zeros_like(w)
        v = mu * old + ((1 - mu) * g if slip == "dampening" else g)
        state["velocity"] = v
        if c["nesterov"] and slip != "nesterov_ignored":
            step = g + mu * v
        else:
            step = v
        new = w - lr * step
    elif rule == "rmsprop":
        a, eps = c["alpha"], c["eps"]
        old = state.get("square_avg", np.zeros_like(w)) if slip != "no_state" else np.zeros_like(w)
        s = a * old + (g * g if slip == "no_one_minus_alpha" else (1 - a) * g * g)
        state["square_avg"] = s
        new = w - lr * g / (np.sqrt(s + eps) if slip == "eps_inside" else np.sqrt(s) + eps)
    else:  # adam, adamw
        if rule == "adamw":
            if slip == "coupled":
                g = g + wd * w
            elif slip == "wd_no_lr":
                w = w - wd * w
            elif slip not in ("wd_after", "wd_ignored"):
                w = w - lr * wd * w
        elif slip == "decoupled":
            w = w - lr * wd * w
        b1, b2, eps = c["beta1"], c["beta2"], c["eps"]
        t = (state.get("t", 0) if slip != "t_not_stored" else 0) + 1
        m = b1 * state.get("m", np.zeros_like(w)) + (1 - b1) * g
        v = b2 * state.get("v", np.zeros_like(w)) + (1 - b2) * g * g
        state.update(m=m, v=v, t=t)
        m_hat = m if slip == "no_bias_correction" else m / (1 - b1 ** t)
        v_hat = v if slip in ("no_bias_correction", "bias_correction_m_only") else v / (1 - b2 ** t)
        denominator = np.sqrt(v_hat + eps) if slip == "eps_inside" else np.sqrt(v_hat) + eps
        new = w - lr * m_hat / denominator
        if rule == "adamw" and slip == "wd_after":
            new = new - lr * wd * new
    if slip == "wd_after" and rule in ("sgd", "sgd_momentum"):
        new = new - lr * wd * new
    return new


def simulate(rule: str, w0, grads, config: dict | None, steps: int = STEPS, slip=None,
             grad_fn=np.sin) -> np.ndarray:
    """The trajectory (steps, *w0.shape) of ``rule`` as the rubric computes it, with a slip."""
    c, state, base_state = _config(rule, config), {}, {}
    w, out = np.array(w0, dtype=np.float64), []
    for k in range(steps):
        if rule == "sam_update":
            base = c["base"]
            base_c = _config(base, c["base_config"])
            g = grad_fn(w)
            e = c["rho"] * g / (1.0 if slip == "not_normalised" else np.linalg.norm(g) + 1e-12)
            point = w - e if slip == "descent" else w + e
            g_sharp = g if slip == "no_perturbation" else grad_fn(point)
            if slip == "base_state_lost":
                base_state = {}
            start = point if slip == "step_from_perturbed" else w
            w = _step(base, start, g_sharp, base_state, base_c)
        else:
            w = _step(rule, w, grads[k], state, c, slip)
        out.append(w)
    return np.stack(out)


# -- trajectories in the sandbox ---------------------------------------------------------
@dataclass(frozen=True)
class Run:
    """``steps`` steps of optim.<rule> starting from config (None: the defaults)."""

    rule: str
    config: dict | None
    steps: int = STEPS


NAN_HINTS = {
    "adam": " (a division by zero? t is increased BEFORE the bias correction, so the first "
            "step uses t = 1 and 1 - beta**t is never 0)",
    "adamw": " (a division by zero? t is increased BEFORE the bias correction, so the first "
             "step uses t = 1 and 1 - beta**t is never 0)",
    "rmsprop": " (a division by zero? eps is added to sqrt(square_avg))",
}


def _show(value) -> str:
    """A value for a message: floats to 6 significant digits."""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_show(v)}" for k, v in value.items()) + "}"
    return repr(value)


def _describe_config(config) -> str:
    if config is None:
        return "config=None"
    return ", ".join(f"{k}={_show(v)}" for k, v in config.items())


def _problem(rng: np.random.Generator, run: Run):
    w0 = rng.standard_normal(SHAPE)
    grads = rng.standard_normal((run.steps,) + SHAPE) * GRADIENT_SCALE
    return w0, grads


def _reference_trajectory(ref, run: Run, w0, grads) -> np.ndarray:
    rule = ref.get(f"optim:{run.rule}")
    w, config, out = w0.copy(), copy.deepcopy(run.config), []
    for k in range(run.steps):
        w, config = rule(w, np.sin if run.rule == "sam_update" else grads[k].copy(), config)
        out.append(w)
    return np.stack(out)


def _trajectory_calls(run: Run, w0, grads, first: int) -> list[Call]:
    """The chained calls of one run; call ``first`` is the first of the request's calls here."""
    calls = []
    if run.rule == "sam_update":
        calls.append(Call("numpy:sin", kind="attr", ret=False))
        grad_fn = Ref(first)
        first += 1
    for k in range(run.steps):
        w = w0 if k == 0 else Ref(first + k - 1, 0)
        config = copy.deepcopy(run.config) if k == 0 else Ref(first + k - 1, 1)
        g = grad_fn if run.rule == "sam_update" else grads[k]
        calls.append(Call(f"optim:{run.rule}", (w, g, config), pick=0))
    return calls


def _name_slip(run: Run, w0, grads, got_steps: list) -> str | None:
    """The slip whose simulated trajectory the student's follows, if any."""
    for key, what, fix in SLIPS.get(run.rule, []):
        try:
            with np.errstate(all="ignore"):
                slipped = simulate(run.rule, w0, grads, run.config, run.steps, slip=key)
        except (ValueError, ZeroDivisionError, KeyError):
            continue
        if np.all(np.isfinite(slipped)) and all(
                isinstance(g, np.ndarray) and g.shape == s.shape
                and np.allclose(g, s, rtol=1e-6, atol=1e-9) for g, s in zip(got_steps, slipped)):
            return f"it behaves as if {what}: {fix}"
    return None


class TrajectoryCheck(Check):
    """Runs of an update rule compared with the reference step by step; partial
    credit per run. All runs go to the worker in one request."""

    kind = "values"

    def __init__(self, name: str, points: float, runs: list[Run], **options):
        super().__init__(name, points, **options)
        self.runs = runs

    def run(self, ctx):
        rng = ctx.rng(self.name)
        problems = [_problem(rng, run) for run in self.runs]
        expected = ctx.expected(self, "trajectories", lambda ref: [
            _reference_trajectory(ref, run, w0, grads)
            for run, (w0, grads) in zip(self.runs, problems)])
        calls, spans = [], []
        for run, (w0, grads) in zip(self.runs, problems):
            chained = _trajectory_calls(run, w0, grads, len(calls))
            spans.append((len(calls) + len(chained) - run.steps, len(calls) + len(chained)))
            calls += chained
        outcomes = ctx.sandbox.run(calls, timeout=self.timeout)
        messages, good = [], 0
        for run, (w0, grads), trajectory, (start, stop) in zip(self.runs, problems, expected, spans):
            message = self._compare_run(run, w0, grads, trajectory, outcomes[start:stop])
            if message is None:
                good += 1
            else:
                messages.append(message)
        if not messages:
            return self.passed()
        return self.failed(" ".join(dict.fromkeys(messages)), fraction=good / len(self.runs))

    def _compare_run(self, run, w0, grads, trajectory, outcomes) -> str | None:
        label = f"{run.rule}({_describe_config(run.config)})"
        got = []
        for k, outcome in enumerate(outcomes):
            if not outcome.ok:
                if k == 0 or "skipped" not in outcome.error:
                    return f"{run.rule} failed at step {k + 1}: {outcome.error}."
                return f"{run.rule} failed after step {k}: it should return (next_w, config)."
            got.append(outcome.value)
        for k, (value, want) in enumerate(zip(got, trajectory)):
            problem = conform(value, want, "next_w")
            if problem:
                hint = NAN_HINTS.get(run.rule, "") if "NaN" in problem else ""
                return f"{label}, step {k + 1}: {problem}{hint}."
            mismatch = worst_mismatch(value, want, RTOL, ATOL)
            if mismatch is None:
                continue
            message = (f"{label}: after step {k + 1} of {run.steps}, next_w differs from "
                       f"{TORCH[run.rule]}'s (largest error {mismatch[0]:.3g})")
            slip = _name_slip(run, w0, grads, got)
            if slip:
                return f"{message}; {slip}."
            if k > 0:
                return (f"{message}; the first {k} step(s) agree, so look at the state carried "
                        "between steps (store it in config and return that config).")
            return message + "."
        return None


# -- one-off properties ------------------------------------------------------------------
def state_in_config(ctx, check):
    """After two steps the returned config holds the state keys of SPEC.md."""
    rng = ctx.rng(check.name)
    calls, spans = [], {}
    for rule in STATE_KEYS:
        w0, grads = _problem(rng, Run(rule, None, 2))
        first = len(calls)
        calls += [Call(f"optim:{rule}", (w0, grads[0], None), ret=False),
                  Call(f"optim:{rule}", (Ref(first, 0), grads[1], Ref(first, 1)), pick=1)]
        spans[rule] = first + 1
    outcomes = ctx.sandbox.run(calls, timeout=check.timeout)
    problems = []
    for rule, keys in STATE_KEYS.items():
        first_step, outcome = outcomes[spans[rule] - 1], outcomes[spans[rule]]
        if not first_step.ok or not outcome.ok:
            failed = outcome if first_step.ok else first_step
            problems.append(f"{rule} failed: {failed.error}")
            continue
        config = outcome.value
        if type(config) is not dict:
            problems.append(f"{rule} should return (next_w, config) with config a dict")
            continue
        missing = [key for key in keys if key not in config]
        if missing:
            problems.append(f"{rule}'s config has no {', '.join(map(repr, missing))} "
                            f"(it should keep its state under {', '.join(map(repr, keys))})")
            continue
        for key in keys:
            value = config[key]
            if key == "t":
                if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) \
                        or value != 2:
                    problems.append(f"{rule}: config['t'] should count the steps taken, 2 after "
                                    f"two steps, got {value!r}")
                    break
            elif type(value) is not np.ndarray or value.shape != SHAPE or value.dtype != np.float64:
                problems.append(f"{rule}: config[{key!r}] should be a float64 array of the shape "
                                f"of w {SHAPE}")
                break
    if problems:
        return (len(STATE_KEYS) - len(problems)) / len(STATE_KEYS), "; ".join(problems) + "."
    return 1.0, ""


def fresh_arrays(ctx, check):
    """next_w is a new array and no state array shares memory with w, dw or next_w.

    The arrays are made in the worker (numpy.array copies what was sent) so that
    numpy.shares_memory can compare them there.
    """
    rng = ctx.rng(check.name)
    calls, tests, steps = [], [], {}
    for rule in ("sgd", *STATE_KEYS):
        w0, grads = _problem(rng, Run(rule, None, 1))
        a = len(calls)
        calls += [Call("numpy:array", (w0,), ret=False), Call("numpy:array", (grads[0],), ret=False),
                  Call(f"optim:{rule}", (Ref(a), Ref(a + 1), {"learning_rate": 0.1}), ret=False)]
        step = a + 2
        steps[rule] = step
        tests.append((rule, "next_w", "w", len(calls)))
        calls.append(Call("numpy:shares_memory", (Ref(step, 0), Ref(a))))
        for key in STATE_KEYS.get(rule, ()):
            if key == "t":
                continue
            item = len(calls)
            calls.append(Call("operator:getitem", (Ref(step, 1), key), ret=False))
            for other, ref in (("w", Ref(a)), ("dw", Ref(a + 1)), ("next_w", Ref(step, 0))):
                tests.append((rule, f"config[{key!r}]", other, len(calls)))
                calls.append(Call("numpy:shares_memory", (Ref(item), ref)))
    outcomes = ctx.sandbox.run(calls, timeout=check.timeout)
    bad, broken = [], set()
    for rule, what, other, index in tests:
        outcome = outcomes[index]
        if not outcome.ok:
            broken.add(rule)
        elif outcome.value is not False and outcome.value is not np.False_:
            bad.append((rule, f"{rule}: {what} shares memory with {other}"))
    rules = 1 + len(STATE_KEYS)
    wrong = {rule for rule, _ in bad} | broken
    if not wrong:
        return 1.0, ""
    parts = [text for _, text in bad]
    for rule in sorted(broken):
        outcome = outcomes[steps[rule]]
        parts.append(f"{rule} failed: {outcome.error}" if not outcome.ok else
                     f"{rule} should return (next_w, config) with the state arrays in config")
    if not bad:
        return (rules - len(wrong)) / rules, "; ".join(parts) + "."
    return ((rules - len(wrong)) / rules,
            "; ".join(parts) + ". Return new arrays (an expression such as w - lr * g makes one; "
            "use .copy() where you keep an input) so that later steps cannot change them.")


# -- schedules ----------------------------------------------------------------------------
class ScheduleCheck(Check):
    """A schedule at t = 0 .. steps-1 against the reference, in one request; names
    an off-by-one when the values are the reference's shifted by one step.
    ``inputs(rng)`` returns a list of Args(lr0, *rest, **kwargs): the call is
    target(lr0, t, *rest, **kwargs). ``held``: a sentence for a schedule that
    changes where the reference's holds its rate."""

    kind = "values"

    def __init__(self, name: str, points: float, target: str, *, inputs, steps: int = 40,
                 held: str | None = None, **options):
        super().__init__(name, points, **options)
        self.target, self.inputs, self.steps, self.held = target, inputs, steps, held

    def run(self, ctx):
        rng = ctx.rng(self.name)
        variants = self.inputs(rng)
        function = self.target.split(":")[-1]
        # One value more than is asked of the student, to recognise an off-by-one.
        expected = ctx.expected(self, "values", lambda ref: [
            [float(ref.get(self.target)(v.args[0], t, *v.args[1:], **v.kwargs))
             for t in range(self.steps + 1)] for v in variants])
        calls, spans = [], []
        for v in variants:
            spans.append((len(calls), len(calls) + self.steps))
            calls += [Call(self.target, (v.args[0], t, *v.args[1:]), dict(v.kwargs))
                      for t in range(self.steps)]
        outcomes = ctx.sandbox.run(calls, timeout=self.timeout)
        messages = []
        for v, want, (start, stop) in zip(variants, expected, spans):
            message = self._compare(function, v, want, outcomes[start:stop])
            if message:
                messages.append(message)
        if not messages:
            return self.passed()
        return self.failed(" ".join(dict.fromkeys(messages)),
                           fraction=1 - len(messages) / len(variants))

    def _compare(self, function, v: Args, want: list, outcomes) -> str | None:
        got = []
        for t, outcome in enumerate(outcomes):
            if not outcome.ok:
                return f"{function} failed at t={t}: {outcome.error}."
            problem = conform(outcome.value, want[t], f"{function}(..., t={t})")
            if problem:
                return problem + "."
            got.append(float(outcome.value))
        got_a, want_a = np.array(got), np.array(want)
        close = dict(rtol=1e-9, atol=1e-15)
        wrong = ~np.isclose(got_a, want_a[:-1], **close)
        if not wrong.any():
            return None
        t = int(np.argmax(wrong))
        arguments = ", ".join([_show(v.args[0]), f"t={t}", *map(_show, v.args[1:]),
                               *(f"{k}={_show(val)}" for k, val in v.kwargs.items())])
        message = f"{function}({arguments}) = {got[t]:.6g}, expected {want[t]:.6g}"
        if np.allclose(got_a, want_a[1:], **close):
            return message + ": off by one, your rate at step t is the reference's at t + 1 (t starts at 0)."
        if np.allclose(got_a[1:], want_a[:-2], **close):
            return message + ": off by one, your rate at step t is the reference's at t - 1 (t starts at 0)."
        changed = np.isclose(np.diff(want_a[:-1]), 0, **close) & ~np.isclose(np.diff(got_a), 0, **close)
        if self.held and changed.any():
            t = int(np.argmax(changed))
            return f"{message}: from t={t} to t={t + 1} the reference holds the rate and yours changes; {self.held}."
        return message + "."


def step_decay_inputs(rng):
    lr0 = float(rng.uniform(0.05, 1.0))
    return [Args(lr0), Args(lr0, drop=float(rng.uniform(0.3, 0.8)), every=int(rng.integers(3, 8)))]


def exponential_inputs(rng):
    return [Args(float(rng.uniform(0.05, 1.0)), float(rng.uniform(0.85, 0.99)))]


def inverse_time_inputs(rng):
    return [Args(float(rng.uniform(0.05, 1.0)), float(rng.uniform(0.05, 0.5)))]


def cosine_inputs(rng):
    # T_max >= 40 keeps every t the check asks for (0 .. 40) within [0, T_max].
    return [Args(float(rng.uniform(0.5, 1.0)), 40, float(rng.uniform(0.01, 0.1))),
            Args(float(rng.uniform(0.05, 0.5)), int(rng.integers(41, 60)))]


def warmup_inputs(rng):
    return [Args(float(rng.uniform(0.05, 1.0)), int(rng.integers(5, 15)))]


# -- grid search ----------------------------------------------------------------------------
def _grid_problem(rng):
    # Keys deliberately not in alphabetical order: the order is the grid's insertion order.
    grid = {"scale": [float(s) for s in rng.uniform(0.5, 2.0, size=2)],
            "loc": [float(x) for x in rng.normal(size=3)]}
    return int(rng.integers(2 ** 31)), grid


def grid_search_order(ctx, check):
    """Every combination once, in itertools.product order: train_fn draws a new random
    number at each call, so extra, missing or reordered calls change the scores."""
    seed, grid = _grid_problem(ctx.rng(check.name))
    best, results = ctx.expected(check, "value", lambda ref: ref.get("search:grid_search")(
        np.random.default_rng(seed).normal, copy.deepcopy(grid)))
    outcome = ctx.sandbox.run([Call("numpy.random:default_rng", (seed,), ret=False),
                               Call("builtins:getattr", (Ref(0), "normal"), ret=False),
                               Call("search:grid_search", (Ref(1), grid))], timeout=check.timeout)[2]
    if not outcome.ok:
        return 0.0, f"grid_search: {outcome.error}"
    value = outcome.value
    if type(value) is not tuple or len(value) != 2:
        return 0.0, "grid_search should return a pair (best_params, results)"
    got_best, got_results = value
    combos = [dict(zip(grid, values)) for values in itertools.product(*grid.values())]
    if type(got_results) not in (list, tuple) or not all(
            type(r) in (tuple, list) and len(r) == 2 for r in got_results):
        return 0.0, "results should be a list of (params, score) pairs"
    got_params = [r[0] for r in got_results]
    if len(got_results) != len(combos):
        return 0.0, (f"a grid of {len(combos)} combinations gave {len(got_results)} results: "
                     "evaluate every combination exactly once")
    if got_params != combos:
        def canonical(params):
            return sorted(repr(sorted(p.items())) if type(p) is dict else repr(p) for p in params)
        if canonical(got_params) == canonical(combos):
            return 0.0, ("the combinations are not in itertools.product order over the keys in "
                         f"the grid's order {list(grid)} (the last key varies fastest)")
        return 0.0, f"results should hold each combination as a dict, e.g. {combos[0]}"
    scores = [r[1] for r in got_results]
    want_scores = [r[1] for r in results]
    if not all(isinstance(s, (float, np.floating)) for s in scores) or \
            relative_error(np.array(scores, dtype=float), np.array(want_scores)) > 1e-12:
        return 0.0, ("the scores differ from what train_fn returns when it is called once per "
                     "combination in itertools.product order: call it exactly once for each")
    if got_best != best:
        return 0.5, f"best_params is {got_best}, but the highest score belongs to {best}"
    return 1.0, ""


def grid_search_ties(ctx, check):
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
def _inputs_for(rule, config):
    def make(rng):
        w0, grads = _problem(rng, Run(rule, None, 1))
        return Args(w0, grads[0], dict(config))
    return make


checks = [
    TrajectoryCheck("sgd", 1, [Run("sgd", {"learning_rate": 0.05})]),
    TrajectoryCheck("sgd weight decay", 1,
                    [Run("sgd", {"learning_rate": 0.05, "weight_decay": 0.2})]),
    TrajectoryCheck("sgd_momentum", 2, [Run("sgd_momentum", {"learning_rate": 0.02, "momentum": 0.9}),
                                        Run("sgd_momentum", {"learning_rate": 0.05, "momentum": 0.5})]),
    TrajectoryCheck("sgd_momentum nesterov", 1,
                    [Run("sgd_momentum", {"learning_rate": 0.02, "momentum": 0.9, "nesterov": True})]),
    TrajectoryCheck("sgd_momentum weight decay", 1,
                    [Run("sgd_momentum", {"learning_rate": 0.02, "momentum": 0.8, "weight_decay": 0.3})]),
    TrajectoryCheck("rmsprop", 2, [Run("rmsprop", {"learning_rate": 0.01}),
                                   Run("rmsprop", {"learning_rate": 0.003, "alpha": 0.9, "eps": 1e-6})]),
    TrajectoryCheck("rmsprop weight decay", 1,
                    [Run("rmsprop", {"learning_rate": 0.01, "weight_decay": 0.3})]),
    TrajectoryCheck("adam", 2, [Run("adam", {"learning_rate": 0.01}),
                                Run("adam", {"learning_rate": 0.02, "beta1": 0.8, "beta2": 0.99,
                                             "eps": 1e-6})]),
    TrajectoryCheck("adam weight decay", 1,
                    [Run("adam", {"learning_rate": 0.01, "weight_decay": 0.3})]),
    TrajectoryCheck("adamw", 2, [Run("adamw", {"learning_rate": 0.01, "weight_decay": 0.3}),
                                 Run("adamw", {"learning_rate": 0.02, "weight_decay": 0.0})]),
    TrajectoryCheck("default hyperparameters", 1,
                    [Run(rule, None, 3) for rule in ("sgd", "sgd_momentum", "rmsprop", "adam", "adamw",
                                                     "sam_update")]),
    PropertyCheck("optimizer state in config", 1, state_in_config),
    PropertyCheck("next_w and state are new arrays", 1, fresh_arrays),
    NoInPlaceCheck("inputs are not modified in place", 1, [
        ("optim:sgd", _inputs_for("sgd", {"weight_decay": 0.1})),
        ("optim:sgd_momentum", _inputs_for("sgd_momentum", {"nesterov": True, "weight_decay": 0.1})),
        ("optim:rmsprop", _inputs_for("rmsprop", {"weight_decay": 0.1})),
        ("optim:adam", _inputs_for("adam", {"weight_decay": 0.1})),
        ("optim:adamw", _inputs_for("adamw", {})),
    ]),
    TrajectoryCheck("sam_update", 2, [
        Run("sam_update", {"rho": 0.5, "base": "sgd", "base_config": {"learning_rate": 0.1}})]),
    TrajectoryCheck("sam_update with a stateful base", 1, [
        Run("sam_update", {"rho": 0.2, "base": "sgd_momentum",
                           "base_config": {"learning_rate": 0.1, "momentum": 0.9}})]),
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
