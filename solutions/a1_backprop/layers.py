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
    ### BEGIN SOLUTION hint: compute x @ W + b and keep (x, W) as the cache
    out = x @ W + b
    cache = (x, W)
    ### END SOLUTION
    return out, cache


def linear_backward(dout, cache):
    """Gradients of the affine layer.

    dout: (N, M) upstream gradient dL/dout; cache: from linear_forward.
    Returns dx (N, D), dW (D, M), db (M,).
    """
    x, W = cache
    ### BEGIN SOLUTION hint: dx = dout @ W.T, dW = x.T @ dout, and db sums dout over the batch
    dx = dout @ W.T
    dW = x.T @ dout
    db = dout.sum(axis=0)
    ### END SOLUTION
    return dx, dW, db


def relu_forward(x):
    """Rectified linear unit, elementwise: out = max(x, 0).

    x: any shape. Returns out (same shape) and the cache x.
    """
    ### BEGIN SOLUTION hint: np.maximum(x, 0) without touching x itself
    out = np.maximum(x, 0.0)
    ### END SOLUTION
    return out, x


def relu_backward(dout, cache):
    """Gradient of ReLU: dout where x > 0, else 0 (also 0 at x == 0).

    dout: upstream gradient, the shape of x. Returns dx, the shape of x.
    """
    x = cache
    ### BEGIN SOLUTION hint: pass dout through where x > 0 and zero it elsewhere
    dx = dout * (x > 0)
    ### END SOLUTION
    return dx


def sigmoid_forward(x):
    """Logistic sigmoid 1 / (1 + exp(-x)), elementwise, without overflow for |x| <= 1000.

    x: any shape. Returns out (same shape) and the cache out.
    """
    ### BEGIN SOLUTION hint: use exp(-|x|) so that no exponent is ever large and positive
    z = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))
    ### END SOLUTION
    return out, out


def sigmoid_backward(dout, cache):
    """Gradient of the sigmoid: dout * s * (1 - s) with s the forward's output.

    dout: upstream gradient, the shape of x. Returns dx, the shape of x.
    """
    s = cache
    ### BEGIN SOLUTION hint: the derivative is s (1 - s) where s is the sigmoid's OUTPUT
    dx = dout * s * (1.0 - s)
    ### END SOLUTION
    return dx


def tanh_forward(x):
    """Hyperbolic tangent, elementwise.

    x: any shape. Returns out (same shape) and the cache out.
    """
    ### BEGIN SOLUTION hint: np.tanh, and cache the output
    out = np.tanh(x)
    ### END SOLUTION
    return out, out


def tanh_backward(dout, cache):
    """Gradient of tanh: dout * (1 - tanh(x)**2).

    dout: upstream gradient, the shape of x. Returns dx, the shape of x.
    """
    t = cache
    ### BEGIN SOLUTION hint: the derivative of tanh is 1 - tanh**2
    dx = dout * (1.0 - t * t)
    ### END SOLUTION
    return dx


def softmax(logits):
    """Row-wise softmax, finite for |logits| <= 1e4.

    logits: (N, C). Returns probabilities (N, C); each row sums to 1.
    """
    ### BEGIN SOLUTION hint: subtract each row's maximum before exponentiating
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    probs = e / e.sum(axis=1, keepdims=True)
    ### END SOLUTION
    return probs


def softmax_cross_entropy(logits, y):
    """Mean softmax cross-entropy and its gradient.

    logits: (N, C) scores; y: (N,) int labels in [0, C).
    Returns loss = mean_i -log softmax(logits)[i, y_i] (a float) and
    dlogits (N, C) = (softmax(logits) - onehot(y)) / N.
    """
    ### BEGIN SOLUTION hint: use log-sum-exp for the loss; the gradient is (p - onehot(y)) / N
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = float(-log_probs[np.arange(n), y].mean())
    dlogits = np.exp(log_probs)
    dlogits[np.arange(n), y] -= 1.0
    dlogits /= n
    ### END SOLUTION
    return loss, dlogits


def mse_loss(pred, target):
    """Mean squared error over all elements and its gradient.

    pred, target: arrays of the same shape. Returns loss = mean((pred - target)**2)
    (a float) and dpred = 2 (pred - target) / pred.size.
    """
    ### BEGIN SOLUTION hint: the mean runs over every element, so divide the gradient by pred.size
    diff = pred - target
    loss = float(np.mean(diff * diff))
    dpred = 2.0 * diff / diff.size
    ### END SOLUTION
    return loss, dpred


def weighted_square_sum(w, x):
    """y = sum_i w_i * x_i**2.

    w, x: (N,). Returns y, a float.
    """
    ### BEGIN SOLUTION hint: sum of w * x**2, returned as a Python float
    y = float(np.sum(w * x * x))
    ### END SOLUTION
    return y


def weighted_square_sum_backward(dy, w, x):
    """Gradients of y = sum_i w_i x_i**2 given the scalar dE/dy.

    dy: float; w, x: (N,). Returns dw = dy * x**2 and dx = dy * 2 w x, both (N,).
    """
    ### BEGIN SOLUTION hint: dy/dw_i = x_i**2 and dy/dx_i = 2 w_i x_i, each times dy
    dw = dy * x * x
    dx = dy * 2.0 * w * x
    ### END SOLUTION
    return dw, dx
