"""The update rules of optim.py against torch.optim, step by step, in float64.

Both optimizers walk the same random problem: at every step the gradient is
computed once at the current NumPy parameters and fed to both, and after each
of 25 steps the parameters and the optimizer state must agree to 1e-6
relative. A rule that drifts from torch's algorithm (missing bias correction,
eps inside the square root, dampening, weight decay in the wrong place) fails
within the first few steps.
"""

import numpy as np
import pytest
import torch

STEPS = 25
RTOL, ATOL = 1e-6, 1e-12

# (rule name, our config, torch class, torch kwargs, {our state key: torch state key})
CASES = [
    ("sgd", {"learning_rate": 0.05}, torch.optim.SGD, {"lr": 0.05}, {}),
    ("sgd", {"learning_rate": 0.05, "weight_decay": 0.1},
     torch.optim.SGD, {"lr": 0.05, "weight_decay": 0.1}, {}),
    ("sgd_momentum", {"learning_rate": 0.02, "momentum": 0.9},
     torch.optim.SGD, {"lr": 0.02, "momentum": 0.9}, {"velocity": "momentum_buffer"}),
    ("sgd_momentum", {"learning_rate": 0.02, "momentum": 0.5, "weight_decay": 0.1},
     torch.optim.SGD, {"lr": 0.02, "momentum": 0.5, "weight_decay": 0.1},
     {"velocity": "momentum_buffer"}),
    ("sgd_momentum", {"learning_rate": 0.02, "momentum": 0.9, "nesterov": True},
     torch.optim.SGD, {"lr": 0.02, "momentum": 0.9, "nesterov": True},
     {"velocity": "momentum_buffer"}),
    ("sgd_momentum", {"learning_rate": 0.02, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1},
     torch.optim.SGD, {"lr": 0.02, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1},
     {"velocity": "momentum_buffer"}),
    ("rmsprop", {"learning_rate": 0.01},
     torch.optim.RMSprop, {"lr": 0.01}, {"square_avg": "square_avg"}),
    ("rmsprop", {"learning_rate": 0.003, "alpha": 0.9, "eps": 1e-6, "weight_decay": 0.1},
     torch.optim.RMSprop, {"lr": 0.003, "alpha": 0.9, "eps": 1e-6, "weight_decay": 0.1},
     {"square_avg": "square_avg"}),
    ("adam", {"learning_rate": 0.01},
     torch.optim.Adam, {"lr": 0.01}, {"m": "exp_avg", "v": "exp_avg_sq", "t": "step"}),
    ("adam", {"learning_rate": 0.01, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6, "weight_decay": 0.1},
     torch.optim.Adam, {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1},
     {"m": "exp_avg", "v": "exp_avg_sq", "t": "step"}),
    ("adamw", {"learning_rate": 0.01, "weight_decay": 0.0},
     torch.optim.AdamW, {"lr": 0.01, "weight_decay": 0.0},
     {"m": "exp_avg", "v": "exp_avg_sq", "t": "step"}),
    ("adamw", {"learning_rate": 0.01, "weight_decay": 0.5, "beta1": 0.85},
     torch.optim.AdamW, {"lr": 0.01, "weight_decay": 0.5, "betas": (0.85, 0.999)},
     {"m": "exp_avg", "v": "exp_avg_sq", "t": "step"}),
]

# config=None must give the SPEC defaults, spelled out for torch here.
DEFAULT_CASES = [
    ("sgd", torch.optim.SGD, {"lr": 1e-2, "weight_decay": 0.0}),
    ("sgd_momentum", torch.optim.SGD, {"lr": 1e-2, "momentum": 0.9, "nesterov": False,
                                       "weight_decay": 0.0}),
    ("rmsprop", torch.optim.RMSprop, {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8,
                                      "weight_decay": 0.0}),
    ("adam", torch.optim.Adam, {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8,
                                "weight_decay": 0.0}),
    ("adamw", torch.optim.AdamW, {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8,
                                  "weight_decay": 1e-2}),
]


def _problem(seed, shape=(4, 3)):
    """A random quadratic with noisy gradients: returns (w0, grad(w, step))."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    a = rng.normal(size=(n, n))
    hessian = a @ a.T / n + 0.1 * np.eye(n)
    target = rng.normal(size=n)
    noise = rng.normal(scale=0.3, size=(STEPS, n))
    # Gradients of very different sizes per coordinate exercise the adaptive rules.
    scale = np.logspace(-2, 1, n)

    def grad(w, step):
        g = scale * (hessian @ (w.ravel() - target)) + noise[step]
        return g.reshape(shape)

    return rng.normal(size=shape), grad


def _run_both(rule, config, torch_cls, torch_kwargs, state_keys, seed):
    w0, grad = _problem(seed)
    param = torch.tensor(w0.copy(), dtype=torch.float64, requires_grad=True)
    opt = torch_cls([param], **torch_kwargs)
    w = w0.copy()
    for step in range(STEPS):
        g = grad(w, step)
        param.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        w, config = rule(w, g, config)
        expected = param.detach().numpy()
        np.testing.assert_allclose(w, expected, rtol=RTOL, atol=ATOL,
                                   err_msg=f"parameters differ after step {step + 1}")
        torch_state = opt.state[param]
        for ours, theirs in state_keys.items():
            value = torch_state[theirs]
            value = value.detach().numpy() if value.dim() else float(value)
            np.testing.assert_allclose(config[ours], value, rtol=RTOL, atol=ATOL,
                                       err_msg=f"state {ours!r} differs after step {step + 1}")
    return w


@pytest.mark.parametrize("name,config,torch_cls,torch_kwargs,state_keys", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
@pytest.mark.parametrize("seed", [0, 1])
def test_rule_matches_torch_step_by_step(a3, name, config, torch_cls, torch_kwargs,
                                         state_keys, seed):
    rule = getattr(a3.optim, name)
    _run_both(rule, dict(config), torch_cls, torch_kwargs, state_keys, seed)


@pytest.mark.parametrize("name,torch_cls,torch_kwargs", DEFAULT_CASES,
                         ids=[c[0] for c in DEFAULT_CASES])
def test_defaults_match_spec(a3, name, torch_cls, torch_kwargs):
    rule = getattr(a3.optim, name)
    _run_both(rule, None, torch_cls, torch_kwargs, {}, seed=2)


def test_adamw_differs_from_adam_with_l2(a3):
    """Decoupled decay is not the same as an L2 term in Adam's gradient."""
    w0, grad = _problem(3)
    g = grad(w0, 0)
    w_adam, _ = a3.optim.adam(w0, g, {"learning_rate": 0.01, "weight_decay": 0.5})
    w_adamw, _ = a3.optim.adamw(w0, g, {"learning_rate": 0.01, "weight_decay": 0.5})
    assert not np.allclose(w_adam, w_adamw, rtol=1e-6)


@pytest.mark.parametrize("shape", [(7,), (2, 3, 4)])
@pytest.mark.parametrize("name", ["sgd", "sgd_momentum", "rmsprop", "adam", "adamw"])
def test_rules_work_on_any_shape(a3, name, shape):
    rng = np.random.default_rng(4)
    w, dw = rng.normal(size=shape), rng.normal(size=shape)
    next_w, config = getattr(a3.optim, name)(w, dw, None)
    next_w, config = getattr(a3.optim, name)(next_w, dw, config)
    assert next_w.shape == shape and next_w.dtype == np.float64
    assert np.all(np.isfinite(next_w))
