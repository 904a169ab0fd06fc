"""A student's straightforward loop implementation of conv.py's convolution and pooling.

It is the slowest correct submission the grader has to accept: six nested
Python loops per convolution. test_a4_conv_vs_torch.py checks that it agrees
with the reference and that it runs fast enough at the grader's input sizes.
"""

import numpy as np


def conv2d_forward(x, w, b, stride=1, padding=0):
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    OH = (H + 2 * padding - KH) // stride + 1
    OW = (W + 2 * padding - KW) // stride + 1
    out = np.zeros((N, F, OH, OW))
    for n in range(N):
        for f in range(F):
            for i in range(OH):
                for j in range(OW):
                    total = b[f]
                    for c in range(C):
                        for p in range(KH):
                            for q in range(KW):
                                total += w[f, c, p, q] * xp[n, c, i * stride + p, j * stride + q]
                    out[n, f, i, j] = total
    return out, (x, w, b, stride, padding)


def conv2d_backward(dout, cache):
    x, w, b, stride, padding = cache
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    _, _, OH, OW = dout.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    db = np.zeros_like(b)
    for n in range(N):
        for f in range(F):
            for i in range(OH):
                for j in range(OW):
                    g = dout[n, f, i, j]
                    db[f] += g
                    for c in range(C):
                        for p in range(KH):
                            for q in range(KW):
                                dw[f, c, p, q] += g * xp[n, c, i * stride + p, j * stride + q]
                                dxp[n, c, i * stride + p, j * stride + q] += g * w[f, c, p, q]
    return dxp[:, :, padding:padding + H, padding:padding + W], dw, db


def maxpool2d_forward(x, kernel=2, stride=2):
    N, C, H, W = x.shape
    OH = (H - kernel) // stride + 1
    OW = (W - kernel) // stride + 1
    out = np.zeros((N, C, OH, OW))
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    out[n, c, i, j] = x[n, c, i * stride:i * stride + kernel,
                                        j * stride:j * stride + kernel].max()
    return out, (x, kernel, stride)


def maxpool2d_backward(dout, cache):
    x, kernel, stride = cache
    N, C, OH, OW = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    window = x[n, c, i * stride:i * stride + kernel, j * stride:j * stride + kernel]
                    p, q = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, i * stride + p, j * stride + q] += dout[n, c, i, j]
    return dx
