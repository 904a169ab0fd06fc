"""a2_losses reference against independent oracles: torch autograd in float64,
torch.nn.functional and torchvision.ops."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torchvision.ops import sigmoid_focal_loss

CLIP_LOW, CLIP_HIGH = 1e-12, 1.0 - 1e-12
SHAPES = [(7,), (4, 5), (2, 3, 4)]


@pytest.fixture(scope="module")
def L(a2):
    return a2["losses"]


def autograd(fn, *arrays):
    """Value and gradient w.r.t. the first array of a torch function, float64."""
    first = torch.tensor(arrays[0], dtype=torch.float64, requires_grad=True)
    rest = [torch.tensor(a) for a in arrays[1:]]
    value = fn(first, *rest)
    value.backward()
    return value.item(), first.grad.numpy()


def probabilities(rng, shape, low=0.02, high=0.98):
    return rng.uniform(low, high, size=shape)


def check_loss(result, expected_value, expected_grad, shape, rtol=1e-10, atol=1e-12):
    loss, grad = result
    assert type(loss) is float
    assert type(grad) is np.ndarray and grad.dtype == np.float64 and grad.shape == shape
    np.testing.assert_allclose(loss, expected_value, rtol=rtol, atol=atol)
    np.testing.assert_allclose(grad, expected_grad, rtol=rtol, atol=atol)


# ---------------------------------------------------------------- sigmoid
@pytest.mark.parametrize("seed", range(3))
def test_sigmoid_matches_torch(L, seed):
    x = np.random.default_rng(seed).normal(scale=30, size=(6, 5))
    out = L.sigmoid(x)
    assert out.dtype == np.float64 and out.shape == x.shape
    np.testing.assert_allclose(out, torch.sigmoid(torch.tensor(x)).numpy(), rtol=1e-13, atol=0)


# ---------------------------------------------------------------- softmax jacobian
@pytest.mark.parametrize("c", [1, 2, 5, 10])
def test_softmax_jacobian_matches_autograd(L, c):
    z = np.random.default_rng(c).normal(scale=3, size=c)
    expected = torch.autograd.functional.jacobian(
        lambda v: torch.softmax(v, dim=0), torch.tensor(z)).numpy()
    J = L.softmax_jacobian(z)
    assert J.shape == (c, c) and J.dtype == np.float64
    np.testing.assert_allclose(J, expected, rtol=1e-10, atol=1e-14)


# ---------------------------------------------------------------- binary cross-entropy
@pytest.mark.parametrize("shape", SHAPES)
def test_bce_matches_torch(L, shape):
    rng = np.random.default_rng(len(shape))
    p = probabilities(rng, shape)
    t = rng.uniform(size=shape)  # soft targets are allowed

    def oracle(pt, tt):
        pc = torch.clamp(pt, CLIP_LOW, CLIP_HIGH)
        return -(tt * torch.log(pc) + (1 - tt) * torch.log(1 - pc)).mean()

    value, grad = autograd(oracle, p, t)
    check_loss(L.binary_cross_entropy(p, t), value, grad, shape)
    # and the loss agrees with torch's own implementation
    torch_loss = F.binary_cross_entropy(torch.tensor(p), torch.tensor(t)).item()
    np.testing.assert_allclose(L.binary_cross_entropy(p, t)[0], torch_loss, rtol=1e-12)


def test_bce_gradient_through_clip_like_torch_clamp(L):
    p = np.array([0.0, 1e-14, CLIP_LOW, 0.3, CLIP_HIGH, 1.0 - 1e-14, 1.0])
    t = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0])

    def oracle(pt, tt):
        pc = torch.clamp(pt, CLIP_LOW, CLIP_HIGH)
        return -(tt * torch.log(pc) + (1 - tt) * torch.log(1 - pc)).mean()

    value, grad = autograd(oracle, p, t)
    loss, dp = L.binary_cross_entropy(p, t)
    assert np.isfinite(loss) and np.all(np.isfinite(dp))
    np.testing.assert_allclose(loss, value, rtol=1e-10)
    np.testing.assert_allclose(dp, grad, rtol=1e-10, atol=0)
    outside = (p <= CLIP_LOW) | (p >= CLIP_HIGH)
    assert np.all(dp[outside] == 0.0)


# ---------------------------------------------------------------- bce with logits
@pytest.mark.parametrize("shape", SHAPES)
def test_bce_with_logits_matches_torch(L, shape):
    rng = np.random.default_rng(10 + len(shape))
    s = rng.normal(scale=4, size=shape)
    t = rng.uniform(size=shape)
    value, grad = autograd(lambda st, tt: F.binary_cross_entropy_with_logits(st, tt), s, t)
    check_loss(L.bce_with_logits(s, t), value, grad, shape)


# ---------------------------------------------------------------- label smoothing
@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.3])
@pytest.mark.parametrize("n,c", [(1, 2), (6, 3), (9, 10)])
def test_label_smoothing_matches_torch_cross_entropy(L, n, c, smoothing):
    rng = np.random.default_rng(100 * n + c)
    logits = rng.normal(scale=3, size=(n, c))
    y = rng.integers(0, c, size=n)
    # torch spreads eps / C over all classes; the SPEC spreads smoothing / (C-1)
    # over the other classes. They coincide for eps = smoothing * C / (C - 1).
    eps = smoothing * c / (c - 1)
    value, grad = autograd(
        lambda z, yy: F.cross_entropy(z, yy, label_smoothing=eps), logits, y)
    check_loss(L.label_smoothing_cross_entropy(logits, y, smoothing=smoothing),
               value, grad, (n, c))


def test_label_smoothing_default_is_0_1(L):
    rng = np.random.default_rng(3)
    logits, y = rng.normal(size=(5, 4)), rng.integers(0, 4, size=5)
    value, _ = autograd(lambda z, yy: F.cross_entropy(z, yy, label_smoothing=0.1 * 4 / 3), logits, y)
    np.testing.assert_allclose(L.label_smoothing_cross_entropy(logits, y)[0], value, rtol=1e-12)


def test_label_smoothing_large_logits_finite(L):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0]])
    y = np.array([1, 1])
    value, grad = autograd(lambda z, yy: F.cross_entropy(z, yy, label_smoothing=0.15), logits, y)
    check_loss(L.label_smoothing_cross_entropy(logits, y, smoothing=0.1), value, grad, (2, 3))


# ---------------------------------------------------------------- focal loss
@pytest.mark.parametrize("gamma", [0.0, 0.5, 1.0, 2.0, 3.5])
@pytest.mark.parametrize("shape", SHAPES)
def test_focal_matches_autograd(L, shape, gamma):
    rng = np.random.default_rng(int(10 * gamma) + len(shape))
    p = probabilities(rng, shape)
    t = rng.uniform(size=shape)

    def oracle(pt, tt):
        pc = torch.clamp(pt, CLIP_LOW, CLIP_HIGH)
        return -(tt * (1 - pc) ** gamma * torch.log(pc)
                 + (1 - tt) * pc ** gamma * torch.log(1 - pc)).mean()

    value, grad = autograd(oracle, p, t)
    check_loss(L.focal_loss(p, t, gamma=gamma), value, grad, shape)


def test_focal_gradient_through_clip(L):
    p = np.array([0.0, 1e-13, 0.5, 1.0 - 1e-13, 1.0])
    t = np.array([1.0, 0.0, 1.0, 1.0, 0.0])

    def oracle(pt, tt):
        pc = torch.clamp(pt, CLIP_LOW, CLIP_HIGH)
        return -(tt * (1 - pc) ** 2 * torch.log(pc) + (1 - tt) * pc ** 2 * torch.log(1 - pc)).mean()

    value, grad = autograd(oracle, p, t)
    loss, dp = L.focal_loss(p, t)
    np.testing.assert_allclose(loss, value, rtol=1e-10)
    np.testing.assert_allclose(dp, grad, rtol=1e-10, atol=0)


@pytest.mark.parametrize("gamma", [0.0, 1.0, 2.0])
def test_focal_matches_torchvision_sigmoid_focal_loss(L, gamma):
    rng = np.random.default_rng(7)
    s = rng.normal(scale=2, size=(8, 3))
    t = rng.integers(0, 2, size=(8, 3)).astype(np.float64)  # binary targets only
    expected = sigmoid_focal_loss(torch.tensor(s), torch.tensor(t), alpha=-1,
                                  gamma=gamma, reduction="mean").item()
    p = torch.sigmoid(torch.tensor(s)).numpy()
    np.testing.assert_allclose(L.focal_loss(p, t, gamma=gamma)[0], expected, rtol=1e-10)


# ---------------------------------------------------------------- dice, rmse, arctan
@pytest.mark.parametrize("eps", [1.0, 1e-3])
@pytest.mark.parametrize("shape", SHAPES)
def test_dice_matches_autograd(L, shape, eps):
    rng = np.random.default_rng(20 + len(shape))
    p = probabilities(rng, shape, 0.0, 1.0)
    t = (rng.uniform(size=shape) > 0.5).astype(np.float64)
    value, grad = autograd(
        lambda pt, tt: 1 - (2 * (pt * tt).sum() + eps) / (pt.sum() + tt.sum() + eps), p, t)
    check_loss(L.dice_loss(p, t, eps=eps), value, grad, shape)


def test_dice_default_eps_is_one(L):
    p, t = np.zeros(4), np.zeros(4)
    loss, dp = L.dice_loss(p, t)
    value, grad = autograd(lambda pt, tt: 1 - (2 * (pt * tt).sum() + 1) / (pt.sum() + tt.sum() + 1), p, t)
    check_loss((loss, dp), value, grad, (4,))


@pytest.mark.parametrize("eps", [1e-8, 0.5])
@pytest.mark.parametrize("shape", SHAPES)
def test_rmse_matches_autograd(L, shape, eps):
    rng = np.random.default_rng(30 + len(shape))
    pred, target = rng.normal(size=shape), rng.normal(size=shape)
    value, grad = autograd(lambda a, b: torch.sqrt(((a - b) ** 2).mean() + eps), pred, target)
    check_loss(L.rmse_loss(pred, target, eps=eps), value, grad, shape)


@pytest.mark.parametrize("shape", SHAPES)
def test_arctan_matches_autograd(L, shape):
    rng = np.random.default_rng(40 + len(shape))
    pred, target = rng.normal(scale=2, size=shape), rng.normal(scale=2, size=shape)

    def oracle(a, b):
        e = b - a
        return ((2 * torch.atan(e ** 2 + 0.5463) - 1) ** 2).sum() / 5

    value, grad = autograd(oracle, pred, target)
    check_loss(L.arctan_loss(pred, target), value, grad, shape)


# ---------------------------------------------------------------- l2 penalty
def test_l2_penalty_matches_autograd(L):
    rng = np.random.default_rng(50)
    params = {"W1": rng.normal(size=(4, 3)), "b1": rng.normal(size=3),
              "W2": rng.normal(size=(3, 2)), "b2": rng.normal(size=2),
              "gamma1": rng.normal(size=3)}
    lam = 0.37
    tensors = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    value = sum(lam * (v ** 2).sum() for k, v in tensors.items() if k.startswith("W"))
    value = value + 0 * sum(v.sum() for v in tensors.values())  # every key gets a gradient
    value.backward()
    penalty, grads = L.l2_penalty(params, lam)
    assert type(penalty) is float
    np.testing.assert_allclose(penalty, value.item(), rtol=1e-12)
    assert set(grads) == set(params)
    for key, tensor in tensors.items():
        assert grads[key].shape == params[key].shape
        np.testing.assert_allclose(grads[key], tensor.grad.numpy(), rtol=1e-12, atol=0)


def test_functions_do_not_modify_inputs(L):
    rng = np.random.default_rng(60)
    p = np.array([0.0, 0.3, 1.0, 0.7])
    t = np.array([1.0, 0.0, 0.0, 1.0])
    s = rng.normal(size=4)
    logits, y = rng.normal(size=(3, 4)), np.array([0, 3, 1])
    params = {"W1": rng.normal(size=(2, 2)), "b1": rng.normal(size=2)}
    copies = [a.copy() for a in (p, t, s, logits, y)]
    copied_params = {k: v.copy() for k, v in params.items()}
    L.sigmoid(s)
    L.softmax_jacobian(s)
    L.binary_cross_entropy(p, t)
    L.bce_with_logits(s, t)
    L.label_smoothing_cross_entropy(logits, y)
    L.focal_loss(p, t)
    L.dice_loss(p, t)
    L.rmse_loss(s, t)
    L.arctan_loss(s, t)
    L.l2_penalty(params, 0.1)
    for before, after in zip(copies, (p, t, s, logits, y)):
        np.testing.assert_array_equal(before, after)
    for key in params:
        np.testing.assert_array_equal(copied_params[key], params[key])
