"""a2_losses metrics and answers against sklearn and brute-force enumeration."""

import numpy as np
import pytest
from sklearn import metrics as skm


@pytest.fixture(scope="module")
def M(a2):
    return a2["metrics"]


@pytest.mark.parametrize("seed", range(5))
def test_confusion_matrix_matches_sklearn(M, seed):
    rng = np.random.default_rng(seed)
    c = int(rng.integers(2, 7))
    n = int(rng.integers(1, 60))
    y_true, y_pred = rng.integers(0, c, size=n), rng.integers(0, c, size=n)
    out = M.confusion_matrix(y_true, y_pred, c)
    assert out.shape == (c, c) and np.issubdtype(out.dtype, np.integer)
    np.testing.assert_array_equal(out, skm.confusion_matrix(y_true, y_pred, labels=range(c)))


def test_confusion_matrix_rows_are_true_class(M):
    out = M.confusion_matrix(np.array([0, 0, 0]), np.array([1, 1, 2]), 3)
    np.testing.assert_array_equal(out, [[0, 2, 1], [0, 0, 0], [0, 0, 0]])


@pytest.mark.parametrize("seed", range(8))
def test_precision_recall_f1_matches_sklearn(M, seed):
    rng = np.random.default_rng(seed)
    c = int(rng.integers(2, 4))
    n = int(rng.integers(1, 30))
    y_true, y_pred = rng.integers(0, c, size=n), rng.integers(0, c, size=n)
    positive = int(rng.integers(0, c))
    out = M.precision_recall_f1(y_true, y_pred, positive=positive)
    assert all(type(v) is float for v in out)
    expected = skm.precision_recall_fscore_support(
        y_true, y_pred, labels=[positive], average=None, zero_division=0)[:3]
    np.testing.assert_allclose(out, [e[0] for e in expected], rtol=1e-12)


@pytest.mark.parametrize("y_true,y_pred", [
    ([0, 0, 0], [0, 0, 0]),      # no positives at all
    ([1, 1, 0], [0, 0, 0]),      # nothing predicted positive
    ([0, 0, 1], [1, 1, 0]),      # precision and recall 0, so F1 0/0
])
def test_precision_recall_f1_undefined_is_zero(M, y_true, y_pred):
    expected = skm.precision_recall_fscore_support(
        y_true, y_pred, labels=[1], average=None, zero_division=0)[:3]
    assert M.precision_recall_f1(np.array(y_true), np.array(y_pred)) == tuple(float(e[0]) for e in expected)


def brute_force(n, positives, errors):
    """All (precision, recall) pairs of label vectors with these counts, via sklearn.

    Builds y_true with `positives` ones, and for every number of false
    positives the prediction vector with exactly that many FP and
    errors - FP false negatives; skips predictions without any positive.
    """
    y_true = np.zeros(n, dtype=int)
    y_true[:positives] = 1
    pairs = []
    for fp in range(0, n + 1):
        for fn in range(0, n + 1):
            if fp + fn != errors or fn > positives or fp > n - positives:
                continue
            y_pred = y_true.copy()
            y_pred[:fn] = 0                          # miss fn positives
            y_pred[positives:positives + fp] = 1     # flag fp negatives
            assert np.sum(y_pred != y_true) == errors
            if y_pred.sum() == 0:
                continue
            p = skm.precision_score(y_true, y_pred, zero_division=0)
            r = skm.recall_score(y_true, y_pred, zero_division=0)
            pairs.append((p, r))
    return pairs


@pytest.mark.parametrize("seed", range(40))
def test_bounds_match_brute_force(M, seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 25))
    positives = int(rng.integers(0, n + 1))
    errors = int(rng.integers(0, n + 1))
    pairs = brute_force(n, positives, errors)
    if not pairs:
        with pytest.raises(ValueError):
            M.precision_bounds(n, positives, errors)
        with pytest.raises(ValueError):
            M.recall_bounds(n, positives, errors)
        return
    worst_p, best_p = M.precision_bounds(n, positives, errors)
    worst_r, best_r = M.recall_bounds(n, positives, errors)
    assert all(type(v) is float for v in (worst_p, best_p, worst_r, best_r))
    ps, rs = [p for p, _ in pairs], [r for _, r in pairs]
    np.testing.assert_allclose([worst_p, best_p], [min(ps), max(ps)], rtol=1e-12)
    np.testing.assert_allclose([worst_r, best_r], [min(rs), max(rs)], rtol=1e-12)


@pytest.mark.parametrize("n,positives,errors", [
    (10, 3, 11),   # more errors than samples
    (10, 3, 10),   # every sample wrong needs 7 FP + 3 FN: allowed, precision 0
    (10, 0, 0),    # nothing positive and nothing predicted positive
    (5, 5, 5),     # every positive missed, no negative to flag
])
def test_bounds_value_error_exactly_when_brute_force_is_empty(M, n, positives, errors):
    if brute_force(n, positives, errors):
        M.precision_bounds(n, positives, errors)
        M.recall_bounds(n, positives, errors)
    else:
        with pytest.raises(ValueError):
            M.precision_bounds(n, positives, errors)
        with pytest.raises(ValueError):
            M.recall_bounds(n, positives, errors)


def test_screening_answers_match_brute_force(a2):
    A = a2["answers"]
    pairs = brute_force(100, 5, 4)
    ps, rs = [p for p, _ in pairs], [r for _, r in pairs]
    np.testing.assert_allclose(A.WORST_PRECISION, min(ps), rtol=1e-12)
    np.testing.assert_allclose(A.BEST_PRECISION, max(ps), rtol=1e-12)
    np.testing.assert_allclose(A.WORST_RECALL, min(rs), rtol=1e-12)
    np.testing.assert_allclose(A.BEST_RECALL, max(rs), rtol=1e-12)
    y_true = np.r_[np.ones(5), np.zeros(95)]
    np.testing.assert_allclose(A.ALL_NEGATIVE_ACCURACY,
                               skm.accuracy_score(y_true, np.zeros(100)), rtol=1e-12)
    # the naive "4 errors out of 5 positives" guess of 0.2 is recall's floor, not precision's
    assert A.WORST_PRECISION > 0.5
    for name in ("WORST_PRECISION", "BEST_PRECISION", "WORST_RECALL", "BEST_RECALL",
                 "ALL_NEGATIVE_ACCURACY"):
        value = getattr(A, name)
        assert type(value) is float and 0.0 <= value <= 1.0
