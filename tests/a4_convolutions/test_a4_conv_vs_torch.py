"""conv.py against torch.nn.functional in float64, with autograd for every backward."""

import importlib.util
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from autograder.rubrics import a4_convolutions as rubric

HERE = Path(__file__).resolve().parent

# The input sizes the rubric grades with: a six-nested-loop Python convolution
# must stay well under 2 s a call on them.
GRADER_CONV_CASES = [rubric.CONV_BASIC, rubric.CONV_STRIDED, rubric.CONV_WIDE]
GRADER_POOL_CASES = [rubric.POOL_BASIC, rubric.POOL_OVERLAPPING, ((2, 3, 6, 6), 2, 2)]  # last: ties


def _t(array, grad=False):
    return torch.tensor(array, dtype=torch.float64, requires_grad=grad)


def _torch_grads(out, inputs, dout):
    return [g.numpy() for g in torch.autograd.grad(out, inputs, _t(dout))]


def _load_naive():
    spec = importlib.util.spec_from_file_location("a4_naive_conv", HERE / "naive_conv.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CONV_CASES = GRADER_CONV_CASES + [
    ((3, 4, 11, 13), (5, 4, 3, 3), 1, 0),
    ((2, 3, 10, 10), (6, 3, 1, 1), 1, 0),
    ((2, 1, 12, 9), (2, 1, 4, 2), 3, 2),
    ((1, 2, 5, 5), (3, 2, 5, 5), 1, 0),      # the kernel covers the whole image
    ((2, 3, 6, 6), (2, 3, 3, 3), 2, 3),      # more padding than the kernel needs
    ((4, 3, 16, 16), (8, 3, 5, 5), 2, 2),
]


@pytest.mark.parametrize("x_shape,w_shape,stride,padding", CONV_CASES)
def test_conv2d_matches_torch(a4, x_shape, w_shape, stride, padding):
    rng = np.random.default_rng(sum(x_shape) + 7 * stride + padding)
    x = rng.standard_normal(x_shape)
    w = rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[0])
    copies = [a.copy() for a in (x, w, b)]
    out, cache = a4.conv.conv2d_forward(x, w, b, stride=stride, padding=padding)
    xt, wt, bt = _t(x, True), _t(w, True), _t(b, True)
    expected = F.conv2d(xt, wt, bt, stride=stride, padding=padding)
    assert out.dtype == np.float64 and out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out, expected.detach().numpy(), rtol=1e-10, atol=1e-10)
    dout = rng.standard_normal(out.shape)
    dout_copy = dout.copy()
    grads = a4.conv.conv2d_backward(dout, cache)
    for got, want in zip(grads, _torch_grads(expected, (xt, wt, bt), dout)):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    for before, after in zip(copies + [dout_copy], (x, w, b, dout)):
        np.testing.assert_array_equal(before, after)


def test_conv2d_is_cross_correlation_not_convolution(a4):
    # One tap set at the top-left of the kernel picks the top-left of each window.
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    w = np.zeros((1, 1, 3, 3))
    w[0, 0, 0, 0] = 1.0
    out, _ = a4.conv.conv2d_forward(x, w, np.zeros(1))
    np.testing.assert_array_equal(out[0, 0], x[0, 0, :2, :2])


def test_conv2d_rejects_mismatched_channels(a4):
    with pytest.raises(ValueError):
        a4.conv.conv2d_forward(np.zeros((1, 3, 5, 5)), np.zeros((2, 4, 3, 3)), np.zeros(2))


