"""Convolution, max pooling, batch normalisation and dropout in NumPy.

Layouts follow PyTorch: images are x of shape (N, C, H, W), filters w of
shape (F, C, KH, KW), biases b of shape (F,). Every forward returns
``(out, cache)``; its backward takes ``(dout, cache)`` and returns the
gradients of the forward's array inputs in order. Inputs are never modified.

The convolution is a cross-correlation, exactly as ``torch.nn.functional.conv2d``:

    out[n, f, i, j] = b[f] + sum_{c, p, q} w[f, c, p, q] * xpad[n, c, i*s + p, j*s + q]

where xpad is x with ``padding`` zeros on all four sides and s the stride.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _windows(x, kh, kw, stride):
    """All (kh, kw) windows of x (N, C, H, W) taken every ``stride`` pixels.

    Returns a read-only view of shape (N, C, OH, OW, kh, kw) with
    OH = (H - kh) // stride + 1 and OW = (W - kw) // stride + 1.
    """
    view = sliding_window_view(x, (kh, kw), axis=(2, 3))
    return view[:, :, ::stride, ::stride]


def conv2d_forward(x, w, b, stride=1, padding=0):
    """Forward pass of a 2-D convolution (cross-correlation), as F.conv2d.

    Args:
        x: (N, C, H, W) input images.
        w: (F, C, KH, KW) filters.
        b: (F,) biases.
        stride: int >= 1, the same along height and width.
        padding: int >= 0, zeros added on every side of x.

    Returns:
        out: (N, F, OH, OW) with OH = (H + 2 padding - KH) // stride + 1 and
            OW = (W + 2 padding - KW) // stride + 1.
        cache: whatever conv2d_backward needs.

    Raises:
        ValueError: if the channel counts differ or the kernel does not fit.
    """
    raise NotImplementedError("pad x, take every KH x KW window with the stride, and contract each window with every filter over (C, KH, KW)")


def conv2d_backward(dout, cache):
    """Backward pass of conv2d_forward.

    Args:
        dout: (N, F, OH, OW) upstream gradient.
        cache: from conv2d_forward.

    Returns:
        dx: (N, C, H, W), dw: (F, C, KH, KW), db: (F,).
    """
    raise NotImplementedError("db sums dout, dw correlates x windows with dout, dx scatters dout times each filter tap back onto the padded input")


def maxpool2d_forward(x, kernel=2, stride=2):
    """Forward pass of 2-D max pooling, as F.max_pool2d (no padding, floor).

    Args:
        x: (N, C, H, W) input.
        kernel: int, the side of the square pooling window.
        stride: int, the step between windows.

    Returns:
        out: (N, C, OH, OW), OH = (H - kernel) // stride + 1, same for OW.
        cache: whatever maxpool2d_backward needs.
    """
    raise NotImplementedError("take the max over every kernel x kernel window and remember where it was (the first one on ties)")


def maxpool2d_backward(dout, cache):
    """Backward pass of maxpool2d_forward.

    Each output's gradient goes to the one input that was its maximum; with
    ties, to the first maximum of the window in row-major order (PyTorch's
    CPU kernel does the same). Overlapping windows add up.

    Args:
        dout: (N, C, OH, OW) upstream gradient.
        cache: from maxpool2d_forward.

    Returns:
        dx: (N, C, H, W).
    """
    raise NotImplementedError("route each dout entry to the position of its window maximum, adding where windows overlap")


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    """Batch normalisation in training mode, as F.batch_norm(training=True).

    Each feature is normalised with the mean and the BIASED variance (divide
    by N) of the batch, then scaled and shifted:
    out = gamma * (x - mean) / sqrt(var + eps) + beta.

    Args:
        x: (N, D) inputs.
        gamma: (D,) scales.
        beta: (D,) shifts.
        eps: float added to the variance.

    Returns:
        out: (N, D).
        cache: whatever batchnorm_backward needs.
    """
    raise NotImplementedError("normalise each column with its batch mean and biased variance (divide by N), then scale by gamma and shift by beta")


def batchnorm_backward(dout, cache):
    """Backward pass of batchnorm_forward.

    Args:
        dout: (N, D) upstream gradient.
        cache: from batchnorm_forward.

    Returns:
        dx: (N, D), dgamma: (D,), dbeta: (D,).
    """
    raise NotImplementedError("remember that the batch mean and variance depend on every row of x")


def dropout_forward(x, p, train=True, seed=0):
    """Inverted dropout.

    In training, every element is dropped (set to 0) with probability p and
    the kept ones are scaled by 1 / (1 - p), so the expected output equals x
    and nothing needs rescaling at test time. The mask is
    ``np.random.default_rng(seed).random(x.shape) >= p``. With
    ``train=False`` the layer is the identity.

    Args:
        x: array of any shape.
        p: float in [0, 1], the probability of DROPPING an element
            (p = 1 drops everything and gives zeros, as PyTorch).
        train: bool.
        seed: int for np.random.default_rng.

    Returns:
        out: same shape as x.
        cache: whatever dropout_backward needs.
    """
    raise NotImplementedError("keep where rng.random(x.shape) >= p and scale the kept values by 1 / (1 - p); return a copy of x when not training")


def dropout_backward(dout, cache):
    """Backward pass of dropout_forward.

    Args:
        dout: upstream gradient, the shape of x.
        cache: from dropout_forward.

    Returns:
        dx: the shape of dout.
    """
    raise NotImplementedError("the gradient flows only through the kept elements, with the same scale as the forward")
