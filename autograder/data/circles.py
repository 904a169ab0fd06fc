"""Two noisy concentric circles, drawn from a seeded generator (NumPy only).

The same construction as scikit-learn's ``make_circles`` (an outer circle of
radius 1 and an inner one of radius ``factor``, Gaussian noise on both
coordinates), except that each point's angle is drawn at random, so that every
generator gives a new sample of the same distribution.
"""

from __future__ import annotations

import numpy as np


def make_circles(
    rng: np.random.Generator, n: int = 600, noise: float = 0.1, factor: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """(points, labels): float64 (n, 2) and int64 (n,); label 0 on the outer
    circle (n // 2 points, radius 1), label 1 on the inner one (radius ``factor``)."""
    outer = n // 2
    labels = np.concatenate([np.zeros(outer, dtype=np.int64), np.ones(n - outer, dtype=np.int64)])
    radius = np.where(labels == 0, 1.0, factor)
    angle = rng.uniform(0.0, 2.0 * np.pi, n)
    points = radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    return points + rng.normal(0.0, noise, points.shape), labels