POOL_CASES = GRADER_POOL_CASES + [((3, 4, 12, 12), 2, 2), ((2, 2, 11, 10), 3, 3), ((1, 2, 9, 9), 4, 2)]


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("x_shape,kernel,stride", POOL_CASES)
def test_maxpool_matches_torch(a4, x_shape, kernel, stride, ties):
    rng = np.random.default_rng(sum(x_shape) + kernel + 10 * stride + ties)
    # With ties, small integers make most windows hold several equal maxima.
    x = rng.integers(0, 3, x_shape).astype(np.float64) if ties else rng.standard_normal(x_shape)
    x_copy = x.copy()
    out, cache = a4.conv.maxpool2d_forward(x, kernel=kernel, stride=stride)
    xt = _t(x, True)
    expected = F.max_pool2d(xt, kernel, stride)
    np.testing.assert_array_equal(out, expected.detach().numpy())
    dout = rng.standard_normal(out.shape)
    dx = a4.conv.maxpool2d_backward(dout, cache)
    [want] = _torch_grads(expected, (xt,), dout)
    np.testing.assert_allclose(dx, want, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(x, x_copy)


def test_maxpool_tie_goes_to_first_maximum(a4):
    x = np.ones((1, 1, 2, 2))
    out, cache = a4.conv.maxpool2d_forward(x)
    dx = a4.conv.maxpool2d_backward(np.array([[[[5.0]]]]), cache)
    np.testing.assert_array_equal(dx[0, 0], [[5.0, 0.0], [0.0, 0.0]])


@pytest.mark.parametrize("n,d,eps", [(8, 5, 1e-5), (2, 3, 1e-5), (32, 10, 1e-3), (5, 1, 0.1)])
def test_batchnorm_matches_torch(a4, n, d, eps):
    rng = np.random.default_rng(n * d)
    x = 3.0 + 2.0 * rng.standard_normal((n, d))
    gamma = rng.standard_normal(d)
    beta = rng.standard_normal(d)
    copies = [a.copy() for a in (x, gamma, beta)]
    out, cache = a4.conv.batchnorm_forward(x, gamma, beta, eps=eps)
    xt, gt, bt = _t(x, True), _t(gamma, True), _t(beta, True)
    expected = F.batch_norm(xt, None, None, gt, bt, training=True, eps=eps)
    np.testing.assert_allclose(out, expected.detach().numpy(), rtol=1e-10, atol=1e-10)
    dout = rng.standard_normal((n, d))
    grads = a4.conv.batchnorm_backward(dout, cache)
    for got, want in zip(grads, _torch_grads(expected, (xt, gt, bt), dout)):
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10)
    for before, after in zip(copies, (x, gamma, beta)):
        np.testing.assert_array_equal(before, after)


def test_batchnorm_default_eps_is_torchs(a4):
    rng = np.random.default_rng(1)
    x = 1e-3 * rng.standard_normal((4, 3))   # variance close to eps, so eps matters
    out, _ = a4.conv.batchnorm_forward(x, np.ones(3), np.zeros(3))
    expected = F.batch_norm(_t(x), None, None, training=True)
    np.testing.assert_allclose(out, expected.numpy(), rtol=1e-10)


@pytest.mark.parametrize("p", [0.0, 0.1, 0.5, 0.8])
def test_dropout_mask_statistics_and_scaling(a4, p):
    x = np.random.default_rng(5).standard_normal((200, 500)) + 3.0
    x_copy = x.copy()
    out, cache = a4.conv.dropout_forward(x, p, train=True, seed=11)
    np.testing.assert_array_equal(x, x_copy)
    kept = out != 0
    # The mask is the one SPEC.md fixes, and about 1 - p of the elements survive.
    np.testing.assert_array_equal(kept, np.random.default_rng(11).random(x.shape) >= p)
    assert abs(kept.mean() - (1 - p)) < 4 * np.sqrt(p * (1 - p) / x.size) + 1e-12
    # Kept values are scaled by 1 / (1 - p), so the expectation is unchanged.
    np.testing.assert_allclose(out[kept], x[kept] / (1 - p), rtol=1e-12)
    assert abs(out.mean() / x.mean() - 1) < 0.02
    dout = np.random.default_rng(6).standard_normal(x.shape)
    dx = a4.conv.dropout_backward(dout, cache)
    np.testing.assert_allclose(dx, np.where(kept, dout / (1 - p), 0.0), rtol=1e-12)
    # dropout is linear in x for a fixed mask: the backward is its adjoint.
    assert np.isclose(np.sum(dout * out), np.sum(dx * x), rtol=1e-10)


