"""The GPU challenge: train a CIFAR-100 classifier as fast as you can.

You write two functions:

- ``build_model()`` returns an ``nn.Module`` that maps float images of shape
  (N, 3, 32, 32) with values in [0, 1] to logits of shape (N, 100). The
  normalisation of the inputs happens inside the model, so that whoever
  evaluates it (the autograder) only has to divide the uint8 pixels by 255.
- ``train(data_root, device, time_budget_s=600, seed=0)`` loads CIFAR-100 from
  ``data_root`` (the folder holding ``cifar-100-python/``), trains a fresh
  ``build_model()`` on the training split on ``device`` and returns it,
  finishing within ``time_budget_s`` seconds of wall-clock time.

You hand in this file together with ``model.pt``, the trained state_dict::

    model = train("source_data", "cuda", time_budget_s=60)
    torch.save(model.state_dict(), "model.pt")

The grader rebuilds ``build_model()``, loads ``model.pt`` with
``torch.load(..., weights_only=True)`` and measures the test accuracy.

Everything before the two functions is given infrastructure: building
blocks for residual networks, loading the whole dataset onto the device,
random crops and flips done on the device, and evaluation. Use it or replace
it.
"""

from __future__ import annotations

import contextlib
import math
import time
from typing import Callable

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

NUM_CLASSES = 100
IMAGE_SIZE = 32
# Channel statistics of the CIFAR-100 training images scaled to [0, 1]
# (published values; train() replaces them by those of the data it sees).
CIFAR100_MEAN = (0.5071, 0.4865, 0.4409)
CIFAR100_STD = (0.2673, 0.2564, 0.2762)


# --------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------

class Normalize(nn.Module):
    """Per-channel standardisation, (x - mean) / std, with the statistics kept
    as buffers so that they travel in the state_dict.

    Input and output have shape (N, 3, H, W).
    """

    def __init__(self, mean=CIFAR100_MEAN, std=CIFAR100_STD):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    @torch.no_grad()
    def set_statistics(self, mean, std) -> None:
        """Replace the statistics; ``mean`` and ``std`` hold one value per channel."""
        self.mean.copy_(torch.as_tensor(mean, dtype=torch.float32).view_as(self.mean))
        self.std.copy_(torch.as_tensor(std, dtype=torch.float32).view_as(self.std))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean.to(x.dtype)) / self.std.to(x.dtype)


class Residual(nn.Module):
    """x + f(x): the identity path lets the gradient reach early layers
    unchanged, so the network trains quickly at high learning rates."""

    def __init__(self, *layers: nn.Module):
        super().__init__()
        self.branch = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.branch(x)


class Scale(nn.Module):
    """Multiplies its input by a fixed number (no parameters)."""

    def __init__(self, factor: float):
        super().__init__()
        self.factor = float(factor)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.factor

    def extra_repr(self) -> str:
        return f"factor={self.factor}"


def conv_bn(c_in: int, c_out: int, bn_momentum: float = 0.2) -> nn.Sequential:
    """3x3 convolution (padding 1, no bias: the batch norm has one), batch norm, ReLU.

    (N, c_in, H, W) -> (N, c_out, H, W). The batch norm's running statistics
    follow the recent batches more closely than PyTorch's default (momentum
    0.1), which matters when a run is only a few hundred steps long.
    """
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(c_out, momentum=bn_momentum),
        nn.ReLU(inplace=True),
    )


class ImageClassifier(nn.Module):
    """Normalisation followed by a network, with flip test-time augmentation.

    ``forward`` takes float images (N, 3, 32, 32) in [0, 1] and returns logits
    (N, num_classes). In evaluation mode (``model.eval()``) with ``tta=True``
    the logits are the mean of those of the image and of its mirror image, so
    every evaluator gets the augmented prediction for free; in training mode
    the network sees each image once.
    """

    def __init__(self, net: nn.Module, tta: bool = True):
        super().__init__()
        self.normalize = Normalize()
        self.net = net
        self.tta = tta

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.normalize(x)
        if self.training or not self.tta:
            return self.net(x)
        return 0.5 * (self.net(x) + self.net(torch.flip(x, dims=(3,))))


# --------------------------------------------------------------------------
# Data on the device
# --------------------------------------------------------------------------

def load_cifar100(data_root, train: bool) -> tuple[np.ndarray, np.ndarray]:
    """The train or test split of CIFAR-100 from ``data_root``/cifar-100-python.

    Returns ``(images, labels)``: uint8 (N, 32, 32, 3) and int64 (N,) with the
    fine labels in [0, 100). Nothing is downloaded.
    """
    dataset = _cifar100_dataset(data_root, train)
    images = np.ascontiguousarray(dataset.data, dtype=np.uint8)
    labels = np.asarray(dataset.targets, dtype=np.int64)
    return images, labels


def _cifar100_dataset(data_root, train: bool):
    """torchvision's CIFAR100; for the course's synthetic stand-in, whose files
    fail torchvision's checksums, the course's loader (torchvision's class with
    the stand-in's checksums)."""
    try:
        return torchvision.datasets.CIFAR100(str(data_root), train=train, download=False)
    except RuntimeError as error:
        try:
            from autograder.data.load import cifar_dataset, is_synth
        except ImportError:
            raise error from None
        if not is_synth("cifar100", data_root):
            raise
        return cifar_dataset("cifar100", data_root, train=train)


def images_to_device(images: np.ndarray, device) -> torch.Tensor:
    """uint8 (N, 32, 32, 3) NumPy images -> uint8 (N, 3, 32, 32) tensor on ``device``."""
    return torch.from_numpy(np.ascontiguousarray(images)).to(device).permute(0, 3, 1, 2).contiguous()


