"""The a3 rubric names slips with its own simulation of the update rules: without
a slip that simulation must be the reference's algorithm, and every slip must
actually change the trajectory on the rubric's own problems."""

from dataclasses import astuple

import numpy as np
import pytest

from autograder.checks import TrajectoryCheck
from autograder.rubrics import a3_optimizers as rubric
from autograder.rubrics.optimizer_slips import SLIPS, simulate

RUNS = [run for check in rubric.checks if isinstance(check, TrajectoryCheck)
        for run in check.runs]


def _reference(a3, run, w0, grads):
    rule = getattr(a3.optim, run.rule)
    w, config, out = w0.copy(), None if run.config is None else dict(run.config), []
    for k in range(run.steps):
        w, config = rule(w, np.sin if run.rule == "sam_update" else grads[k], config)
        out.append(w)
    return np.stack(out)


@pytest.mark.parametrize("run", RUNS, ids=[f"{r.rule}-{i}" for i, r in enumerate(RUNS)])
def test_simulation_without_slip_is_the_reference(a3, run):
    w0, grads = astuple(rubric.draw_start_and_gradients(np.random.default_rng(0), run))
    np.testing.assert_allclose(simulate(run.rule, w0, grads, run.config, run.steps),
                               _reference(a3, run, w0, grads), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("rule", sorted(SLIPS))
def test_every_slip_changes_some_graded_trajectory(a3, rule):
    runs = [run for run in RUNS if run.rule == rule]
    for key in [slip.key for slip in SLIPS[rule]]:
        changed = False
        for run in runs:
            w0, grads = astuple(rubric.draw_start_and_gradients(np.random.default_rng(1), run))
            with np.errstate(all="ignore"):
                slipped = simulate(run.rule, w0, grads, run.config, run.steps, slip=key)
            reference = _reference(a3, run, w0, grads)
            changed |= not np.allclose(slipped, reference, rtol=1e-6, atol=1e-9)
        assert changed, f"{rule}: slip {key!r} gives the reference's trajectory on every graded run"


@pytest.mark.parametrize("rule", sorted(SLIPS))
def test_no_slip_is_shadowed_by_an_earlier_one(rule):
    """The first slip whose trajectory matches names the bug, so two slips that
    give the same trajectory on every graded run would misname the second."""
    runs = [run for run in RUNS if run.rule == rule]
    problems = [astuple(rubric.draw_start_and_gradients(np.random.default_rng(2), run)) for run in runs]
    seen = {}
    for key in [slip.key for slip in SLIPS[rule]]:
        with np.errstate(all="ignore"):
            trajectories = [simulate(run.rule, w0, grads, run.config, run.steps, slip=key)
                            for run, (w0, grads) in zip(runs, problems)]
        for earlier, others in seen.items():
            same = all(np.allclose(a, b, rtol=1e-6, atol=1e-9, equal_nan=True)
                       for a, b in zip(trajectories, others))
            assert not same, f"{rule}: slip {key!r} is indistinguishable from {earlier!r}"
        seen[key] = trajectories
