"""First-order update rules, written to agree step for step with ``torch.optim``.

Every rule has the signature ``rule(w, dw, config=None) -> (next_w, config)``:

- ``w``: the current parameters, an array of any shape (float64).
- ``dw``: the gradient of the loss with respect to ``w``, the same shape.
- ``config``: a dict of hyperparameters and optimizer state, or None. Missing
  keys get the defaults listed in each docstring. The state the rule needs
  between steps (velocity, moment estimates, step count) lives in this dict.

A rule returns a NEW array ``next_w`` of the shape of ``w`` and the config to
use on the next step. Neither ``w``, ``dw`` nor the dict passed in are changed:
the rules work on a shallow copy of ``config`` and store fresh state arrays in
it, so no state array shares memory with ``w`` or ``dw``. Callers always carry
on with the returned config::

    config = None
    for _ in range(steps):
        w, config = adam(w, grad(w), config)
"""

import numpy as np


def _with_defaults(config, **defaults):
    """Return a shallow copy of ``config`` (or {}) with missing keys set to ``defaults``."""
    merged = dict(defaults)
    if config is not None:
        merged.update(config)
    return merged


def sgd(w, dw, config=None):
    """Plain stochastic gradient descent (torch.optim.SGD without momentum).

    g = dw + weight_decay * w
    next_w = w - learning_rate * g

    Args:
        w: parameters, array of any shape S.
        dw: gradient of the loss with respect to w, shape S.
        config: dict or None; keys
            learning_rate (default 1e-2),
            weight_decay (default 0.0; L2 penalty added to the gradient).

    Returns:
        next_w: new array of shape S.
        config: the config to use on the next step (no state is kept).
    """
    config = _with_defaults(config, learning_rate=1e-2, weight_decay=0.0)
    raise NotImplementedError("add weight_decay * w to dw, then step against that gradient")


def sgd_momentum(w, dw, config=None):
    """SGD with (heavy-ball or Nesterov) momentum (torch.optim.SGD, dampening 0).

    g = dw + weight_decay * w
    velocity = momentum * velocity + g          (velocity starts at zero, so the
                                                 first step sets velocity = g)
    step = g + momentum * velocity   if nesterov
         = velocity                  otherwise
    next_w = w - learning_rate * step

    Args:
        w: parameters, array of any shape S.
        dw: gradient of the loss with respect to w, shape S.
        config: dict or None; keys
            learning_rate (default 1e-2),
            momentum (default 0.9),
            nesterov (default False),
            weight_decay (default 0.0),
            velocity (state, shape S; default zeros).

    Returns:
        next_w: new array of shape S.
        config: with "velocity" (shape S) updated.
    """
    config = _with_defaults(config, learning_rate=1e-2, momentum=0.9,
                            nesterov=False, weight_decay=0.0)
    config.setdefault("velocity", np.zeros_like(w))
    raise NotImplementedError("update velocity = momentum * velocity + g with g = dw + weight_decay * w, then step by velocity (or g + momentum * velocity for nesterov)")


def rmsprop(w, dw, config=None):
    """RMSprop (torch.optim.RMSprop, not centered, no momentum).

    g = dw + weight_decay * w
    square_avg = alpha * square_avg + (1 - alpha) * g**2     (starts at zero)
    next_w = w - learning_rate * g / (sqrt(square_avg) + eps)

    eps is added AFTER the square root, as torch does.

    Args:
        w: parameters, array of any shape S.
        dw: gradient of the loss with respect to w, shape S.
        config: dict or None; keys
            learning_rate (default 1e-2),
            alpha (default 0.99; decay rate of the running average),
            eps (default 1e-8),
            weight_decay (default 0.0),
            square_avg (state, shape S; default zeros).

    Returns:
        next_w: new array of shape S.
        config: with "square_avg" (shape S) updated.
    """
    config = _with_defaults(config, learning_rate=1e-2, alpha=0.99, eps=1e-8,
                            weight_decay=0.0)
    config.setdefault("square_avg", np.zeros_like(w))
    raise NotImplementedError("keep a running average of g squared and divide g by its square root plus eps")


