"""Schedules against torch.optim.lr_scheduler, and grid_search's visiting order."""

import itertools
import math

import pytest
import torch

STEPS = 100


def _torch_lrs(make_scheduler, lr0, steps=STEPS):
    """The learning rate torch uses at steps 0 .. steps (after t scheduler.step() calls)."""
    param = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([param], lr=lr0)
    scheduler = make_scheduler(opt)
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(steps):
        opt.step()
        scheduler.step()
        lrs.append(opt.param_groups[0]["lr"])
    return lrs


def _assert_schedule(ours, theirs, rel=1e-9, abs_=0.0):
    for t, (a, b) in enumerate(zip(ours, theirs)):
        assert isinstance(a, float), f"t={t}: expected a Python float, got {type(a).__name__}"
        assert math.isclose(a, b, rel_tol=rel, abs_tol=abs_), f"t={t}: {a} != {b}"


@pytest.mark.parametrize("drop,every", [(0.2, 10), (0.5, 7), (0.1, 1)])
def test_step_decay_matches_steplr(a3, drop, every):
    lr0 = 0.3
    theirs = _torch_lrs(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=every,
                                                                  gamma=drop), lr0)
    ours = [a3.schedules.step_decay(lr0, t, drop=drop, every=every) for t in range(STEPS + 1)]
    _assert_schedule(ours, theirs)


def test_step_decay_defaults_and_boundaries(a3):
    step_decay = a3.schedules.step_decay
    assert step_decay(1.0, 0) == 1.0
    assert step_decay(1.0, 9) == 1.0
    assert math.isclose(step_decay(1.0, 10), 0.2)
    assert math.isclose(step_decay(1.0, 25), 0.04)


@pytest.mark.parametrize("gamma", [0.95, 0.5, 1.0])
def test_exponential_decay_matches_exponentiallr(a3, gamma):
    theirs = _torch_lrs(lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=gamma), 0.1)
    ours = [a3.schedules.exponential_decay(0.1, t, gamma) for t in range(STEPS + 1)]
    _assert_schedule(ours, theirs, abs_=1e-300)


@pytest.mark.parametrize("T_max,lr_min", [(100, 0.0), (100, 1e-3), (37, 0.01)])
def test_cosine_annealing_matches_cosineannealinglr(a3, T_max, lr_min):
    lr0 = 0.1
    theirs = _torch_lrs(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(
        o, T_max=T_max, eta_min=lr_min), lr0, steps=T_max)
    ours = [a3.schedules.cosine_annealing(lr0, t, T_max, lr_min) for t in range(T_max + 1)]
    # torch updates the rate recursively, which equals the closed form up to rounding.
    _assert_schedule(ours, theirs, rel=1e-9, abs_=1e-12)
    assert ours[0] == pytest.approx(lr0) and ours[-1] == pytest.approx(lr_min, abs=1e-15)


@pytest.mark.parametrize("warmup", [1, 5, 20])
def test_linear_warmup_matches_linearlr(a3, warmup):
    lr0 = 0.2
    if warmup == 1:
        theirs = [lr0] * (STEPS + 1)
    else:
        theirs = _torch_lrs(lambda o: torch.optim.lr_scheduler.LinearLR(
            o, start_factor=1.0 / warmup, end_factor=1.0, total_iters=warmup - 1), lr0)
    ours = [a3.schedules.linear_warmup(lr0, t, warmup) for t in range(STEPS + 1)]
    _assert_schedule(ours, theirs)


def test_inverse_time_decay(a3):
    inverse = a3.schedules.inverse_time_decay
    assert inverse(0.5, 0, 0.1) == 0.5
    assert math.isclose(inverse(0.5, 10, 0.1), 0.25)
    assert math.isclose(inverse(1.0, 3, 1.0), 0.25)
    assert math.isclose(inverse(2.0, 7, 0.0), 2.0)
    values = [inverse(1.0, t, 0.3) for t in range(50)]
    assert all(a > b for a, b in zip(values, values[1:]))


class CountingTrain:
    """A train_fn that records its calls and returns scores from a table."""

    def __init__(self, score):
        self.calls = []
        self.score = score

    def __call__(self, **params):
        self.calls.append(params)
        return self.score(**params)


def test_grid_search_visits_every_combination_once_in_product_order(a3):
    grid = {"lr": [0.1, 0.01, 0.001], "reg": [0.0, 1e-3], "batch": [16, 64]}
    train = CountingTrain(lambda lr, reg, batch: -abs(math.log10(lr) + 2) - reg * 100 + batch / 1e4)
    best, results = a3.search.grid_search(train, grid)

    expected = [dict(zip(grid, values)) for values in itertools.product(*grid.values())]
    assert train.calls == expected
    assert [params for params, _ in results] == expected
    assert [score for _, score in results] == [train.score(**p) for p in expected]
    assert best == {"lr": 0.01, "reg": 0.0, "batch": 64}


def test_grid_search_ties_go_to_the_first(a3):
    grid = {"a": [1, 2, 3], "b": ["x", "y"]}
    train = CountingTrain(lambda a, b: 1.0 if (a, b) in {(2, "x"), (1, "y"), (3, "y")} else 0.0)
    best, results = a3.search.grid_search(train, grid)
    assert best == {"a": 1, "b": "y"}
    assert len(results) == 6 and len(train.calls) == 6


def test_grid_search_single_key_and_key_order(a3):
    train = CountingTrain(lambda b, a: a * b)
    best, results = a3.search.grid_search(train, {"b": [2, -1], "a": [1, 3]})
    assert train.calls == [{"b": 2, "a": 1}, {"b": 2, "a": 3}, {"b": -1, "a": 1}, {"b": -1, "a": 3}]
    assert best == {"b": 2, "a": 3}
    assert results[1] == ({"b": 2, "a": 3}, 6)
