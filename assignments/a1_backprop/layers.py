"""Layers and losses for a fully connected network, in NumPy.

Every forward function returns ``(out, cache)``; its backward takes
``(dout, cache)`` and returns the gradients with respect to the forward's
array inputs, in the same order. Losses return ``(loss, grad)``. Arrays are
float64 and inputs are never modified in place.
"""

import numpy as np


def linear_forward(x, W, b):
    """Affine layer: out = x @ W + b.

    x: (N, D) inputs; W: (D, M) weights; b: (M,) bias.
    Returns out (N, M) and the cache (x, W) for the backward pass.
    """
    raise NotImplementedError("compute x @ W + b and keep (x, W) as the cache")
    return out, cache


def linear_backward(dout, cache):
    """Gradients of the affine layer.

    dout: (N, M) upstream gradient dL/dout; cache: from linear_forward.
    Returns dx (N, D), dW (D, M), db (M,).
    """
    x, W = cache
    raise NotImplementedError("dx = dout @ W.T, dW = x.T @ dout, and db sums dout over the batch")
    return dx, dW, db


def relu_forward(x):
    """Rectified linear unit, elementwise: out = max(x, 0).

    x: any shape. Returns out (same shape) and the cache x.
    """
    raise NotImplementedError("np.maximum(x, 0) without touching x itself")
    return out, x


def relu_backward(dout, cache):
    """Gradient of ReLU: dout where x > 0, else 0 (also 0 at x == 0).

    dout: upstream gradient, the shape of x. Returns dx, the shape of x.
    """
    x = cache
    raise NotImplementedError("pass dout through where x > 0 and zero it elsewhere")
    return dx


def sigmoid_forward(x):
    """Logistic sigmoid 1 / (1 + exp(-x)), elementwise, without overflow for |x| <= 1000.

    x: any shape. Returns out (same shape) and the cache out.
    """
    raise NotImplementedError("use exp(-|x|) so that no exponent is ever large and positive")
    return out, out


def sigmoid_backward(dout, cache):
    """Gradient of the sigmoid: dout * s * (1 - s) with s the forward's output.

    dout: upstream gradient, the shape of x. Returns dx, the shape of x.
    """
    s = cache
    raise NotImplementedError("the derivative is s (1 - s) where s is the sigmoid's OUTPUT")
    return dx


def tanh_forward(x):
    """Hyperbolic tangent, elementwise.

    x: any shape. Returns out (same shape) and the cache out.
    """
    raise NotImplementedError("np.tanh, and cache the output")
    return out, out


def tanh_backward(dout, cache):
    """Gradient of tanh: dout * (1 - tanh(x)**2).

    dout: upstream gradient, the shape of x. Returns dx, the shape of x.
    """
    t = cache
    raise NotImplementedError("the derivative of tanh is 1 - tanh**2")
    return dx


def softmax(logits):
    """Row-wise softmax, finite for |logits| <= 1e4.

    logits: (N, C). Returns probabilities (N, C); each row sums to 1.
    """
    raise NotImplementedError("subtract each row's maximum before exponentiating")
    return probs


def softmax_cross_entropy(logits, y):
    """Mean softmax cross-entropy and its gradient.

    logits: (N, C) scores; y: (N,) int labels in [0, C).
    Returns loss = mean_i -log softmax(logits)[i, y_i] (a float) and
    dlogits (N, C) = (softmax(logits) - onehot(y)) / N.
    """
    raise NotImplementedError("use log-sum-exp for the loss; the gradient is (p - onehot(y)) / N")
    return loss, dlogits


def mse_loss(pred, target):
    """Mean squared error over all elements and its gradient.

    pred, target: arrays of the same shape. Returns loss = mean((pred - target)**2)
    (a float) and dpred = 2 (pred - target) / pred.size.
    """
    raise NotImplementedError("the mean runs over every element, so divide the gradient by pred.size")
    return loss, dpred


def weighted_square_sum(w, x):
    """y = sum_i w_i * x_i**2.

    w, x: (N,). Returns y, a float.
    """
    raise NotImplementedError("sum of w * x**2, returned as a Python float")
    return y


def weighted_square_sum_backward(dy, w, x):
    """Gradients of y = sum_i w_i x_i**2 given the scalar dE/dy.

    dy: float; w, x: (N,). Returns dw = dy * x**2 and dx = dy * 2 w x, both (N,).
    """
    raise NotImplementedError("dy/dw_i = x_i**2 and dy/dx_i = 2 w_i x_i, each times dy")
    return dw, dx