def test_dropout_scaling_agrees_with_torch_in_expectation(a4):
    # torch's dropout uses its own random numbers, so only the law can be compared.
    x = np.full((400, 400), 2.0)
    p = 0.3
    ours, _ = a4.conv.dropout_forward(x, p, seed=3)
    theirs = F.dropout(_t(x), p=p, training=True).numpy()
    assert set(np.unique(ours)) == set(np.unique(theirs)) == {0.0, 2.0 / 0.7}
    assert abs((ours == 0).mean() - (theirs == 0).mean()) < 0.01


def test_dropout_seed_controls_the_mask(a4):
    x = np.ones((50, 50))
    a, _ = a4.conv.dropout_forward(x, 0.5, seed=1)
    b, _ = a4.conv.dropout_forward(x, 0.5, seed=1)
    c, _ = a4.conv.dropout_forward(x, 0.5, seed=2)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_dropout_is_identity_at_test_time(a4):
    x = np.random.default_rng(0).standard_normal((6, 7))
    out, cache = a4.conv.dropout_forward(x, 0.5, train=False, seed=4)
    np.testing.assert_array_equal(out, x)
    assert out is not x
    dout = np.random.default_rng(1).standard_normal(x.shape)
    np.testing.assert_array_equal(a4.conv.dropout_backward(dout, cache), dout)
    np.testing.assert_array_equal(out, F.dropout(_t(x), p=0.5, training=False).numpy())


def test_dropout_p_one_drops_everything(a4):
    out, cache = a4.conv.dropout_forward(np.ones((3, 3)), 1.0)
    np.testing.assert_array_equal(out, np.zeros((3, 3)))
    np.testing.assert_array_equal(a4.conv.dropout_backward(np.ones((3, 3)), cache), np.zeros((3, 3)))


# ------------------------------------------- a naive student submission passes

@pytest.mark.parametrize("x_shape,w_shape,stride,padding", GRADER_CONV_CASES)
def test_naive_loop_conv_agrees_and_is_fast_enough(a4, x_shape, w_shape, stride, padding):
    naive = _load_naive()
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    start = time.perf_counter()
    out, cache = naive.conv2d_forward(x, w, b, stride, padding)
    forward_s = time.perf_counter() - start
    dout = rng.standard_normal(out.shape)
    start = time.perf_counter()
    grads = naive.conv2d_backward(dout, cache)
    backward_s = time.perf_counter() - start
    ref_out, ref_cache = a4.conv.conv2d_forward(x, w, b, stride, padding)
    np.testing.assert_allclose(out, ref_out, rtol=1e-10, atol=1e-10)
    for got, want in zip(grads, a4.conv.conv2d_backward(dout, ref_cache)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    assert forward_s < 2.0 and backward_s < 2.0, (forward_s, backward_s)


@pytest.mark.parametrize("x_shape,kernel,stride", GRADER_POOL_CASES)
def test_naive_loop_maxpool_agrees(a4, x_shape, kernel, stride):
    naive = _load_naive()
    x = np.random.default_rng(4).integers(0, 3, x_shape).astype(np.float64)
    out, cache = naive.maxpool2d_forward(x, kernel, stride)
    ref_out, ref_cache = a4.conv.maxpool2d_forward(x, kernel, stride)
    np.testing.assert_array_equal(out, ref_out)
    dout = np.random.default_rng(5).standard_normal(out.shape)
    np.testing.assert_allclose(naive.maxpool2d_backward(dout, cache),
                               a4.conv.maxpool2d_backward(dout, ref_cache), rtol=1e-12)
