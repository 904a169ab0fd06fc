"""A fully connected network built from the layers in layers.py.

``params`` is a dict with keys "W1", "b1", ..., "WL", "bL": W_l is
(sizes[l-1], sizes[l]) and b_l is (sizes[l],). The activation follows every
layer but the last, whose outputs are the logits.
"""

import numpy as np

from layers import (linear_backward, linear_forward, relu_backward, relu_forward,
                    sigmoid_backward, sigmoid_forward, softmax_cross_entropy,
                    tanh_backward, tanh_forward)

ACTIVATIONS = {
    "relu": (relu_forward, relu_backward),
    "sigmoid": (sigmoid_forward, sigmoid_backward),
    "tanh": (tanh_forward, tanh_backward),
}


def _num_layers(params):
    return len([key for key in params if key.startswith("W")])


def init_mlp(layer_sizes, seed=0):
    """He initialisation: W_l ~ N(0, 2 / sizes[l-1]), biases zero.

    layer_sizes: [D, H1, ..., C]. Returns params with W_l (sizes[l-1], sizes[l])
    and b_l (sizes[l],), drawn from np.random.default_rng(seed).
    """
    raise NotImplementedError("one default_rng(seed); W_l = rng.normal(0, sqrt(2 / fan_in), shape)")
    return params


def mlp_forward(params, X, activation="relu"):
    """Forward pass of the MLP.

    params: as above; X: (N, D); activation: "relu", "sigmoid" or "tanh".
    Returns logits (N, C) and a cache for mlp_backward-style use in mlp_loss.
    """
    act_forward, _ = ACTIVATIONS[activation]
    raise NotImplementedError("linear then activation for each hidden layer, a final linear for the logits")
    return logits, cache


def mlp_loss(params, X, y, activation="relu", reg=0.0):
    """Softmax cross-entropy plus L2 regularisation, and the gradients.

    params: as above; X: (N, D); y: (N,) int labels; reg: the L2 strength.
    loss = softmax_cross_entropy(logits, y) + reg * sum_l ||W_l||_F^2 (biases
    not regularised). Returns (loss, grads), grads with the keys of params.
    """
    _, act_backward = ACTIVATIONS[activation]
    raise NotImplementedError("backpropagate dlogits through the layers in reverse; d(reg ||W||^2)/dW = 2 reg W")
    return loss, grads


def predict(params, X, activation="relu"):
    """Predicted class labels: the argmax of the logits.

    params: as above; X: (N, D). Returns int labels (N,).
    """
    raise NotImplementedError("argmax of the logits along axis 1")
    return labels


def train_sgd(params, X, y, *, lr, epochs, batch_size, reg=0.0, activation="relu",
              seed=0, X_val=None, y_val=None):
    """Minibatch stochastic gradient descent.

    params: initial parameters (left untouched); X: (N, D); y: (N,) labels.
    One np.random.default_rng(seed) is made at the start; each epoch visits the
    samples in the order rng.permutation(N), in batches of batch_size (the last
    may be short). Returns (params, history): new parameter arrays, and
    history["loss"] (the mean minibatch loss of each epoch, regularisation
    included) and history["val_acc"] (validation accuracy after each epoch,
    empty without X_val).
    """
    raise NotImplementedError("one rng for the whole run; update with new arrays, params[k] - lr * grads[k]")
    return params, history
