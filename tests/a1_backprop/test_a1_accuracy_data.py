"""The data of a1's accuracy checks: the packaged digits against scikit-learn's copy,
the circles against scikit-learn's generator, the per-run disguise (split, rotation,
class ids) against brute force, and a submission that looks its inputs up."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from autograder.checks.accuracy import random_rotation, stratified_split
from autograder.data import digits as digits_module
from autograder.data.circles import make_circles
from autograder.data.errors import DataError
from autograder.examples import materialize_reference
from autograder.grading import grade
from autograder.rubrics import a1_backprop as rubric
from autograder.rubrics import load_rubric

ACCURACY_CHECKS = ["digits accuracy", "circles accuracy"]


def test_packaged_digits_are_scikit_learns():
    from sklearn.datasets import load_digits

    reference = load_digits()
    pixels, labels = digits_module.load_digits()
    np.testing.assert_array_equal(pixels, reference.data)
    np.testing.assert_array_equal(labels, reference.target)


def test_an_altered_digits_file_is_refused(tmp_path, monkeypatch):
    copy = tmp_path / "digits.npy"
    shutil.copyfile(digits_module.DIGITS_FILE, copy)
    content = bytearray(copy.read_bytes())
    content[-1] ^= 1  # one pixel of the last image
    copy.write_bytes(bytes(content))
    monkeypatch.setattr(digits_module, "DIGITS_FILE", copy)
    digits_module.load_digits.cache_clear()
    try:
        with pytest.raises(DataError, match="checksum"):
            digits_module.load_digits()
        monkeypatch.setattr(digits_module, "DIGITS_FILE", tmp_path / "absent.npy")
        with pytest.raises(DataError, match="cannot be read"):
            digits_module.load_digits()
    finally:
        digits_module.load_digits.cache_clear()


def test_circles_have_scikit_learns_distribution():
    """Radii and label counts of make_circles and of scikit-learn's, on large samples."""
    from sklearn.datasets import make_circles as sklearn_circles

    mine, mine_labels = make_circles(np.random.default_rng(0), n=20_000)
    theirs, their_labels = sklearn_circles(n_samples=20_000, noise=0.1, factor=0.5, random_state=0)
    assert np.bincount(mine_labels).tolist() == np.bincount(their_labels).tolist()
    for label in (0, 1):
        r_mine = np.linalg.norm(mine[mine_labels == label], axis=1)
        r_theirs = np.linalg.norm(theirs[their_labels == label], axis=1)
        assert abs(r_mine.mean() - r_theirs.mean()) < 0.005 and abs(r_mine.std() - r_theirs.std()) < 0.005
    angles = np.arctan2(mine[:, 1], mine[:, 0])
    assert np.histogram(angles, bins=8)[0].min() > 0.9 * len(angles) / 8  # no direction left out


def test_stratified_split_holds_out_each_class_once():
    rng = np.random.default_rng(1)
    y = np.repeat(np.arange(4), [10, 21, 33, 7])
    x = np.arange(len(y), dtype=np.float64)[:, None]  # each row names its sample
    split = stratified_split(rng, x, y, test_fraction=0.3)
    train, test = split.x_train[:, 0].astype(int), split.x_test[:, 0].astype(int)
    assert sorted(train.tolist() + test.tolist()) == list(range(len(y)))
    np.testing.assert_array_equal(split.y_train, y[train])
    np.testing.assert_array_equal(split.y_test, y[test])
    assert np.bincount(split.y_test).tolist() == [3, 6, 10, 2]  # round(0.3 * count) per class
    assert train.tolist() != sorted(train.tolist())  # a new order


def test_random_rotation_is_orthogonal_and_drawn_afresh():
    first, second = (random_rotation(np.random.default_rng(seed), 64) for seed in (0, 1))
    np.testing.assert_allclose(first.T @ first, np.eye(64), atol=1e-12)
    assert not np.allclose(first, second)
    # Haar-distributed: each entry has mean 0 and variance 1 / dim over many draws
    entries = np.stack([random_rotation(np.random.default_rng(seed), 8)[2, 5] for seed in range(4000)])
    assert abs(entries.mean()) < 0.02 and abs(entries.var() - 1 / 8) < 0.01


