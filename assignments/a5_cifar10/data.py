"""CIFAR data for a CNN: channel statistics, transforms and the three loaders.

Images are uint8 arrays (N, 32, 32, 3) as torchvision's CIFAR10 keeps them in
``dataset.data``; a loaded batch is float32 (B, 3, 32, 32), normalised per
channel with the mean and standard deviation of the TRAINING split only, so
that nothing about the validation or test images leaks into training.
"""

import numpy as np
import torch
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms

DATASETS = {"cifar10": datasets.CIFAR10, "cifar100": datasets.CIFAR100}


def channel_stats(images):
    """Per-channel mean and population standard deviation of images scaled to [0, 1].

    Args:
        images: uint8 array (N, H, W, C), here (N, 32, 32, 3); not modified.

    Returns:
        (mean, std): two tuples of C Python floats, the statistics of
        images / 255 over all N * H * W pixels of each channel (std with
        divisor N * H * W, i.e. ddof=0, as ``np.std``).
    """
    raise NotImplementedError("scale to [0, 1] and take the mean and the population std over every axis but the channel one")


def build_transforms(mean, std, train, augment=True):
    """The transform applied to each PIL image of the dataset.

    Args:
        mean, std: sequences of 3 floats, the per-channel statistics of the
            training split (of images in [0, 1]).
        train: bool, whether the transform is for the training split.
        augment: bool, whether to augment (only used when ``train``).

    Returns:
        A ``transforms.Compose`` mapping a 32x32 RGB PIL image to a float32
        tensor (3, 32, 32): ToTensor, then Normalize(mean, std); for training
        with augmentation, RandomCrop(32, padding=4) and RandomHorizontalFlip()
        come first. Evaluation transforms are deterministic.
    """
    raise NotImplementedError("ToTensor and Normalize always, preceded by RandomCrop(32, padding=4) and RandomHorizontalFlip only when train and augment")


def make_loaders(root, batch_size=128, val_fraction=0.1, augment=True, seed=0,
                 download=False, dataset="cifar10"):
    """Training, validation and test loaders over torchvision's CIFAR10 / CIFAR100.

    The training set is split once, from ``seed``: a permutation of its N
    images by ``np.random.default_rng(seed)``; the first round(val_fraction * N)
    indices form the validation split, the rest the training split. The
    normalisation statistics are ``channel_stats`` of the training split
    only. The training loader shuffles (a ``torch.Generator`` seeded with
    ``seed``) and augments when ``augment``; validation and test loaders
    neither shuffle nor augment.

    Args:
        root: str, the folder that holds cifar-10-batches-py / cifar-100-python.
        batch_size: int, images per batch (the last batch may be smaller).
        val_fraction: float in [0, 1), the share of the training set held out.
        augment: bool, random crops and flips for the training split.
        seed: int, fixes the split and the shuffling.
        download: bool, passed to torchvision (download if missing).
        dataset: "cifar10" or "cifar100".

    Returns:
        (train, val, test): three DataLoaders yielding (images, labels) with
        images float32 (B, 3, 32, 32) and labels int64 (B,).
    """
    raise NotImplementedError("split a default_rng(seed) permutation, channel_stats of the training part only, then Subset views with build_transforms")
