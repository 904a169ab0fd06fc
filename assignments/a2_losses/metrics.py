"""Classification metrics, and what an accuracy figure does and does not say.

Labels are int arrays of shape (N,). Binary metrics treat one label value as
the positive class and every other value as negative.
"""

import numpy as np


def confusion_matrix(y_true, y_pred, num_classes):
    """Count how often each true class was predicted as each class.

    Inputs:
    - y_true: int array of shape (N,), true labels in [0, num_classes).
    - y_pred: int array of shape (N,), predicted labels in [0, num_classes).
    - num_classes: int C.

    Returns:
    - M: int64 array of shape (C, C); M[i, j] is the number of samples whose
      true class is i and predicted class is j (rows are the true class, as in
      sklearn.metrics.confusion_matrix).
    """
    y_true = np.asarray(y_true).astype(np.int64).ravel()
    y_pred = np.asarray(y_pred).astype(np.int64).ravel()
    raise NotImplementedError("count each (true, predicted) pair, e.g. np.bincount of y_true * C + y_pred reshaped to (C, C)")


def precision_recall_f1(y_true, y_pred, positive=1):
    """Precision, recall and F1 score of one class.

    precision = TP / (TP + FP), recall = TP / (TP + FN),
    F1 = 2 precision recall / (precision + recall); each is 0.0 where its
    denominator is 0 (sklearn's zero_division=0).

    Inputs:
    - y_true: int array of shape (N,), true labels.
    - y_pred: int array of shape (N,), predicted labels.
    - positive: the label value counted as positive.

    Returns:
    - (precision, recall, f1): three Python floats.
    """
    y_true = np.asarray(y_true).ravel()
    y_pred = np.asarray(y_pred).ravel()
    raise NotImplementedError("count TP, FP and FN for the positive label; return 0.0 for any ratio whose denominator is 0")


def _allowed_splits(n, positives, errors):
    """Every (tp, fp, fn) a binary classifier can reach with the given counts.

    Inputs:
    - n: int, number of samples.
    - positives: int, how many of them are actually positive.
    - errors: int, how many the classifier gets wrong.

    Returns:
    - list of (tp, fp, fn) int triples, one per split errors = fp + fn with
      0 <= fn <= positives and 0 <= fp <= n - positives, skipping the splits
      in which nothing is predicted positive (tp + fp == 0).

    Raises ValueError when the counts are inconsistent or no split is left.
    """
    n, positives, errors = int(n), int(positives), int(errors)
    if n < 0 or not 0 <= positives <= n or errors < 0:
        raise ValueError(
            f"need 0 <= positives <= n and errors >= 0, got n={n}, "
            f"positives={positives}, errors={errors}")
    raise NotImplementedError("loop fp over 0..errors with fn = errors - fp; keep fn <= positives, fp <= n - positives and tp + fp > 0")


def precision_bounds(n, positives, errors):
    """Worst and best precision a classifier with a given error count can have.

    The errors may be any mix of false positives and false negatives that the
    counts allow (see the splits below); precision = TP / (TP + FP).

    Inputs:
    - n: int, number of samples.
    - positives: int, how many are actually positive.
    - errors: int, how many the classifier gets wrong (n * (1 - accuracy)).

    Returns:
    - (worst, best): two Python floats, the minimum and maximum precision
      over every split of errors into FP + FN with FN <= positives and
      FP <= n - positives; splits with no predicted positive are skipped.

    Raises ValueError when no split is allowed.
    """
    raise NotImplementedError("compute TP / (TP + FP) for every allowed split and return (min, max) as floats")


def recall_bounds(n, positives, errors):
    """Worst and best recall a classifier with a given error count can have.

    Same splits as precision_bounds; recall = TP / (TP + FN) = TP / positives
    (0.0 when there are no positives, as in precision_recall_f1).

    Inputs:
    - n: int, number of samples.
    - positives: int, how many are actually positive.
    - errors: int, how many the classifier gets wrong.

    Returns:
    - (worst, best): two Python floats.

    Raises ValueError when no split is allowed.
    """
    raise NotImplementedError("compute TP / (TP + FN) for every allowed split (0.0 without positives) and return (min, max) as floats")