def test_disguised_digits_keep_their_geometry_but_not_their_coordinates():
    pixels, labels = digits_module.load_digits()
    split = rubric.digits_split(np.random.default_rng(2))
    shown = np.concatenate([split.x_train, split.x_test])
    assert shown.shape == pixels.shape
    # no shown row is near any row of the public copy (a lookup finds nothing) ...
    plain = pixels / 16.0
    nearest = np.sqrt(((shown[:300, None, :] - plain[None]) ** 2).sum(-1)).min(axis=1)
    assert nearest.min() > 0.5
    # ... yet the lengths of the rows (and so what a network sees) are those of the data
    np.testing.assert_allclose(
        np.sort(np.linalg.norm(shown, axis=1)), np.sort(np.linalg.norm(plain, axis=1)), atol=0.3
    )
    # the class ids are permuted, the class sizes kept
    assert sorted(np.bincount(np.concatenate([split.y_train, split.y_test])).tolist()) == sorted(
        np.bincount(labels).tolist()
    )


def _reference_accuracy(a1, split, sizes, epochs):
    network = a1["network"]
    params, _ = network.train_sgd(
        network.init_mlp(sizes, seed=0),
        split.x_train,
        split.y_train,
        lr=0.1,
        epochs=epochs,
        batch_size=32,
        seed=0,
    )
    return float(np.mean(network.predict(params, split.x_test) == split.y_test))


@pytest.mark.slow
def test_the_reference_keeps_full_marks_on_every_disguise(a1):
    """Over 60 grading seeds the reference reaches each check's target, and the disguise
    costs it nothing: its mean accuracy is that of plain random splits of the same data."""
    checks = {check.name: check for check in load_rubric("a1").checks}
    pixels, labels = digits_module.load_digits()
    digits, plain, circles = [], [], []
    for seed in range(60):
        digits.append(
            _reference_accuracy(a1, rubric.digits_split(np.random.default_rng(seed)), [64, 64, 10], 20)
        )
        undisguised = stratified_split(np.random.default_rng(seed), pixels / 16.0, labels, 0.3)
        plain.append(_reference_accuracy(a1, undisguised, [64, 64, 10], 20))
        circles_split = rubric.circles_split(np.random.default_rng(seed))
        circles.append(_reference_accuracy(a1, circles_split, [2, 32, 32, 2], 50))
    assert min(digits) >= checks["digits accuracy"].target, min(digits)
    assert min(circles) >= checks["circles accuracy"].target, min(circles)
    assert abs(np.mean(digits) - np.mean(plain)) < 0.005, (np.mean(digits), np.mean(plain))


LOOKUP = '''

def train_sgd(params, X, y, *, lr, epochs, batch_size, reg=0.0, activation="relu", seed=0,
              X_val=None, y_val=None):
    """No training at all."""
    return {k: v.copy() for k, v in params.items()}, {"loss": [], "val_acc": []}


def predict(params, X, activation="relu"):
    """Labels looked up in scikit-learn's copies of the data, whatever the params."""
    from sklearn.datasets import load_digits, make_circles

    if X.shape[1] == 64:   # the nearest of sklearn's digits (scaled like the grader's)
        digits = load_digits()
        public, labels = digits.data / 16.0, digits.target
        distances = (X ** 2).sum(1)[:, None] - 2 * X @ public.T + (public ** 2).sum(1)[None]
        return labels[distances.argmin(axis=1)].astype(np.int64)
    public, labels = make_circles(n_samples=600, noise=0.1, factor=0.5, random_state=0)
    found = {tuple(np.round(point, 9)): label for point, label in zip(public, labels)}
    return np.array([found.get(tuple(np.round(point, 9)), 0) for point in X], dtype=np.int64)
'''


def test_looking_the_inputs_up_in_scikit_learns_copies_earns_nothing(tmp_path, grading_seed):
    path = materialize_reference("a1", tmp_path)
    with open(path / "network.py", "a", encoding="utf-8") as handle:
        handle.write(LOOKUP)
    report = grade(load_rubric("a1"), path, seed=grading_seed, only=ACCURACY_CHECKS)
    for result in report.results:
        assert result.score == 0, (result.name, result.message)
        assert result.details["accuracy"] < 0.6, result.details
