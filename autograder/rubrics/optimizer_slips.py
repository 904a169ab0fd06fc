"""The a3 rubric's model of the update rules and of the mistakes students make in them.

The method: when a student's trajectory differs from the reference's, the
grader wants to say WHY, not only where. It cannot read the student's code,
but it can test hypotheses. This module is a second, deliberately small
implementation of SPEC.md's update rules (sgd, sgd_momentum, rmsprop, adam,
adamw, sam_update) in which each common mistake, a "slip", is one switch: no
bias correction, eps inside the square root, dampening, weight decay with the
wrong sign, in the wrong place or unscaled, state not carried between steps,
and so on. The grader replays the student's problem (the same starting point,
gradients and config) under every slip of the rule, and the first slip whose
whole trajectory matches the student's, step for step, names the mistake and
its fix (``explain_trajectory``).

Three properties keep the names honest, and tests/a3_optimizers checks them on
the rubric's own problems: with no slip the simulation IS the reference's
algorithm; every slip changes some graded trajectory (it can be detected);
and no slip gives the same trajectories as an earlier one (the first match
cannot shadow the right name).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from autograder.checks.trajectory import Problem, Run

State = dict[str, np.ndarray | int]
StepRule = Callable[[np.ndarray, np.ndarray, State, dict, "str | None"], np.ndarray]

DEFAULTS: dict[str, dict] = {
    "sgd": dict(learning_rate=1e-2, weight_decay=0.0),
    "sgd_momentum": dict(learning_rate=1e-2, momentum=0.9, nesterov=False, weight_decay=0.0),
    "rmsprop": dict(learning_rate=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0),
    "adam": dict(learning_rate=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0),
    "adamw": dict(learning_rate=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2),
    "sam_update": dict(rho=0.05, base="sgd", base_config={}),
}


@dataclass(frozen=True)
class Slip:
    """key: the switch in the simulation; what: the mistake, as the student's
    code behaves; fix: what to do instead."""

    key: str
    what: str
    fix: str


# The simulation with slip=None is the algorithm of SPEC.md. Order matters:
# the first slip that matches a trajectory names it.
SLIPS: dict[str, list[Slip]] = {
    "sgd": [
        Slip("wd_sign", "the weight decay is subtracted from the gradient",
             "add weight_decay * w to dw"),
        Slip("wd_ignored", "the weight decay is ignored", "add weight_decay * w to dw"),
        Slip("wd_after", "the weight decay is applied after the update, to the new weights",
             "add weight_decay * w (the old w) to the gradient before the step"),
        Slip("wd_no_lr", "the weight decay is not scaled by the learning rate",
             "add weight_decay * w to the gradient, then multiply the whole gradient by learning_rate"),
    ],
    "sgd_momentum": [
        Slip("dampening", "the gradient enters the velocity with weight 1 - momentum (dampening)",
             "torch uses velocity = momentum * velocity + g, with no (1 - momentum) factor"),
        Slip("nesterov_ignored", "the nesterov option changes nothing (the step is the plain momentum "
             "step; looking ahead with the velocity from before this step gives exactly that)",
             "with nesterov=True update the velocity first, then step along g + momentum * velocity "
             "with the new velocity"),
        Slip("wd_ignored", "the weight decay is ignored", "add weight_decay * w to dw first"),
        Slip("wd_after", "the weight decay is applied after the update",
             "add weight_decay * w to dw before updating the velocity"),
        Slip("no_state", "the velocity is not carried from step to step",
             "store the new velocity in config['velocity'] and return that config"),
    ],
    "rmsprop": [
        Slip("eps_inside", "eps is added inside the square root",
             "divide by sqrt(square_avg) + eps, with eps outside the root"),
        Slip("no_one_minus_alpha", "the squared gradient enters without its (1 - alpha) factor",
             "square_avg = alpha * square_avg + (1 - alpha) * g**2"),
        Slip("wd_ignored", "the weight decay is ignored", "add weight_decay * w to dw first"),
        Slip("no_state", "square_avg is not carried from step to step",
             "store the new average in config['square_avg'] and return that config"),
    ],
    "adam": [
        Slip("no_bias_correction", "the bias correction is missing",
             "divide m by 1 - beta1**t and v by 1 - beta2**t"),
        Slip("bias_correction_m_only", "only m is bias-corrected", "divide v by 1 - beta2**t too"),
        Slip("eps_inside", "eps is added inside the square root",
             "divide by sqrt(v_hat) + eps, with eps outside the root"),
        Slip("decoupled", "the weight decay is decoupled as in AdamW",
             "in adam, weight decay is an L2 term: add weight_decay * w to dw"),
        Slip("wd_ignored", "the weight decay is ignored", "add weight_decay * w to dw first"),
        Slip("t_not_stored", "the step count t is not carried from step to step",
             "store t + 1 in config['t'] and return that config"),
    ],
    "adamw": [
        Slip("coupled", "the weight decay is added to the gradient (that is Adam with L2, not AdamW)",
             "shrink the weights by learning_rate * weight_decay * w and give Adam the plain dw"),
        Slip("wd_after", "the weight decay is applied after the Adam step, to the new weights",
             "shrink the OLD weights first: w - learning_rate * weight_decay * w, then the Adam step"),
        Slip("wd_no_lr", "the weight decay is not scaled by the learning rate",
             "shrink by learning_rate * weight_decay * w"),
        Slip("no_bias_correction", "the bias correction is missing",
             "divide m by 1 - beta1**t and v by 1 - beta2**t"),
        Slip("wd_ignored", "the weight decay is ignored",
             "shrink the weights by learning_rate * weight_decay * w first"),
    ],
    "sam_update": [
        Slip("step_from_perturbed", "the base step starts from the perturbed point w + e",
             "take the base step from w itself, using only the GRADIENT measured at w + e"),
        Slip("not_normalised", "the perturbation is not normalised",
             "e = rho * g / (||g||_2 + 1e-12), a step of length rho"),
        Slip("no_perturbation", "the base rule gets the gradient at w, not at w + e",
             "evaluate grad_fn at w + e for the base step"),
        Slip("descent", "the perturbation goes downhill (w - e)", "perturb uphill: w + e"),
        Slip("base_state_lost", "the base rule's config is not carried from step to step",
             "store what the base rule returns in config['base_config']"),
    ],
}

# Rules whose weight decay is an L2 term added to the gradient (AdamW decouples it).
L2_RULES = ("sgd", "sgd_momentum", "rmsprop", "adam")


def with_defaults(rule: str, config: dict | None) -> dict:
    """``config`` completed with the rule's default hyperparameters."""
    merged = dict(DEFAULTS[rule])
    merged.update(config or {})
    return merged


