"""Training and evaluating a classifier: one epoch, evaluation, and fit.

Losses are softmax cross-entropy (``F.cross_entropy``). Reported losses and
accuracies are means over SAMPLES: each batch's mean loss is weighted by its
size, so a short last batch counts for what it holds. Batches are used in the
dtype the loader gives them (the grader's probes use float64 models and
batches), so do not cast them to float32.
"""

import copy
import math

import torch
import torch.nn.functional as F


def train_one_epoch(model, loader, optimizer, device, scheduler=None):
    """One pass over ``loader`` in training mode, one optimizer step per batch.

    For each batch (images (B, 3, 32, 32), labels (B,)): zero the gradients,
    forward, cross-entropy, backward, ``optimizer.step()``, then
    ``scheduler.step()`` when a scheduler is given (per batch, as OneCycleLR
    expects).

    Args:
        model: nn.Module already on ``device``; put in training mode here.
        loader: iterable of (images, labels) batches.
        optimizer: a torch.optim optimizer over the model's parameters.
        device: torch.device or str where the batches are moved.
        scheduler: optional learning-rate scheduler stepped after every batch.

    Returns:
        {"loss": float, "accuracy": float}: the mean training loss and the
        fraction of correctly classified samples, measured on the batches
        as they were trained on (NaN for an empty loader).
    """
    raise NotImplementedError("model.train(); per batch zero_grad, forward, F.cross_entropy, backward, step (and scheduler.step()); sum loss times batch size and correct counts")


def evaluate(model, loader, device):
    """Mean loss and accuracy over ``loader`` in eval mode without gradients.

    Dropout is off and batchnorm uses its running statistics (``model.eval()``);
    no autograd graph is built (``torch.no_grad()``). The model is left in
    eval mode.

    Args:
        model: nn.Module on ``device``.
        loader: iterable of (images, labels) batches.
        device: torch.device or str.

    Returns:
        {"loss": float, "accuracy": float}: the mean cross-entropy over all
        samples and the fraction classified correctly (NaN for an empty loader).
    """
    raise NotImplementedError("model.eval() and torch.no_grad(); sum cross-entropy (reduction sum) and correct predictions, divide by the number of samples")


def fit(model, train_loader, val_loader, *, epochs, lr, device, momentum=0.9,
        weight_decay=5e-4, checkpoint_path=None):
    """Train with SGD for ``epochs`` epochs, keeping the best-validation weights.

    The optimizer is ``torch.optim.SGD(model.parameters(), lr=lr,
    momentum=momentum, weight_decay=weight_decay)``. After each epoch the
    model is evaluated on ``val_loader``; whenever the validation accuracy is
    higher than every earlier one, a copy of the weights is kept (and, with a
    ``checkpoint_path``, saved with ``torch.save(model.state_dict(), path)``).
    At the end the kept weights are loaded back into ``model``, so the model
    (and the checkpoint) hold the epoch with the best validation accuracy
    (the first such epoch on ties).

    Args:
        model: nn.Module; moved to ``device``.
        train_loader, val_loader: iterables of (images, labels).
        epochs: int >= 1. lr, momentum, weight_decay: SGD hyperparameters.
        device: torch.device or str.
        checkpoint_path: optional path for the best weights (a state_dict).

    Returns:
        history: {"train_loss", "train_accuracy", "val_loss", "val_accuracy"},
        each a list of ``epochs`` floats (train values from train_one_epoch,
        validation values from evaluate).
    """
    raise NotImplementedError("SGD; per epoch train_one_epoch then evaluate, record the history, deep-copy the state_dict when val accuracy improves; load the best at the end")
