"""The a1 reference against independent oracles: torch autograd in float64,
torch.nn.functional, and brute-force counts."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

rng = np.random.default_rng(0)
F64 = torch.float64


def t(a):
    return torch.tensor(a, dtype=F64, requires_grad=True)


def test_linear_forward_backward(a1):
    L = a1["layers"]
    x, W, b = rng.standard_normal((4, 5)), rng.standard_normal((5, 3)), rng.standard_normal(3)
    out, cache = L.linear_forward(x, W, b)
    tx, tW, tb = t(x), t(W), t(b)
    tout = tx @ tW + tb
    dout = rng.standard_normal(out.shape)
    tout.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-12)
    for mine, theirs in zip(L.linear_backward(dout, cache), (tx, tW, tb)):
        np.testing.assert_allclose(mine, theirs.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize("name,torch_fn", [("relu", torch.relu), ("sigmoid", torch.sigmoid),
                                           ("tanh", torch.tanh)])
def test_activations(a1, name, torch_fn):
    L = a1["layers"]
    x = rng.standard_normal((6, 7)) * 3
    out, cache = getattr(L, f"{name}_forward")(x)
    tx = t(x)
    tout = torch_fn(tx)
    dout = rng.standard_normal(x.shape)
    tout.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(getattr(L, f"{name}_backward")(dout, cache), tx.grad.numpy(),
                               rtol=1e-10, atol=1e-14)


def test_relu_gradient_is_zero_at_zero(a1):
    L = a1["layers"]
    _, cache = L.relu_forward(np.zeros((1, 3)))
    assert np.all(L.relu_backward(np.ones((1, 3)), cache) == 0)


def test_sigmoid_and_softmax_stay_finite_at_extremes(a1):
    L = a1["layers"]
    x = np.array([[-1000.0, 1000.0, 0.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out, _ = L.sigmoid_forward(x)
        probs = L.softmax(np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]]))
    np.testing.assert_allclose(out, torch.sigmoid(torch.tensor(x)).numpy())
    extreme = torch.tensor([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], dtype=F64)
    np.testing.assert_allclose(probs, torch.softmax(extreme, 1).numpy())


def test_softmax_cross_entropy_matches_torch(a1):
    L = a1["layers"]
    logits, y = rng.standard_normal((7, 4)) * 5, rng.integers(0, 4, 7)
    loss, dlogits = L.softmax_cross_entropy(logits, y)
    tl = t(logits)
    tloss = F.cross_entropy(tl, torch.tensor(y))
    tloss.backward()
    assert isinstance(loss, float)
    assert loss == pytest.approx(tloss.item(), rel=1e-12)
    np.testing.assert_allclose(dlogits, tl.grad.numpy(), rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(L.softmax(logits), torch.softmax(torch.tensor(logits), 1).numpy(), rtol=1e-12)


def test_mse_matches_torch(a1):
    L = a1["layers"]
    pred, target = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    loss, dpred = L.mse_loss(pred, target)
    tp = t(pred)
    tloss = F.mse_loss(tp, torch.tensor(target))
    tloss.backward()
    assert loss == pytest.approx(tloss.item(), rel=1e-12)
    np.testing.assert_allclose(dpred, tp.grad.numpy(), rtol=1e-12)


def test_weighted_square_sum_matches_autograd(a1):
    L = a1["layers"]
    w, x = rng.standard_normal(6), rng.standard_normal(6)
    tw, tx = t(w), t(x)
    y = (tw * tx ** 2).sum()
    y.backward(torch.tensor(1.7, dtype=F64))
    assert L.weighted_square_sum(w, x) == pytest.approx(y.item(), rel=1e-12)
    dw, dx = L.weighted_square_sum_backward(1.7, w, x)
    np.testing.assert_allclose(dw, tw.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_mlp_loss_matches_autograd(a1, activation):
    N = a1["network"]
    params = N.init_mlp([6, 5, 4, 3], seed=1)
    params = {k: v + 0.1 * rng.standard_normal(v.shape) for k, v in params.items()}
    X, y = rng.standard_normal((8, 6)), rng.integers(0, 3, 8)
    loss, grads = N.mlp_loss(params, X, y, activation=activation, reg=0.3)
    tparams = {k: t(v) for k, v in params.items()}
    act = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}[activation]
    h = torch.tensor(X)
    for l in range(1, 4):
        h = h @ tparams[f"W{l}"] + tparams[f"b{l}"]
        if l < 3:
            h = act(h)
    tloss = F.cross_entropy(h, torch.tensor(y)) + 0.3 * sum((tparams[f"W{l}"] ** 2).sum() for l in range(1, 4))
    tloss.backward()
    assert loss == pytest.approx(tloss.item(), rel=1e-12)
    assert set(grads) == set(params)
    for key in params:
        np.testing.assert_allclose(grads[key], tparams[key].grad.numpy(), rtol=1e-9, atol=1e-13)
    logits, _ = N.mlp_forward(params, X, activation)
    np.testing.assert_array_equal(N.predict(params, X, activation), h.detach().numpy().argmax(1))


def test_init_mlp_statistics(a1):
    params = a1["network"].init_mlp([500, 400, 10], seed=0)
    assert params["W1"].shape == (500, 400) and params["b2"].shape == (10,)
    assert params["W1"].std() == pytest.approx(math.sqrt(2 / 500), rel=0.02)
    assert not params["b1"].any()


def test_train_sgd_follows_the_spec_and_leaves_params_untouched(a1):
    N = a1["network"]
    X, y = rng.standard_normal((11, 4)), rng.integers(0, 3, 11)
    params = N.init_mlp([4, 5, 3], seed=2)
    before = {k: v.copy() for k, v in params.items()}
    trained, history = N.train_sgd(params, X, y, lr=0.05, epochs=2, batch_size=4, reg=0.01,
                                   seed=9, X_val=X, y_val=y)
    for key in params:
        np.testing.assert_array_equal(params[key], before[key])
    # the same procedure written out with torch.optim.SGD as the oracle
    tparams = {k: torch.tensor(v, requires_grad=True) for k, v in before.items()}
    opt = torch.optim.SGD(list(tparams.values()), lr=0.05)
    generator = np.random.default_rng(9)
    epoch_losses = []
    for _ in range(2):
        order, losses = generator.permutation(11), []
        for start in range(0, 11, 4):
            idx = order[start:start + 4]
            h = torch.relu(torch.tensor(X[idx]) @ tparams["W1"] + tparams["b1"]) @ tparams["W2"] + tparams["b2"]
            loss = F.cross_entropy(h, torch.tensor(y[idx])) + 0.01 * ((tparams["W1"] ** 2).sum() + (tparams["W2"] ** 2).sum())
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        epoch_losses.append(np.mean(losses))
    for key in trained:
        np.testing.assert_allclose(trained[key], tparams[key].detach().numpy(), rtol=1e-9)
    np.testing.assert_allclose(history["loss"], epoch_losses, rtol=1e-9)
    assert len(history["val_acc"]) == 2


def test_answers_against_brute_force(a1):
    A = a1["answers"]

    def count(sizes):
        model = torch.nn.Sequential(*[torch.nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])])
        return sum(p.numel() for p in model.parameters())

    assert A.MLP_784_10_10_PARAMS == count([784, 10, 10])
    assert A.MLP_784_300_10_PARAMS == count([784, 300, 10])
    guesses = np.random.default_rng(0).integers(0, 10, 200_000)
    labels = np.random.default_rng(1).integers(0, 10, 200_000)
    assert A.CHANCE_ACCURACY_10_CLASSES == pytest.approx(np.mean(guesses == labels), abs=0.005)
    assert A.INITIAL_LOSS_10_CLASSES == pytest.approx(
        F.cross_entropy(torch.zeros(1, 10, dtype=F64), torch.tensor([3])).item(), rel=1e-12)
