"""Accuracy checks: the student's training code runs in the sandbox; the grader
measures accuracy from the predictions it returns and gives points on a
continuous scale between a floor and a target."""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from autograder.checks.base import Check, Context, short
from autograder.sandbox.client import reply_budget


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


class AccuracyCheck(Check):
    """``dataset()`` gives (X_train, y_train, X_test, y_test); ``calls(X_train,
    y_train, X_test)`` gives the sandbox calls, the index of the call whose
    value is the predicted labels, and the index of one whose value is the
    training history (or None)."""

    kind = "accuracy"

    def __init__(self, name: str, points: float, *, dataset: Callable, calls: Callable,
                 floor: float, target: float, **options):
        super().__init__(name, points, **options)
        self.dataset, self.calls, self.floor, self.target = dataset, calls, floor, target

    def prepare(self) -> None:
        self.dataset()

    def run(self, ctx: Context):
        x_train, y_train, x_test, y_test = self.dataset()
        calls, predictions_at, history_at = self.calls(x_train, y_train, x_test)
        calls[predictions_at] = dataclasses.replace(calls[predictions_at], max_bytes=reply_budget(y_test))
        outcomes = ctx.sandbox.run(calls, timeout=self.timeout)
        problem = self.first_problem(outcomes, [short(c.target) for c in calls])
        if problem:
            return problem
        predicted = outcomes[predictions_at].value
        if type(predicted) is not np.ndarray or predicted.shape != y_test.shape or \
                predicted.dtype.kind not in "iu":
            return self.failed(f"{short(calls[predictions_at].target)} should return integer labels "
                               f"of shape {y_test.shape}, got {type(predicted).__name__} "
                               f"{getattr(predicted, 'shape', '')} {getattr(predicted, 'dtype', '')}")
        classes = int(max(y_test.max(), y_train.max())) + 1
        if predicted.min() < 0 or predicted.max() >= classes:
            return self.failed(f"predicted labels must lie in [0, {classes})")
        accuracy = float(np.mean(predicted == y_test))
        details = {"accuracy": accuracy, "floor": self.floor, "target": self.target,
                   "confusion": confusion(y_test, predicted, classes).tolist()}
        if history_at is not None and isinstance(outcomes[history_at].value, dict):
            details["history"] = {k: [float(x) for x in v] for k, v in outcomes[history_at].value.items()
                                  if isinstance(v, list) and all(isinstance(x, (int, float)) for x in v)}
        fraction = scaled_score(accuracy, self.floor, self.target)
        message = (f"test accuracy {accuracy:.3f} (full marks from {self.target:.2f}, "
                   f"none at or below {self.floor:.2f})")
        if fraction >= 1.0:
            return self.passed(message, **details)
        return self.failed(message, fraction=fraction, **details)
