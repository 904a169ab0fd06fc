"""Exhaustive hyperparameter search over a grid."""

import itertools


def grid_search(train_fn, grid):
    """Evaluate ``train_fn`` on every combination of the grid and keep the best.

    The combinations are visited in ``itertools.product`` order over the keys
    of ``grid`` in insertion order (the last key varies fastest), each exactly
    once, as ``train_fn(**params)``.

    Args:
        train_fn: callable taking the grid's names as keyword arguments and
            returning a score, a float; higher is better.
        grid: dict mapping each hyperparameter name (str) to a list of values.

    Returns:
        best_params: dict name -> value of the combination with the highest
            score; on a tie the combination evaluated first wins. None when
            the grid has no combination (some list is empty).
        results: list of (params, score) pairs, one per combination, in the
            order they were evaluated; params is a dict name -> value.
    """
    raise NotImplementedError("loop over itertools.product of the value lists, call train_fn with a dict of keyword arguments, and keep the first highest score")