def _l2_gradient(w: np.ndarray, g: np.ndarray, weight_decay: float, slip: str | None) -> np.ndarray:
    """g + weight_decay * w, or what a weight-decay slip makes of it."""
    if slip == "wd_sign":
        return g - weight_decay * w
    if slip in ("wd_ignored", "wd_after", "wd_no_lr", "decoupled"):
        return g
    return g + weight_decay * w


def _decay_after_step(new: np.ndarray, c: dict, slip: str | None) -> np.ndarray:
    """The wd_after slip: the weight decay applied to the new weights."""
    return new - c["learning_rate"] * c["weight_decay"] * new if slip == "wd_after" else new


def _sgd(w: np.ndarray, g: np.ndarray, state: State, c: dict, slip: str | None) -> np.ndarray:
    new = w - c["learning_rate"] * g
    if slip == "wd_no_lr":
        new = new - c["weight_decay"] * w
    return _decay_after_step(new, c, slip)


def _sgd_momentum(w: np.ndarray, g: np.ndarray, state: State, c: dict, slip: str | None) -> np.ndarray:
    mu = c["momentum"]
    old = state.get("velocity", np.zeros_like(w)) if slip != "no_state" else np.zeros_like(w)
    v = mu * old + ((1 - mu) * g if slip == "dampening" else g)
    state["velocity"] = v
    direction = g + mu * v if c["nesterov"] and slip != "nesterov_ignored" else v
    return _decay_after_step(w - c["learning_rate"] * direction, c, slip)


def _rmsprop(w: np.ndarray, g: np.ndarray, state: State, c: dict, slip: str | None) -> np.ndarray:
    a, eps = c["alpha"], c["eps"]
    old = state.get("square_avg", np.zeros_like(w)) if slip != "no_state" else np.zeros_like(w)
    s = a * old + (g * g if slip == "no_one_minus_alpha" else (1 - a) * g * g)
    state["square_avg"] = s
    return w - c["learning_rate"] * g / (np.sqrt(s + eps) if slip == "eps_inside" else np.sqrt(s) + eps)


