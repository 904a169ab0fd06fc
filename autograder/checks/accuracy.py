"""Accuracy checks: the student's training code runs in the sandbox; the grader
keeps the test labels, measures accuracy from the predictions it gets back and
gives points on a continuous scale between a floor and a target.

The data a check trains on is drawn per grading run (``dataset(rng)``), so that
the worker cannot recognise its inputs in a public copy of the data set and
look their labels up: :func:`stratified_split` draws a new split in a new
order, :func:`random_rotation` turns the feature space.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from autograder.checks.base import Check, Context, short
from autograder.report.model import CheckResult
from autograder.sandbox.client import Call, reply_budget


def scaled_score(accuracy: float, floor: float, target: float) -> float:
    """0 at or below ``floor``, 1 at or above ``target``, linear between."""
    if target <= floor:
        return 1.0 if accuracy >= target else 0.0
    return float(np.clip((accuracy - floor) / (target - floor), 0.0, 1.0))


def confusion(y_true: np.ndarray, y_pred: np.ndarray, classes: int) -> np.ndarray:
    """(classes, classes) counts; rows are the true class."""
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix


@dataclass(frozen=True)
class Split:
    """A labelled data set cut in two: x_train (N, D), y_train int (N,), x_test (M, D), y_test int (M,)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max())) + 1


def stratified_split(rng: np.random.Generator, x: np.ndarray, y: np.ndarray, test_fraction: float) -> Split:
    """A random split of (x (N, D), y (N,)) holding ``test_fraction`` of every class out
    for testing (rounded per class); both parts in a random order."""
    held_out = []
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        held_out.append(rng.permutation(members)[: int(round(test_fraction * len(members)))])
    test = np.concatenate(held_out)
    train = rng.permutation(np.setdiff1d(np.arange(len(y)), test))
    test = rng.permutation(test)
    return Split(x[train], y[train], x[test], y[test])


def random_rotation(rng: np.random.Generator, dim: int) -> np.ndarray:
    """A (dim, dim) orthogonal matrix drawn uniformly (Haar measure): lengths and angles
    stay, so a network with isotropic initial weights learns the rotated data as well."""
    q, r = np.linalg.qr(rng.standard_normal((dim, dim)))
    return q * np.sign(np.diag(r))


@dataclass(frozen=True)
class TrainingRun:
    """The sandbox calls that train on a Split's training part and predict its test inputs.

    predictions: index of the call whose value is the predicted labels (M,);
    history: index of the call whose value is the training history (a dict of lists), or None.
    """

    calls: list[Call]
    predictions: int
    history: int | None = None


class AccuracyCheck(Check):
    """``dataset(rng)`` draws this run's Split; ``training(split)`` gives the TrainingRun
    that the worker runs; the grader compares the predicted labels with y_test."""

    kind = "accuracy"

    def __init__(
        self,
        name: str,
        points: float,
        *,
        dataset: Callable[[np.random.Generator], Split],
        training: Callable[[Split], TrainingRun],
        floor: float,
        target: float,
        **options,
    ):
        super().__init__(name, points, **options)
        self.dataset, self.training, self.floor, self.target = dataset, training, floor, target

    def run(self, ctx: Context) -> CheckResult:
        split = self.dataset(ctx.rng(self.name))
        run = self.training(split)
        calls = list(run.calls)
        calls[run.predictions] = dataclasses.replace(calls[run.predictions],
                                                     max_bytes=reply_budget(split.y_test))
        outcomes = ctx.sandbox.run(calls, timeout=self.timeout)
        problem = self.first_problem(outcomes, [short(c.target) for c in calls])
        if problem:
            return problem
        predicted = outcomes[run.predictions].value
        predictor = short(run.calls[run.predictions].target)
        if (
            type(predicted) is not np.ndarray
            or predicted.shape != split.y_test.shape
            or predicted.dtype.kind not in "iu"
        ):
            return self.failed(
                f"{predictor} should return integer labels of shape {split.y_test.shape}, got "
                f"{type(predicted).__name__} {getattr(predicted, 'shape', '')} "
                f"{getattr(predicted, 'dtype', '')}"
            )
        classes = split.classes
        if predicted.min() < 0 or predicted.max() >= classes:
            return self.failed(f"predicted labels must lie in [0, {classes})")
        accuracy = float(np.mean(predicted == split.y_test))
        details = {
            "accuracy": accuracy,
            "floor": self.floor,
            "target": self.target,
            "confusion": confusion(split.y_test, predicted, classes).tolist(),
        }
        history = outcomes[run.history].value if run.history is not None else None
        if isinstance(history, dict):
            details["history"] = {
                k: [float(x) for x in v]
                for k, v in history.items()
                if isinstance(v, list) and all(isinstance(x, (int, float)) for x in v)
            }
        fraction = scaled_score(accuracy, self.floor, self.target)
        message = (
            f"test accuracy {accuracy:.3f} (full marks from {self.target:.2f}, "
            f"none at or below {self.floor:.2f})"
        )
        if fraction >= 1.0:
            return self.passed(message, **details)
        return self.failed(message, fraction=fraction, **details)
