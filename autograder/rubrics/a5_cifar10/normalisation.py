"""Reading a loader's normalisation back from the images it yields.

Every output pixel of ToTensor() and Normalize(mean, std) is (v / 255 - mean) / std
for a raw pixel value v, so the distinct output values of a channel sit on a
lattice whose step is one pixel level; from that lattice the grader finds the
mean and std a loader used, and maps each image it yielded back to a raw image.
"""

from __future__ import annotations

import numpy as np


def pixel_stats(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and population std (3,) of uint8 images (N, H, W, C) scaled to [0, 1]."""
    scaled = images.reshape(-1, images.shape[-1]).astype(np.float64) / 255.0
    return scaled.mean(axis=0), scaled.std(axis=0)


def infer_normalisation(outputs: np.ndarray, raw: np.ndarray) -> tuple[np.ndarray, np.ndarray] | str:
    """(mean, std) per channel with outputs = (v / 255 - mean) / std, or a message.

    outputs: float (N, 3, 32, 32) from a loader over the raw uint8 images
    (M, 32, 32, 3) (in any order, possibly cropped with zero padding or
    flipped). Distinct output values of a channel sit on a lattice whose step
    is one pixel level, 1 / (255 std); its top is the brightest raw pixel.
    """
    mean, std = np.zeros(3), np.zeros(3)
    for c in range(3):
        values = np.unique(outputs[:, c].astype(np.float64))
        if len(values) < 3 or not np.all(np.isfinite(values)):
            return "the images should have many different (finite) values per channel"
        step = np.diff(values).min()
        levels = np.rint((values[-1] - values) / step)
        pixels = raw[..., c].max() - levels
        if pixels.min() < 0:
            return "the images are not ToTensor() and Normalize(mean, std) of the raw pixels"
        slope, intercept = np.polyfit(pixels / 255.0, values, 1)
        fitted = slope * pixels / 255.0 + intercept
        if slope <= 0 or np.abs(fitted - values).max() > 1e-4 * (1 + np.abs(values).max()):
            return "the images are not ToTensor() and Normalize(mean, std) of the raw pixels"
        std[c] = 1.0 / slope
        mean[c] = -intercept * std[c]
    return mean, std


def match_images(outputs: np.ndarray, mean: np.ndarray, std: np.ndarray, raw: np.ndarray) -> np.ndarray:
    """For each output image (N, 3, 32, 32), the index of the raw image (M, 32, 32, 3) it
    normalises exactly with (mean, std), or -1 if none: int64 (N,)."""
    pixels = (outputs.astype(np.float64).transpose(0, 2, 3, 1) * std + mean) * 255.0
    rounded = np.rint(pixels)
    exact = np.all(np.abs(pixels - rounded) < 0.05, axis=(1, 2, 3)) & np.all(
        (rounded >= 0) & (rounded <= 255), axis=(1, 2, 3)
    )
    index = {image.tobytes(): i for i, image in enumerate(raw)}
    found = np.full(len(outputs), -1, dtype=np.int64)
    for i in np.flatnonzero(exact):
        found[i] = index.get(rounded[i].astype(np.uint8).tobytes(), -1)
    return found