def _adam_moments_step(w: np.ndarray, g: np.ndarray, state: State, c: dict,
                       slip: str | None) -> np.ndarray:
    """The step of Adam proper: moment estimates, bias correction, scaled step."""
    b1, b2, eps = c["beta1"], c["beta2"], c["eps"]
    t = (state.get("t", 0) if slip != "t_not_stored" else 0) + 1
    m = b1 * state.get("m", np.zeros_like(w)) + (1 - b1) * g
    v = b2 * state.get("v", np.zeros_like(w)) + (1 - b2) * g * g
    state.update(m=m, v=v, t=t)
    m_hat = m if slip == "no_bias_correction" else m / (1 - b1 ** t)
    v_hat = v if slip in ("no_bias_correction", "bias_correction_m_only") else v / (1 - b2 ** t)
    denominator = np.sqrt(v_hat + eps) if slip == "eps_inside" else np.sqrt(v_hat) + eps
    return w - c["learning_rate"] * m_hat / denominator


def _adam(w: np.ndarray, g: np.ndarray, state: State, c: dict, slip: str | None) -> np.ndarray:
    if slip == "decoupled":
        w = w - c["learning_rate"] * c["weight_decay"] * w
    return _adam_moments_step(w, g, state, c, slip)


def _adamw(w: np.ndarray, g: np.ndarray, state: State, c: dict, slip: str | None) -> np.ndarray:
    lr, wd = c["learning_rate"], c["weight_decay"]
    if slip == "coupled":
        g = g + wd * w
    elif slip == "wd_no_lr":
        w = w - wd * w
    elif slip not in ("wd_after", "wd_ignored"):
        w = w - lr * wd * w
    return _decay_after_step(_adam_moments_step(w, g, state, c, slip), c, slip)


_STEPS: dict[str, StepRule] = {"sgd": _sgd, "sgd_momentum": _sgd_momentum, "rmsprop": _rmsprop,
                               "adam": _adam, "adamw": _adamw}


def step(rule: str, w: np.ndarray, g: np.ndarray, state: State, c: dict,
         slip: str | None = None) -> np.ndarray:
    """One step of ``rule`` (not sam_update) with hyperparameters ``c``; updates ``state``."""
    if rule in L2_RULES:
        g = _l2_gradient(w, g, c["weight_decay"], slip)
    return _STEPS[rule](w, g, state, c, slip)


def _sam_step(w: np.ndarray, c: dict, base_state: State, grad_fn: Callable[[np.ndarray], np.ndarray],
              slip: str | None) -> np.ndarray:
    """One step of sharpness-aware minimisation around the base rule (which has no slip)."""
    g = grad_fn(w)
    e = c["rho"] * g / (1.0 if slip == "not_normalised" else np.linalg.norm(g) + 1e-12)
    point = w - e if slip == "descent" else w + e
    g_sharp = g if slip == "no_perturbation" else grad_fn(point)
    start = point if slip == "step_from_perturbed" else w
    return step(c["base"], start, g_sharp, base_state, with_defaults(c["base"], c["base_config"]))


def simulate(rule: str, w0: np.ndarray, grads: np.ndarray, config: dict | None, steps: int,
             slip: str | None = None, grad_fn: Callable[[np.ndarray], np.ndarray] = np.sin) -> np.ndarray:
    """The trajectory (steps, *w0.shape) of ``rule`` from ``w0`` with a slip (None: SPEC.md's).

    grads: (steps, *w0.shape), the gradient of each step; sam_update ignores
    them and measures gradients with ``grad_fn`` instead.
    """
    c = with_defaults(rule, config)
    state: State = {}
    base_state: State = {}
    w, out = np.array(w0, dtype=np.float64), []
    for k in range(steps):
        if rule == "sam_update":
            if slip == "base_state_lost":
                base_state = {}
            w = _sam_step(w, c, base_state, grad_fn, slip)
        else:
            w = step(rule, w, grads[k], state, c, slip)
        out.append(w)
    return np.stack(out)


def explain_trajectory(run: Run, problem: Problem, got_steps: list) -> str | None:
    """The slip whose simulated trajectory the student's ``got_steps`` follow on ``run``
    and ``problem``, if any: "it behaves as if WHAT: FIX"."""
    for slip in SLIPS.get(run.rule, []):
        try:
            with np.errstate(all="ignore"):
                slipped = simulate(run.rule, problem.w0, problem.grads, run.config, run.steps, slip=slip.key)
        except (ValueError, ZeroDivisionError, KeyError):
            continue
        if np.all(np.isfinite(slipped)) and all(
                isinstance(g, np.ndarray) and g.shape == s.shape
                and np.allclose(g, s, rtol=1e-6, atol=1e-9) for g, s in zip(got_steps, slipped)):
            return f"it behaves as if {slip.what}: {slip.fix}"
    return None
