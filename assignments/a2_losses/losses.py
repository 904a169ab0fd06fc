"""Loss functions and their gradients, written by hand in NumPy.

Every loss returns ``(loss, grad)``: ``loss`` is a Python float and ``grad`` is
the gradient of the loss with respect to the FIRST argument, with the same
shape as that argument. All arrays are float64 and no input is modified in
place. "mean" means the mean over all elements.
"""

import numpy as np

# Probabilities are clipped to [CLIP_LOW, CLIP_HIGH] before any logarithm.
CLIP_LOW = 1e-12
CLIP_HIGH = 1.0 - 1e-12


def _as_float(x):
    """Return ``x`` as a float64 ndarray (a copy only when needed)."""
    return np.asarray(x, dtype=np.float64)


def _clip_with_mask(p):
    """Clip probabilities and report where the clip lets gradient through.

    Inputs:
    - p: array of any shape, probabilities.

    Returns a tuple of:
    - pc: array of p's shape, p clipped to [CLIP_LOW, CLIP_HIGH].
    - inside: bool array of p's shape, True where CLIP_LOW < p < CLIP_HIGH.
      This is the derivative of the clip as autograd through
      ``torch.clamp(p, CLIP_LOW, CLIP_HIGH)`` gives it: 1 strictly inside the
      interval, 0 outside it and on its two end points.
    """
    pc = np.clip(p, CLIP_LOW, CLIP_HIGH)
    inside = (p > CLIP_LOW) & (p < CLIP_HIGH)
    return pc, inside


def sigmoid(x):
    """Elementwise logistic function 1 / (1 + exp(-x)), stable for |x| <= 1000.

    exp is only ever evaluated at -|x| <= 0, so it never overflows; for very
    negative x the result underflows gracefully towards 0 instead of becoming
    0 / inf or inf / inf.

    Inputs:
    - x: array of any shape.

    Returns:
    - array of x's shape with values in [0, 1].
    """
    x = _as_float(x)
    raise NotImplementedError("use e = exp(-|x|); the result is 1/(1+e) where x >= 0 and e/(1+e) elsewhere")


def softmax_jacobian(z):
    """Jacobian of the softmax of one vector of logits.

    Inputs:
    - z: array of shape (C,), logits.

    Returns:
    - J: array of shape (C, C) with J[i, j] = d softmax(z)_i / d z_j
      = p_i (delta_ij - p_j), where p = softmax(z). Every row sums to 0,
      because the probabilities always sum to 1.
    """
    z = _as_float(z)
    raise NotImplementedError("with p = softmax(z) (shift by max(z) first), J = diag(p) - outer(p, p)")


def binary_cross_entropy(p, t):
    """Binary cross-entropy of probabilities.

    loss = mean of -[t log p + (1 - t) log(1 - p)], with p first clipped to
    [1e-12, 1 - 1e-12] so that the logarithms stay finite.

    Inputs:
    - p: array of any shape, predicted probabilities.
    - t: array of p's shape, targets in [0, 1].

    Returns a tuple of:
    - loss: Python float.
    - dp: array of p's shape, the derivative of loss with respect to p through
      the clip: 0 where p is not strictly inside the clip interval (as autograd
      through torch.clamp(p, 1e-12, 1 - 1e-12) gives).
    """
    p = _as_float(p)
    t = _as_float(t)
    raise NotImplementedError("clip p, take the mean of -(t log p + (1-t) log(1-p)); dp = (-t/p + (1-t)/(1-p)) / p.size, zero outside the clip")


def bce_with_logits(s, t):
    """Binary cross-entropy of logits, p = sigmoid(s), without clipping.

    Per element, -[t log sigmoid(s) + (1 - t) log(1 - sigmoid(s))]
    = max(s, 0) - t s + log(1 + exp(-|s|)), which is finite and exact for
    |s| <= 1000 (no logarithm of a rounded probability is ever taken).

    Inputs:
    - s: array of any shape, logits.
    - t: array of s's shape, targets in [0, 1].

    Returns a tuple of:
    - loss: Python float, the mean over all elements.
    - ds: array of s's shape, (sigmoid(s) - t) / s.size.
    """
    s = _as_float(s)
    t = _as_float(t)
    raise NotImplementedError("per element max(s,0) - t*s + log1p(exp(-|s|)); ds = (sigmoid(s) - t) / s.size")


