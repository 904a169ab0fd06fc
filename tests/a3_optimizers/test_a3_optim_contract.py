"""The calling contract of the update rules and sam_update.

- next_w is a new array; w, dw and the caller's config are left as they were;
- the state keys of SPEC.md are in the returned config and share no memory
  with w, dw or next_w;
- sam_update against a two-step reference worked out with plain floats, and
  its convergence on a quadratic.
"""

import math

import numpy as np
import pytest

STATE_KEYS = {
    "sgd": (),
    "sgd_momentum": ("velocity",),
    "rmsprop": ("square_avg",),
    "adam": ("m", "v", "t"),
    "adamw": ("m", "v", "t"),
}


@pytest.mark.parametrize("name", sorted(STATE_KEYS))
@pytest.mark.parametrize("start", ["none", "empty", "hyperparameters"])
def test_rule_leaves_inputs_alone_and_keeps_state_apart(a3, name, start):
    rule = getattr(a3.optim, name)
    rng = np.random.default_rng(0)
    w, dw = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    w_copy, dw_copy = w.copy(), dw.copy()
    given = {"none": None, "empty": {}, "hyperparameters": {"learning_rate": 0.1}}[start]

    for step in range(3):
        given_snapshot = None if given is None else dict(given)
        next_w, config = rule(w, dw, given)
        np.testing.assert_array_equal(w, w_copy, err_msg="w was modified in place")
        np.testing.assert_array_equal(dw, dw_copy, err_msg="dw was modified in place")
        if given_snapshot is not None:
            assert given.keys() == given_snapshot.keys()
        assert isinstance(next_w, np.ndarray) and next_w.shape == w.shape
        assert next_w.dtype == np.float64
        assert next_w is not w and not np.shares_memory(next_w, w)
        assert isinstance(config, dict)
        for key in STATE_KEYS[name]:
            assert key in config, f"state {key!r} missing after step {step + 1}"
        for key in ("velocity", "square_avg", "m", "v"):
            if key in STATE_KEYS[name]:
                state = config[key]
                assert state.shape == w.shape
                for other in (w, dw, next_w):
                    assert not np.shares_memory(state, other), f"{key!r} aliases an input"
        if "t" in STATE_KEYS[name]:
            assert config["t"] == step + 1
        given = config
        w, w_copy = next_w, next_w.copy()


def test_state_arrays_are_fresh_each_step(a3):
    """The state from step k is not overwritten in place by step k + 1."""
    rng = np.random.default_rng(1)
    w = rng.normal(size=4)
    _, c1 = a3.optim.adam(w, rng.normal(size=4), None)
    m1 = c1["m"].copy()
    m1_ref = c1["m"]
    a3.optim.adam(w, rng.normal(size=4), c1)
    np.testing.assert_array_equal(m1_ref, m1)


def test_zero_learning_rate_still_returns_a_copy(a3):
    w = np.arange(3.0)
    next_w, _ = a3.optim.sgd(w, np.ones(3), {"learning_rate": 0.0})
    np.testing.assert_array_equal(next_w, w)
    assert not np.shares_memory(next_w, w)


def _two_step_sam_expected(w0, a, rho, lr, momentum=None):
    """SAM on f(w) = sum_i a_i w_i^2 / 2, by hand, with plain Python floats."""
    w = list(w0)
    velocity = [0.0] * len(w)
    trajectory = []
    for _ in range(2):
        g = [ai * wi for ai, wi in zip(a, w)]
        norm = math.sqrt(sum(gi * gi for gi in g))
        perturbed = [wi + rho * gi / (norm + 1e-12) for wi, gi in zip(w, g)]
        g_sharp = [ai * pi for ai, pi in zip(a, perturbed)]
        if momentum is None:
            w = [wi - lr * gi for wi, gi in zip(w, g_sharp)]
        else:
            velocity = [momentum * vi + gi for vi, gi in zip(velocity, g_sharp)]
            w = [wi - lr * vi for wi, vi in zip(w, velocity)]
        trajectory.append(w)
    return trajectory


@pytest.mark.parametrize("base", ["sgd", "sgd_momentum"])
def test_sam_two_steps_by_hand(a3, base):
    a = [1.0, 4.0]
    w0 = [1.0, -0.5]
    rho, lr, momentum = 0.3, 0.1, 0.9
    base_config = {"learning_rate": lr}
    if base == "sgd_momentum":
        base_config["momentum"] = momentum
    expected = _two_step_sam_expected(w0, a, rho, lr,
                                      momentum if base == "sgd_momentum" else None)

    calls = []

    def grad_fn(point):
        calls.append(point.copy())
        return np.array(a) * point

    w = np.array(w0)
    config = {"rho": rho, "base": base, "base_config": base_config}
    for step in range(2):
        w, config = a3.optim.sam_update(w, grad_fn, config)
        np.testing.assert_allclose(w, expected[step], rtol=1e-12)
    assert len(calls) == 4, "grad_fn must be called exactly twice per step"
    np.testing.assert_allclose(calls[0], w0)
    np.testing.assert_allclose(np.linalg.norm(calls[1] - calls[0]), rho, rtol=1e-12)
    if base == "sgd_momentum":
        assert "velocity" in config["base_config"]


def test_sam_defaults(a3):
    """rho=0.05 and plain SGD with its default learning rate 1e-2."""
    w0 = np.array([3.0, 4.0])
    next_w, _ = a3.optim.sam_update(w0, lambda w: w.copy())
    # g = w0, ||g|| = 5, e = 0.05 * w0 / 5, gradient at w0 + e is 1.01 * w0.
    np.testing.assert_allclose(next_w, w0 - 1e-2 * 1.01 * w0, rtol=1e-12)


def test_sam_with_zero_rho_is_the_base_rule(a3):
    rng = np.random.default_rng(2)
    hessian = np.diag([1.0, 3.0, 10.0])
    w = rng.normal(size=3)
    w_base = w.copy()
    config = {"rho": 0.0, "base": "adam", "base_config": {"learning_rate": 0.05}}
    base_config = {"learning_rate": 0.05}
    for _ in range(10):
        w, config = a3.optim.sam_update(w, lambda p: hessian @ p, config)
        w_base, base_config = a3.optim.adam(w_base, hessian @ w_base, base_config)
    np.testing.assert_allclose(w, w_base, rtol=1e-12)
    assert config["base_config"]["t"] == 10


def test_sam_converges_on_a_quadratic(a3):
    """On f = w^T A w / 2 SAM ends within about lr * max(A) * rho of the minimum."""
    hessian = np.diag([1.0, 10.0])
    lr, rho = 0.05, 0.01

    def loss(w):
        return 0.5 * w @ hessian @ w

    w = np.array([2.0, -1.5])
    start = loss(w)
    config = {"rho": rho, "base": "sgd", "base_config": {"learning_rate": lr}}
    for _ in range(300):
        w, config = a3.optim.sam_update(w, lambda p: hessian @ p, config)
    assert loss(w) < 1e-4 * start
    assert np.linalg.norm(w) < 2 * lr * 10.0 * rho
