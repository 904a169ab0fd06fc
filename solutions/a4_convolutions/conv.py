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
    ### BEGIN SOLUTION hint: pad x, take every KH x KW window with the stride, and contract each window with every filter over (C, KH, KW)
    n, c, h, width = x.shape
    f, cw, kh, kw = w.shape
    if c != cw:
        raise ValueError(f"x has {c} channels but the filters expect {cw}")
    if h + 2 * padding < kh or width + 2 * padding < kw:
        raise ValueError(f"a {kh}x{kw} kernel does not fit a padded {h}x{width} input")
    xpad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = _windows(xpad, kh, kw, stride)                 # (N, C, OH, OW, KH, KW)
    _, _, oh, ow, _, _ = windows.shape
    # im2col: one column per output pixel, one row per filter tap (c, p, q).
    cols = windows.transpose(1, 4, 5, 0, 2, 3).reshape(c * kh * kw, n * oh * ow)
    out = (w.reshape(f, -1) @ cols).reshape(f, n, oh, ow)
    out = out.transpose(1, 0, 2, 3) + b[None, :, None, None]
    cache = (cols, w, stride, padding, x.shape)
    return out, cache
    ### END SOLUTION


def conv2d_backward(dout, cache):
    """Backward pass of conv2d_forward.

    Args:
        dout: (N, F, OH, OW) upstream gradient.
        cache: from conv2d_forward.

    Returns:
        dx: (N, C, H, W), dw: (F, C, KH, KW), db: (F,).
    """
    ### BEGIN SOLUTION hint: db sums dout, dw correlates x windows with dout, dx scatters dout times each filter tap back onto the padded input
    cols, w, stride, padding, (n, c, h, width) = cache
    f, _, kh, kw = w.shape
    _, _, oh, ow = dout.shape
    dout_cols = dout.transpose(1, 0, 2, 3).reshape(f, n * oh * ow)
    db = dout_cols.sum(axis=1)
    dw = (dout_cols @ cols.T).reshape(w.shape)
    dcols = (w.reshape(f, -1).T @ dout_cols).reshape(c, kh, kw, n, oh, ow)
    # col2im: add each tap's gradient back where that tap read the padded input.
    dxpad = np.zeros((c, n, h + 2 * padding, width + 2 * padding))
    for p in range(kh):
        for q in range(kw):
            dxpad[:, :, p:p + stride * oh:stride, q:q + stride * ow:stride] += dcols[:, p, q]
    dx = dxpad[:, :, padding:padding + h, padding:padding + width].transpose(1, 0, 2, 3)
    return np.ascontiguousarray(dx), dw, db
    ### END SOLUTION


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
    ### BEGIN SOLUTION hint: take the max over every kernel x kernel window and remember where it was (the first one on ties)
    if x.shape[2] < kernel or x.shape[3] < kernel:
        raise ValueError(f"a {kernel}x{kernel} window does not fit a {x.shape[2]}x{x.shape[3]} input")
    cols = _windows(x, kernel, kernel, stride)               # (N, C, OH, OW, K, K)
    flat = cols.reshape(cols.shape[:4] + (kernel * kernel,))
    argmax = flat.argmax(axis=-1)                            # first maximum, row-major
    out = np.take_along_axis(flat, argmax[..., None], axis=-1)[..., 0]
    cache = (argmax, x.shape, kernel, stride)
    return out, cache
    ### END SOLUTION


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
    ### BEGIN SOLUTION hint: route each dout entry to the position of its window maximum, adding where windows overlap
    argmax, x_shape, kernel, stride = cache
    _, _, oh, ow = dout.shape
    dx = np.zeros(x_shape)
    for p in range(kernel):
        for q in range(kernel):
            routed = np.where(argmax == p * kernel + q, dout, 0.0)
            dx[:, :, p:p + stride * oh:stride, q:q + stride * ow:stride] += routed
    return dx
    ### END SOLUTION


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
    ### BEGIN SOLUTION hint: normalise each column with its batch mean and biased variance (divide by N), then scale by gamma and shift by beta
    mean = x.mean(axis=0)
    centred = x - mean
    var = (centred ** 2).mean(axis=0)
    inv_std = 1.0 / np.sqrt(var + eps)
    xhat = centred * inv_std
    out = gamma * xhat + beta
    cache = (xhat, gamma, inv_std)
    return out, cache
    ### END SOLUTION


def batchnorm_backward(dout, cache):
    """Backward pass of batchnorm_forward.

    Args:
        dout: (N, D) upstream gradient.
        cache: from batchnorm_forward.

    Returns:
        dx: (N, D), dgamma: (D,), dbeta: (D,).
    """
    ### BEGIN SOLUTION hint: remember that the batch mean and variance depend on every row of x
    xhat, gamma, inv_std = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dxhat = dout * gamma
    dx = inv_std * (dxhat - dxhat.mean(axis=0) - xhat * (dxhat * xhat).mean(axis=0))
    return dx, dgamma, dbeta
    ### END SOLUTION


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
    ### BEGIN SOLUTION hint: keep where rng.random(x.shape) >= p and scale the kept values by 1 / (1 - p); return a copy of x when not training
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"the drop probability p must lie in [0, 1], got {p}")
    if not train:
        return x.copy(), (None, 1.0)
    rng = np.random.default_rng(seed)
    mask = rng.random(x.shape) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    out = np.where(mask, x * scale, 0.0)
    return out, (mask, scale)
    ### END SOLUTION


def dropout_backward(dout, cache):
    """Backward pass of dropout_forward.

    Args:
        dout: upstream gradient, the shape of x.
        cache: from dropout_forward.

    Returns:
        dx: the shape of dout.
    """
    ### BEGIN SOLUTION hint: the gradient flows only through the kept elements, with the same scale as the forward
    mask, scale = cache
    if mask is None:
        return dout.copy()
    return np.where(mask, dout * scale, 0.0)
    ### END SOLUTION
