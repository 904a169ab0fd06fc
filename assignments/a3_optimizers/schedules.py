"""Learning-rate schedules: pure functions of the step index ``t``.

Each schedule maps the initial learning rate ``lr0`` (a float) and the step
index ``t`` (an int, t >= 0; t = 0 is the first step) to the learning rate to
use at step ``t``, a Python float. They match the values that the
``torch.optim.lr_scheduler`` class named in each docstring puts into
``optimizer.param_groups[0]["lr"]`` after ``t`` calls of ``scheduler.step()``.
"""

import math


def step_decay(lr0, t, drop=0.2, every=10):
    """Multiply the rate by ``drop`` once every ``every`` steps (StepLR).

    lr = lr0 * drop ** (t // every): steps 0 .. every-1 use lr0, steps
    every .. 2*every-1 use lr0 * drop, and so on.

    Args:
        lr0: initial learning rate, float.
        t: step index, int >= 0.
        drop: factor applied at each drop (StepLR's gamma), float.
        every: number of steps between drops (StepLR's step_size), int >= 1.

    Returns:
        The learning rate at step t, float.
    """
    raise NotImplementedError("count how many whole periods of length every have passed and multiply lr0 by drop that many times")


def exponential_decay(lr0, t, gamma):
    """Multiply the rate by ``gamma`` at every step (ExponentialLR).

    lr = lr0 * gamma ** t.

    Args:
        lr0: initial learning rate, float.
        t: step index, int >= 0.
        gamma: decay factor per step, float.

    Returns:
        The learning rate at step t, float.
    """
    raise NotImplementedError("lr0 times gamma to the power t")


def inverse_time_decay(lr0, t, r):
    """Decay as one over time (a LambdaLR with factor 1 / (1 + r t)).

    lr = lr0 / (1 + r * t).

    Args:
        lr0: initial learning rate, float.
        t: step index, int >= 0.
        r: decay rate, float >= 0.

    Returns:
        The learning rate at step t, float.
    """
    raise NotImplementedError("divide lr0 by 1 + r * t")


def cosine_annealing(lr0, t, T_max, lr_min=0.0):
    """Half a cosine from lr0 down to lr_min over T_max steps (CosineAnnealingLR).

    lr = lr_min + (lr0 - lr_min) * (1 + cos(pi * t / T_max)) / 2,
    so lr = lr0 at t = 0 and lr = lr_min at t = T_max. The schedule is meant
    for 0 <= t <= T_max; past T_max the same formula climbs back up, as
    torch's closed form does.

    Args:
        lr0: initial (largest) learning rate, float.
        t: step index, int, 0 <= t <= T_max.
        T_max: number of steps of the half period, int >= 1.
        lr_min: final (smallest) learning rate, float (CosineAnnealingLR's eta_min).

    Returns:
        The learning rate at step t, float.
    """
    raise NotImplementedError("interpolate between lr_min and lr0 with the weight (1 + cos(pi * t / T_max)) / 2")


def linear_warmup(lr0, t, warmup):
    """Ramp the rate up linearly over the first ``warmup`` steps, then hold it.

    lr = lr0 * min(1, (t + 1) / warmup): step 0 uses lr0 / warmup and steps
    warmup-1 onwards use lr0 (LinearLR with start_factor = 1 / warmup,
    end_factor = 1 and total_iters = warmup - 1).

    Args:
        lr0: learning rate reached at the end of the warm-up, float.
        t: step index, int >= 0.
        warmup: length of the warm-up in steps, int >= 1.

    Returns:
        The learning rate at step t, float.
    """
    raise NotImplementedError("scale lr0 by (t + 1) / warmup but never by more than 1")
