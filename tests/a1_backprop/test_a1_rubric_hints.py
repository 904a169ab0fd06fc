"""The a1 rubric's slip predicates: they fire on the slip they name and on
nothing else. The losses come from torch, the trajectories from the reference."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from autograder.rubrics import a1_backprop as rubric


def _torch_loss(params, x, y, reg, biases_too):
    """Softmax cross-entropy of the ReLU MLP plus reg * sum ||W||^2 (and ||b||^2)."""
    h = torch.tensor(x)
    layers = len(params) // 2
    for l in range(1, layers + 1):
        h = h @ torch.tensor(params[f"W{l}"]) + torch.tensor(params[f"b{l}"])
        if l < layers:
            h = torch.relu(h)
    loss = F.cross_entropy(h, torch.tensor(y))
    penalised = [k for k in params if k.startswith("W") or (biases_too and k.startswith("b"))]
    return float(loss + reg * sum(torch.sum(torch.tensor(params[k]) ** 2) for k in penalised))


def test_penalised_biases_are_recognised_and_nothing_else():
    call = rubric.mlp_loss_inputs("relu")(np.random.default_rng(1))
    params, x, y = call.args
    right = _torch_loss(params, x, y, call.kwargs["reg"], biases_too=False)
    with_biases = _torch_loss(params, x, y, call.kwargs["reg"], biases_too=True)
    assert rubric.penalises_biases(with_biases, right, call)
    assert not rubric.penalises_biases(right * 1.01, right, call)
    assert not rubric.penalises_biases(np.array([with_biases]), right, call)   # not a number


def test_rising_loss_is_recognised_and_nothing_else(a1):
    call = rubric.train_inputs(np.random.default_rng(2))
    train = a1["network"].train_sgd

    def run(**changes):
        return train(*call.args, **{**call.kwargs, **changes})

    descent = run()
    assert descent[1]["loss"][-1] < descent[1]["loss"][0]
    assert rubric.loss_rises(run(lr=-call.kwargs["lr"]), descent, call)     # gradient ascent
    assert not rubric.loss_rises(run(seed=call.kwargs["seed"] + 1), descent, call)   # another order
    assert not rubric.loss_rises(None, descent, call)
    assert not rubric.loss_rises((descent[0], {"loss": "rising"}), descent, call)
