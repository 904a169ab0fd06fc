"""What a student should see the rules do.

- On an ill-conditioned 2-D quadratic, momentum and Adam reach the minimum in
  fewer steps than plain SGD at the same learning rate: SGD's rate is capped
  by the steep direction and it crawls along the shallow one.
- With noisy gradients, SGD at a constant rate keeps bouncing around the
  minimum; a step-decay schedule shrinks the bounce and ends lower.
"""

import numpy as np

HESSIAN = np.diag([1.0, 50.0])       # condition number 50
LEARNING_RATE = 0.01                 # stable for SGD: lr * 50 < 2
TOLERANCE = 1e-4                     # distance to the minimum at 0
MAX_STEPS = 5000


def _steps_to_minimum(rule, config):
    w = np.array([1.0, 1.0])
    for step in range(MAX_STEPS):
        if np.linalg.norm(w) < TOLERANCE:
            return step
        w, config = rule(w, HESSIAN @ w, config)
    return MAX_STEPS


def test_momentum_and_adam_beat_sgd_on_an_ill_conditioned_quadratic(a3):
    sgd = _steps_to_minimum(a3.optim.sgd, {"learning_rate": LEARNING_RATE})
    momentum = _steps_to_minimum(a3.optim.sgd_momentum, {"learning_rate": LEARNING_RATE})
    adam = _steps_to_minimum(a3.optim.adam, {"learning_rate": LEARNING_RATE})
    assert sgd < MAX_STEPS, "plain SGD should get there eventually"
    assert momentum < sgd / 2, (momentum, sgd)
    assert adam < sgd / 2, (adam, sgd)


def _final_noisy_loss(a3, learning_rate_at, seed, steps=300):
    hessian = np.diag([1.0, 5.0])
    rng = np.random.default_rng(seed)
    w = np.array([1.0, 1.0])
    for t in range(steps):
        noisy_grad = hessian @ w + rng.normal(size=2)
        w, _ = a3.optim.sgd(w, noisy_grad, {"learning_rate": learning_rate_at(t)})
    return 0.5 * w @ hessian @ w


def test_step_decay_lowers_the_final_loss_on_a_noisy_problem(a3):
    lr0 = 0.05
    seeds = range(5)
    constant = np.mean([_final_noisy_loss(a3, lambda t: lr0, s) for s in seeds])
    decayed = np.mean([
        _final_noisy_loss(a3, lambda t: a3.schedules.step_decay(lr0, t, drop=0.5, every=50), s)
        for s in seeds])
    assert decayed < 0.5 * constant, (decayed, constant)