def channel_stats(images: torch.Tensor) -> tuple[list[float], list[float]]:
    """Per-channel mean and (population) std of uint8 images (N, 3, H, W) scaled to [0, 1].

    Computed from a histogram of the 256 pixel values of each channel, so no
    float copy of the dataset is made.
    """
    values = torch.arange(256, dtype=torch.float64, device=images.device) / 255.0
    means, stds = [], []
    for channel in range(images.shape[1]):
        counts = torch.bincount(images[:, channel].reshape(-1), minlength=256).double()
        p = counts / counts.sum()
        mean = (p * values).sum()
        means.append(mean.item())
        stds.append((p * (values - mean) ** 2).sum().sqrt().item())
    return means, stds


def _reflect_index(size: int, padding: int, device) -> torch.Tensor:
    """Source index of every position of a reflect-padded axis: for size 5 and
    padding 2 it is [2, 1, 0, 1, 2, 3, 4, 3, 2] (the edge is not repeated)."""
    positions = torch.arange(-padding, size + padding, device=device)
    positions = positions.abs()
    return torch.where(positions > size - 1, 2 * (size - 1) - positions, positions)


def random_crop_flip(images: torch.Tensor, generator: torch.Generator | None = None,
                     padding: int = 4, flip: bool = True) -> torch.Tensor:
    """Random crops of the reflect-padded images, each mirrored with probability 1/2.

    ``images`` is uint8 (or any dtype) of shape (B, C, H, W) on any device; the
    result has the same shape, dtype and device. It equals, image by image,
    padding by ``padding`` pixels with reflection (torchvision's
    RandomCrop(size, padding, padding_mode="reflect")), cutting an H x W window
    at a uniformly random offset in [0, 2 * padding] per axis, and then a
    horizontal flip. All of it is one gather on the device, without building
    the padded images.
    """
    b, c, h, w = images.shape
    device = images.device
    dy = torch.randint(0, 2 * padding + 1, (b, 1), device=device, generator=generator)
    dx = torch.randint(0, 2 * padding + 1, (b, 1), device=device, generator=generator)
    rows = _reflect_index(h, padding, device)[dy + torch.arange(h, device=device)]  # (B, H)
    cols = _reflect_index(w, padding, device)[dx + torch.arange(w, device=device)]  # (B, W)
    if flip:
        mirrored = torch.rand(b, 1, device=device, generator=generator) < 0.5
        cols = torch.where(mirrored, cols.flip(1), cols)
    batch = torch.arange(b, device=device).view(b, 1, 1, 1)
    channel = torch.arange(c, device=device).view(1, c, 1, 1)
    return images[batch, channel, rows.view(b, 1, h, 1), cols.view(b, 1, 1, w)]


def to_float(images: torch.Tensor, channels_last: bool = False) -> torch.Tensor:
    """uint8 (N, 3, H, W) -> float32 in [0, 1], optionally in channels_last memory order."""
    x = images.float().div_(255.0)
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


def autocast_for(device) -> contextlib.AbstractContextManager:
    """bfloat16 autocast on a CUDA device, nothing (float32) elsewhere."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


@torch.no_grad()
def predict_logits(model: nn.Module, images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """float32 logits (N, C) of uint8 images (N, 3, 32, 32) in evaluation mode
    (so with the model's flip TTA). The model's training mode is restored."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    channels_last = device.type == "cuda"
    out = []
    try:
        for start in range(0, len(images), batch_size):
            x = to_float(images[start:start + batch_size].to(device), channels_last)
            with autocast_for(device):
                out.append(model(x).float())
    finally:
        model.train(was_training)
    return torch.cat(out) if out else torch.empty(0, NUM_CLASSES, device=device)


def evaluate(model: nn.Module, images: torch.Tensor, labels: torch.Tensor,
             batch_size: int = 1000) -> float:
    """Top-1 accuracy of ``model`` on uint8 images (N, 3, 32, 32) with int labels (N,)."""
    logits = predict_logits(model, images, batch_size)
    return (logits.argmax(1) == labels.to(logits.device)).float().mean().item()


# --------------------------------------------------------------------------
# Your part
# --------------------------------------------------------------------------

def build_model() -> nn.Module:
    """A fresh, untrained classifier.

    Returns an nn.Module mapping float images (N, 3, 32, 32) in [0, 1] to
    logits (N, 100); the normalisation happens inside it.
    """
    raise NotImplementedError("return an ImageClassifier wrapping a small residual network that ends in 100 logits")


def train(data_root, device, time_budget_s: float = 600, seed: int = 0, *,
          on_epoch: Callable | None = None) -> nn.Module:
    """Train a fresh ``build_model()`` on the CIFAR-100 training split.

    ``data_root`` is the folder that holds ``cifar-100-python/``; ``device`` a
    torch device or its name ("cuda", "cpu"). The whole call, data loading
    included, takes less than ``time_budget_s`` seconds of wall-clock time.
    ``seed`` fixes the initialisation, the order of the batches and the
    augmentation; how many steps fit in the budget depends on the machine.

    ``on_epoch``, if given, is called after every epoch (the last one may be
    cut short) as ``on_epoch(epoch, model, train_seconds, images_seen)``, the
    epoch counted from 1 and the images counted since the start; the time it
    takes is not counted towards the budget (benchmarks use it to measure the
    test accuracy along the way).

    Returns the trained module, on ``device``, in evaluation mode.
    """
    raise NotImplementedError("put the data on the device, then nesterov SGD with a one-cycle schedule that ends within the budget")
