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
    ### BEGIN SOLUTION hint: scale to [0, 1] and take the mean and the population std over every axis but the channel one
    # Pixel values are the integers 0..255, so a histogram per channel gives the
    # exact statistics without a float copy of the images (1.1 GB for CIFAR).
    images = np.asarray(images)
    channels = images.shape[-1]
    counts = np.zeros((channels, 256), dtype=np.int64)
    for start in range(0, len(images), 4096):
        block = images[start:start + 4096].reshape(-1, channels)
        for c in range(channels):
            counts[c] += np.bincount(block[:, c], minlength=256)
    values = np.arange(256, dtype=np.float64) / 255.0
    total = counts.sum(axis=1)
    mean = counts @ values / total
    var = (counts * (values[None, :] - mean[:, None]) ** 2).sum(axis=1) / total
    return tuple(float(m) for m in mean), tuple(float(s) for s in np.sqrt(var))
    ### END SOLUTION


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
    ### BEGIN SOLUTION hint: ToTensor and Normalize always, preceded by RandomCrop(32, padding=4) and RandomHorizontalFlip only when train and augment
    steps = []
    if train and augment:
        steps += [transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip()]
    steps += [transforms.ToTensor(), transforms.Normalize(tuple(mean), tuple(std))]
    return transforms.Compose(steps)
    ### END SOLUTION


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
    ### BEGIN SOLUTION hint: split a default_rng(seed) permutation, channel_stats of the training part only, then Subset views with build_transforms
    if dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {sorted(DATASETS)}, got {dataset!r}")
    cls = DATASETS[dataset]
    plain = cls(root, train=True, download=download)
    n = len(plain)
    n_val = int(round(val_fraction * n))
    order = np.random.default_rng(seed).permutation(n)
    val_idx, train_idx = order[:n_val].tolist(), order[n_val:].tolist()
    mean, std = channel_stats(plain.data[train_idx])

    train_set = cls(root, train=True, transform=build_transforms(mean, std, True, augment))
    eval_view = cls(root, train=True, transform=build_transforms(mean, std, False))
    test_set = cls(root, train=False, transform=build_transforms(mean, std, False))
    generator = torch.Generator().manual_seed(seed)
    train = DataLoader(Subset(train_set, train_idx), batch_size=batch_size, shuffle=True,
                       generator=generator)
    val = DataLoader(Subset(eval_view, val_idx), batch_size=batch_size, shuffle=False)
    test = DataLoader(test_set, batch_size=batch_size, shuffle=False)
    return train, val, test
    ### END SOLUTION