def adam(w, dw, config=None):
    """Adam with bias correction (torch.optim.Adam, amsgrad off).

    g = dw + weight_decay * w                 (L2 penalty in the gradient)
    t = t + 1
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    m_hat = m / (1 - beta1**t);  v_hat = v / (1 - beta2**t)
    next_w = w - learning_rate * m_hat / (sqrt(v_hat) + eps)

    Args:
        w: parameters, array of any shape S.
        dw: gradient of the loss with respect to w, shape S.
        config: dict or None; keys
            learning_rate (default 1e-3), beta1 (default 0.9),
            beta2 (default 0.999), eps (default 1e-8), weight_decay (default 0.0),
            m, v (state, shape S; default zeros), t (state, int; default 0,
            the number of steps taken so far).

    Returns:
        next_w: new array of shape S.
        config: with "m", "v" and "t" updated.
    """
    config = _with_defaults(config, learning_rate=1e-3, beta1=0.9, beta2=0.999,
                            eps=1e-8, weight_decay=0.0)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    raise NotImplementedError("add weight_decay * w to dw, increase t, update m and v, divide each by its bias correction 1 - beta ** t, then step by m_hat / (sqrt(v_hat) + eps)")


def adamw(w, dw, config=None):
    """Adam with decoupled weight decay (torch.optim.AdamW).

    The decay shrinks the weights directly instead of entering the gradient,
    so it is not rescaled by the adaptive denominator:

    w_decayed = w - learning_rate * weight_decay * w
    then the Adam step of ``adam`` at w_decayed with gradient dw (no L2 term).

    Args:
        w: parameters, array of any shape S.
        dw: gradient of the loss with respect to w, shape S.
        config: dict or None; keys as for ``adam`` except that
            weight_decay defaults to 1e-2 and is decoupled.

    Returns:
        next_w: new array of shape S.
        config: with "m", "v" and "t" updated.
    """
    config = _with_defaults(config, learning_rate=1e-3, beta1=0.9, beta2=0.999,
                            eps=1e-8, weight_decay=1e-2)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    raise NotImplementedError("shrink w by learning_rate * weight_decay * w first, then take the adam step from there with the plain gradient dw")


# The base rules sam_update can wrap, by the name used in its "base" key.
RULES = {
    "sgd": sgd,
    "sgd_momentum": sgd_momentum,
    "rmsprop": rmsprop,
    "adam": adam,
    "adamw": adamw,
}


def sam_update(w, grad_fn, config=None):
    """One step of sharpness-aware minimisation (SAM) around a base rule.

    g = grad_fn(w)
    e = rho * g / (||g||_2 + 1e-12)        (||.||_2 over all entries of g)
    next_w, base_config = base(w, grad_fn(w + e), base_config)

    The step is taken from w with the gradient measured at the perturbed point
    w + e, which favours flat minima. grad_fn is called exactly twice.

    Args:
        w: parameters, array of any shape S.
        grad_fn: callable mapping an array of shape S to the gradient of the
            loss there, shape S.
        config: dict or None; keys
            rho (default 0.05; radius of the perturbation),
            base (default "sgd"; a name in RULES: "sgd", "sgd_momentum",
                "rmsprop", "adam" or "adamw"),
            base_config (default {}; the base rule's config, its state included).

    Returns:
        next_w: new array of shape S.
        config: with "base_config" replaced by the config the base rule returned.
    """
    config = _with_defaults(config, rho=0.05, base="sgd", base_config={})
    base = RULES[config["base"]] if isinstance(config["base"], str) else config["base"]
    raise NotImplementedError("perturb w by rho times the normalised gradient, then apply the base rule at w with the gradient taken at the perturbed point")
