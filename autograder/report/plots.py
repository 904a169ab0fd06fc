"""Pictures for the HTML reports, as PNG data URIs that embed in a page.

Each function takes plain data (what CheckResult.details holds) and returns
``data:image/png;base64,...``. Figures are drawn with matplotlib's
object-oriented API on the Agg canvas: no pyplot state, no display needed.
"""

from __future__ import annotations

import base64
import io

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

_DPI = 100
_WIDTH = 4.8  # inches: 480 px at most, scaled down to a phone's width by the page's CSS


def _data_uri(figure: Figure, tight: bool = True) -> str:
    """The figure as a PNG data URI; ``tight`` trims the margins (one more draw)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI, bbox_inches="tight" if tight else None)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _integer_ticks(ax: Axes, which: str = "xy") -> None:
    """Ticks only at whole numbers (indices, classes, epochs)."""
    for name in which:
        getattr(ax, f"{name}axis").set_major_locator(MaxNLocator(nbins=6, integer=True, min_n_ticks=1))


def _grid(rows: list) -> np.ndarray:
    """Nested lists (None for a non-finite value) as a 2-D float array with NaNs."""
    return np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=np.float64)


def gradient_heatmap(label: str, student: list, reference: list) -> str:
    """Three panels for one 2-D array, sized to stay legible on a phone: the
    student's value and the reference's on one colour scale (red positive,
    blue negative), and |student - reference| with its colour bar; the
    student's NaN/inf entries are grey. student, reference: equally shaped
    nested lists of floats or None."""
    got, expected = _grid(student), _grid(reference)
    error = np.abs(got - expected)
    height = float(np.clip(0.22 * got.shape[0] + 1.1, 1.6, 3.6))
    figure = Figure(figsize=(4.2, height))
    axes = figure.subplots(1, 3)
    finite = np.concatenate([a[np.isfinite(a)] for a in (got, expected)])
    limit = (float(np.max(np.abs(finite))) if finite.size else 0.0) or 1.0
    diverging = matplotlib.colormaps["RdBu_r"].with_extremes(bad="#9e9e9e")
    magnitude = matplotlib.colormaps["magma"].with_extremes(bad="#9e9e9e")
    for ax, title, values, colours, low, high in (
            (axes[0], "yours", got, diverging, -limit, limit),
            (axes[1], "reference", expected, diverging, -limit, limit),
            (axes[2], "|difference|", error, magnitude, 0.0, None)):
        image = ax.imshow(np.ma.masked_invalid(values), cmap=colours, vmin=low, vmax=high,
                          aspect="auto", interpolation="nearest")
        ax.set_title(title, fontsize=9)
        ax.tick_params(labelsize=7, length=2)
        if ax is axes[0]:
            _integer_ticks(ax)
        else:
            ax.set_xticks([])
            ax.set_yticks([])
    figure.subplots_adjust(left=0.07, right=0.9, bottom=0.3 / height, top=1 - 0.5 / height, wspace=0.12)
    bar = figure.colorbar(image, ax=axes[2], fraction=0.12, pad=0.04)
    bar.ax.tick_params(labelsize=7, length=2)
    figure.suptitle(label, fontsize=9)
    return _data_uri(figure, tight=False)


def training_curves(history: dict) -> str:
    """Per-epoch curves: losses on the left, accuracies on the right.
    history: {name: list of floats}; names containing "acc" are accuracies."""
    accuracies = {k: v for k, v in history.items() if "acc" in k.lower() and v}
    losses = {k: v for k, v in history.items() if "acc" not in k.lower() and v}
    groups = [(title, series) for title, series in (("loss", losses), ("accuracy", accuracies)) if series]
    figure = Figure(figsize=(_WIDTH, 2.4))
    figure.subplots_adjust(wspace=0.35)
    for ax, (title, series) in zip(np.atleast_1d(figure.subplots(1, max(1, len(groups)))), groups):
        for name, values in series.items():
            epochs = np.arange(1, len(values) + 1)
            ax.plot(epochs, values, marker="o" if len(values) <= 30 else None, markersize=3, label=name)
        ax.set_xlabel("epoch", fontsize=8)
        _integer_ticks(ax, "x")
        ax.set_title(title, fontsize=9)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    return _data_uri(figure)


def confusion_and_per_class(matrix: list) -> str:
    """The confusion matrix (rows: true class) beside each class's accuracy
    (its recall: the diagonal over the row sum); zero cells are left blank.
    matrix: (C, C) nested ints."""
    counts = np.asarray(matrix, dtype=np.int64)
    classes = counts.shape[0]
    totals = counts.sum(axis=1)
    per_class = np.divide(np.diag(counts), totals, out=np.zeros(classes), where=totals > 0)
    figure = Figure(figsize=(_WIDTH, 2.6))
    figure.subplots_adjust(wspace=0.3)
    left, right = figure.subplots(1, 2)
    image = left.imshow(counts, cmap="Blues", interpolation="nearest")
    left.set_xlabel("predicted", fontsize=8)
    left.set_ylabel("true", fontsize=8)
    left.set_title("confusion matrix", fontsize=9)
    left.tick_params(labelsize=7, length=2)
    _integer_ticks(left)
    if classes <= 12:  # small enough to print the counts (and every class's tick)
        size = 7 if classes <= 6 else 5
        for (i, j), value in np.ndenumerate(counts):
            if value:
                left.text(j, i, str(value), ha="center", va="center", fontsize=size,
                          color="white" if value > counts.max() / 2 else "black")
        left.set_xticks(range(classes))
        left.set_yticks(range(classes))
        right.set_xticks(range(classes))
    else:
        figure.colorbar(image, ax=left, shrink=0.8).ax.tick_params(labelsize=7)
        _integer_ticks(right, "x")
    right.bar(np.arange(classes), per_class, color="#3b7dd8")
    right.set_ylim(0, 1)
    right.set_xlabel("class", fontsize=8)
    right.set_title("accuracy per class", fontsize=9)
    right.tick_params(labelsize=7, length=2)
    right.grid(axis="y", alpha=0.3)
    return _data_uri(figure)


def per_class_accuracy(per_class: dict) -> str:
    """Each class's accuracy, the weakest first (every name for up to 20
    classes, else the five weakest in a box). per_class: {class name: accuracy}."""
    ranked = sorted(per_class.items(), key=lambda item: (item[1], item[0]))
    values = [accuracy for _, accuracy in ranked]
    figure = Figure(figsize=(_WIDTH, 2.6))
    ax = figure.subplots()
    ax.bar(np.arange(len(values)), values, color="#3b7dd8")
    ax.set_ylim(0, 1)
    ax.set_ylabel("accuracy", fontsize=8)
    ax.set_title("accuracy per class, weakest first", fontsize=9)
    if len(ranked) <= 20:
        ax.set_xticks(range(len(ranked)), [str(name) for name, _ in ranked], rotation=60, ha="right",
                      fontsize=6)
    else:
        ax.set_xticks([])
        ax.set_xlabel(f"{len(ranked)} classes", fontsize=8)
        weakest = "\n".join(f"{name}: {accuracy:.2f}" for name, accuracy in ranked[:5])
        ax.text(0.02, 0.97, f"weakest\n{weakest}", transform=ax.transAxes, va="top", fontsize=7,
                bbox={"facecolor": "white", "edgecolor": "#d9d9d9"})
    ax.tick_params(axis="y", labelsize=7)
    ax.grid(axis="y", alpha=0.3)
    return _data_uri(figure)


def score_histogram(percentages: list[float]) -> str:
    """A histogram of scores in percent (0..100) over ten bins."""
    figure = Figure(figsize=(_WIDTH, 2.4))
    ax = figure.subplots()
    ax.hist(percentages, bins=[10.0 * i for i in range(11)], color="#3b7dd8", edgecolor="white")
    ax.set_xlabel("score (%)", fontsize=8)
    ax.set_ylabel("submissions", fontsize=8)
    ax.set_xlim(0, 100)
    _integer_ticks(ax, "y")
    ax.tick_params(labelsize=7)
    ax.grid(axis="y", alpha=0.3)
    return _data_uri(figure)
