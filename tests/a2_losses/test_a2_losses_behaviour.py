"""a2_losses: properties that matter beyond matching values on tame inputs."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F


@pytest.fixture(scope="module")
def L(a2):
    return a2["losses"]


def test_sigmoid_finite_and_exact_at_1000(L):
    x = np.array([-1000.0, -745.0, -40.0, 0.0, 40.0, 745.0, 1000.0])
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # no overflow warnings either
        out = L.sigmoid(x)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, torch.sigmoid(torch.tensor(x)).numpy(), rtol=1e-14, atol=1e-300)
    assert out[0] == 0.0 and out[-1] == 1.0 and out[3] == 0.5


@pytest.mark.parametrize("s,t", [(1000.0, 0.0), (1000.0, 1.0), (-1000.0, 0.0), (-1000.0, 1.0),
                                 (700.0, 0.3), (-800.0, 0.6)])
def test_bce_with_logits_finite_and_exact_at_extremes(L, s, t):
    sa, ta = np.array([s, 0.5]), np.array([t, 1.0])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        loss, ds = L.bce_with_logits(sa, ta)
    st = torch.tensor(sa, requires_grad=True)
    expected = F.binary_cross_entropy_with_logits(st, torch.tensor(ta))
    expected.backward()
    assert np.isfinite(loss) and np.all(np.isfinite(ds))
    np.testing.assert_allclose(loss, expected.item(), rtol=1e-14)
    np.testing.assert_allclose(ds, st.grad.numpy(), rtol=1e-14, atol=0)


def test_bce_with_logits_is_not_clipped(L):
    # a clipped implementation gives about 27.6 / 2 here instead of 1000 / 2
    loss, _ = L.bce_with_logits(np.array([-1000.0, 1000.0]), np.array([1.0, 0.0]))
    assert loss == 1000.0


def test_bce_finite_at_zero_and_one(L):
    p, t = np.array([0.0, 1.0, 0.0, 1.0]), np.array([1.0, 0.0, 0.0, 1.0])
    loss, dp = L.binary_cross_entropy(p, t)
    assert np.isfinite(loss) and np.all(np.isfinite(dp))
    # p = 0 is clipped up to 1e-12 and p = 1 down to 1 - 1e-12 (whose distance to 1
    # is not exactly 1e-12 in float64); the two correct answers cost almost nothing
    expected = -(np.log(1e-12) + np.log(1.0 - (1.0 - 1e-12))) / 4
    np.testing.assert_allclose(loss, expected, rtol=1e-9)
    assert np.all(dp == 0.0)


def test_rmse_gradient_finite_at_zero_error(L):
    x = np.random.default_rng(0).normal(size=(3, 4))
    loss, dpred = L.rmse_loss(x, x.copy())
    assert np.isfinite(loss) and np.all(np.isfinite(dpred))
    np.testing.assert_allclose(loss, np.sqrt(1e-8), rtol=1e-12)
    assert np.all(dpred == 0.0)
    # torch autograd agrees (sqrt's derivative at eps, times 0)
    a = torch.tensor(x, requires_grad=True)
    torch.sqrt(((a - torch.tensor(x)) ** 2).mean() + 1e-8).backward()
    np.testing.assert_array_equal(dpred, a.grad.numpy())


@pytest.mark.parametrize("seed", range(3))
def test_focal_gamma_zero_equals_bce(L, seed):
    rng = np.random.default_rng(seed)
    p = rng.uniform(size=(5, 3))
    p[0, 0], p[1, 1] = 0.0, 1.0  # also outside the clip
    t = rng.uniform(size=(5, 3))
    fl, fdp = L.focal_loss(p, t, gamma=0.0)
    bl, bdp = L.binary_cross_entropy(p, t)
    np.testing.assert_allclose(fl, bl, rtol=1e-12)
    np.testing.assert_allclose(fdp, bdp, rtol=1e-12, atol=0)


def test_focal_default_gamma_is_two(L):
    p, t = np.array([0.2, 0.9]), np.array([1.0, 0.0])
    expected = -np.mean([0.8 ** 2 * np.log(0.2), 0.9 ** 2 * np.log(0.1)])
    np.testing.assert_allclose(L.focal_loss(p, t)[0], expected, rtol=1e-12)


def test_focal_down_weights_easy_examples(L):
    # an easy positive (p = 0.95) loses far more of its loss than a hard one (p = 0.1)
    t = np.array([1.0])
    ratio_easy = L.focal_loss(np.array([0.95]), t)[0] / L.binary_cross_entropy(np.array([0.95]), t)[0]
    ratio_hard = L.focal_loss(np.array([0.1]), t)[0] / L.binary_cross_entropy(np.array([0.1]), t)[0]
    np.testing.assert_allclose(ratio_easy, 0.05 ** 2, rtol=1e-12)
    np.testing.assert_allclose(ratio_hard, 0.9 ** 2, rtol=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_label_smoothing_zero_equals_softmax_cross_entropy(L, seed):
    rng = np.random.default_rng(seed)
    logits, y = rng.normal(scale=5, size=(7, 6)), rng.integers(0, 6, size=7)
    z = torch.tensor(logits, requires_grad=True)
    expected = F.cross_entropy(z, torch.tensor(y))
    expected.backward()
    loss, dlogits = L.label_smoothing_cross_entropy(logits, y, smoothing=0.0)
    np.testing.assert_allclose(loss, expected.item(), rtol=1e-12)
    np.testing.assert_allclose(dlogits, z.grad.numpy(), rtol=1e-10, atol=1e-15)
    # softmax plus cross-entropy: the gradient is (p - onehot) / N
    onehot = np.eye(6)[y]
    np.testing.assert_allclose(dlogits, (torch.softmax(z, 1).detach().numpy() - onehot) / 7,
                               rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("c", [2, 4, 9])
def test_softmax_jacobian_rows_sum_to_zero_and_symmetric(L, c):
    z = np.random.default_rng(c).normal(scale=10, size=c)
    J = L.softmax_jacobian(z)
    np.testing.assert_allclose(J.sum(axis=1), 0.0, atol=1e-15)
    np.testing.assert_allclose(J, J.T, atol=0)


def test_softmax_jacobian_large_logits_finite(L):
    J = L.softmax_jacobian(np.array([1e4, -1e4, 1e4 - 1.0]))
    assert np.all(np.isfinite(J))
    expected = torch.autograd.functional.jacobian(
        lambda v: torch.softmax(v, 0), torch.tensor([1e4, -1e4, 1e4 - 1.0], dtype=torch.float64)).numpy()
    np.testing.assert_allclose(J, expected, rtol=1e-12, atol=1e-300)


def test_arctan_loss_is_a_sum_not_a_mean(L):
    rng = np.random.default_rng(1)
    pred, target = rng.normal(size=10), rng.normal(size=10)
    loss, dpred = L.arctan_loss(pred, target)
    doubled, ddoubled = L.arctan_loss(np.concatenate([pred, pred]), np.concatenate([target, target]))
    np.testing.assert_allclose(doubled, 2 * loss, rtol=1e-12)
    np.testing.assert_allclose(ddoubled[:10], dpred, rtol=1e-12)


def test_dice_eps_keeps_empty_masks_defined(L):
    loss, dp = L.dice_loss(np.zeros(5), np.zeros(5), eps=1.0)
    assert loss == 0.0 and np.all(np.isfinite(dp))
    perfect, _ = L.dice_loss(np.ones(5), np.ones(5), eps=1e-9)
    np.testing.assert_allclose(perfect, 0.0, atol=1e-12)


def test_l2_penalty_grads_have_all_keys(L):
    params = {"W1": np.ones((2, 3)), "b1": np.ones(3), "W2": np.full((3, 1), 2.0),
              "b2": np.ones(1), "running_mean": np.ones(3)}
    penalty, grads = L.l2_penalty(params, 0.5)
    assert penalty == 0.5 * (6 * 1.0 + 3 * 4.0)
    assert list(grads) == list(params) or set(grads) == set(params)
    for key in ("b1", "b2", "running_mean"):
        assert grads[key].shape == params[key].shape and np.all(grads[key] == 0.0)
    np.testing.assert_array_equal(grads["W2"], np.full((3, 1), 2.0))