def label_smoothing_cross_entropy(logits, y, smoothing=0.1):
    """Softmax cross-entropy against a label-smoothed target.

    The target row puts 1 - smoothing on the true class and
    smoothing / (C - 1) on each of the other C - 1 classes;
    loss = mean over the N rows of -sum_c target_c log softmax(logits)_c.
    With smoothing = 0 this is ordinary softmax cross-entropy. (PyTorch's
    ``label_smoothing=eps`` spreads eps / C over ALL classes instead; the two
    coincide when eps = smoothing * C / (C - 1).)

    Inputs:
    - logits: array of shape (N, C), C >= 2.
    - y: int array of shape (N,), labels in [0, C).
    - smoothing: float in [0, 1].

    Returns a tuple of:
    - loss: Python float.
    - dlogits: array of shape (N, C), (softmax(logits) - target) / N.
    """
    logits = _as_float(logits)
    y = np.asarray(y)
    n, c = logits.shape
    if c < 2:
        raise ValueError("label smoothing needs at least 2 classes")
    raise NotImplementedError("build the target (1-smoothing on y, smoothing/(C-1) elsewhere); loss uses log-softmax, grad = (softmax - target) / N")


def focal_loss(p, t, gamma=2.0):
    """Focal loss of probabilities (Lin et al., 2017) without the alpha weight.

    loss = mean of -[t (1-p)^gamma log p + (1-t) p^gamma log(1-p)], with p
    clipped to [1e-12, 1 - 1e-12] as in binary_cross_entropy. The factors
    (1-p)^gamma and p^gamma shrink the loss of examples that are already
    classified well; gamma = 0 gives binary cross-entropy.

    Inputs:
    - p: array of any shape, predicted probabilities.
    - t: array of p's shape, targets in [0, 1].
    - gamma: float >= 0, the focusing parameter.

    Returns a tuple of:
    - loss: Python float.
    - dp: array of p's shape, the derivative through the clip (0 where p is
      not strictly inside the clip interval).
    """
    p = _as_float(p)
    t = _as_float(t)
    raise NotImplementedError("clip p as in BCE; differentiate both terms with the product rule, divide by p.size and zero dp outside the clip")


def dice_loss(p, t, eps=1.0):
    """Soft Dice loss, common in segmentation.

    loss = 1 - (2 sum(p t) + eps) / (sum(p) + sum(t) + eps), sums over all
    elements. eps keeps the ratio defined (and equal to 1) when p and t are
    both all zero.

    Inputs:
    - p: array of any shape, predicted probabilities.
    - t: array of p's shape, targets in [0, 1].
    - eps: float > 0, smoothing constant.

    Returns a tuple of:
    - loss: Python float.
    - dp: array of p's shape, (A - 2 t B) / B^2 with A = 2 sum(p t) + eps
      and B = sum(p) + sum(t) + eps.
    """
    p = _as_float(p)
    t = _as_float(t)
    raise NotImplementedError("with A = 2 sum(p t) + eps and B = sum(p) + sum(t) + eps, loss = 1 - A/B and dp = (A - 2 t B) / B**2")


def rmse_loss(pred, target, eps=1e-8):
    """Root mean squared error, smoothed so that its gradient exists at 0.

    loss = sqrt(mean((pred - target)**2) + eps). Without eps the derivative
    of sqrt at 0 is infinite and the gradient at pred == target is 0 / 0.

    Inputs:
    - pred: array of any shape.
    - target: array of pred's shape.
    - eps: float > 0.

    Returns a tuple of:
    - loss: Python float.
    - dpred: array of pred's shape, (pred - target) / (pred.size * loss);
      finite (zero) where pred == target.
    """
    pred = _as_float(pred)
    target = _as_float(target)
    raise NotImplementedError("loss = sqrt(mean(e**2) + eps) with e = pred - target; dpred = e / (pred.size * loss)")


def arctan_loss(pred, target):
    """A bounded, robust regression loss built from arctan.

    With e = target - pred and u = e**2 + 0.5463,
    loss = sum_i (2 arctan(u_i) - 1)**2 / 5 (a SUM over elements, not a mean).
    The constant 0.5463 ~ tan(1/2) makes each term close to 0 at e = 0.

    Inputs:
    - pred: array of any shape.
    - target: array of pred's shape.

    Returns a tuple of:
    - loss: Python float.
    - dpred: array of pred's shape,
      -(2/5) (2 arctan(u) - 1) * 2/(1 + u**2) * 2 e.
    """
    pred = _as_float(pred)
    target = _as_float(target)
    raise NotImplementedError("chain rule through a = 2 arctan(u) - 1 and u = e**2 + 0.5463 with e = target - pred (de/dpred = -1); sum, not mean")


def l2_penalty(params, lam):
    """L2 weight penalty over the weight matrices of a parameter dict.

    penalty = lam * sum of squares of every entry of every array whose key
    starts with "W" (biases and other arrays are not penalised).

    Inputs:
    - params: dict mapping names (e.g. "W1", "b1") to arrays.
    - lam: float >= 0, the regularisation strength.

    Returns a tuple of:
    - penalty: Python float.
    - grads: dict with exactly the keys of params; 2 lam W for keys starting
      with "W", an array of zeros of the same shape for every other key.
    """
    raise NotImplementedError("sum lam * sum(W**2) over keys starting with W; grads has every key, 2*lam*W or zeros")
