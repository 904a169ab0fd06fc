"""Code in the worker counts as the student's: a submission that replaces the
project's own a5 task routines at import, to report what a correct solution
would, earns nothing for functions it never wrote. (Each forgery below scored
full marks on its checks when the grader trusted the worker's verdicts.)"""

from __future__ import annotations

import pytest

from autograder.examples import materialize_reference
from autograder.grading import grade
from autograder.rubrics import load_rubric

FORGE = """

import numpy as _np

import autograder.sandbox.tasks.torch_a5 as _tasks


def _forged(*args, **kwargs):
    return {FORGED}


_tasks.{TASK} = _forged
"""

BROKEN = """

def {FUNCTION}(*args, **kwargs):
    raise NotImplementedError("not written")
"""

# (student file, function left unwritten, task forged, what the forged task reports, checks)
CASES = {
    "tiny overfit with a no-op train_one_epoch": (
        "train.py",
        None,
        "overfit_report",
        '{"labels": _np.arange(16) % 10, "predictions": (_np.arange(16) % 10)[None, :]}',
        ["tiny overfit"],
    ),
    "fit that does not exist keeps the best weights": (
        "train.py",
        "fit",
        "fit_report",
        '{"history": {k: [0.5] * 4 for k in ("train_loss", "train_accuracy", "val_loss", "val_accuracy")}, '
        '"final": {"loss": 0.5, "accuracy": 0.5}, "checkpoint": {"matches": True, "metrics": {}}}',
        ["fit keeps the best-validation weights"],
    ),
    "evaluate that does not exist runs in eval mode": (
        "train.py",
        "evaluate",
        "evaluate_report",
        '{"first": {"loss": 1.0, "accuracy": 0.5}, "second": {"loss": 1.0, "accuracy": 0.5}, '
        '"modes": [False], "grad_enabled": [False], "grads_created": False, "running_stats_changed": False}',
        ["evaluate in eval mode without gradients"],
    ),
    "CifarNet that does not exist has SPEC's parameters and dropout": (
        "model.py",
        "CifarNet",
        "cifarnet_report",
        '{"parameters": 1_191_170 + (args[0] - 10) * 1001, "output_shape": [len(args[3]), args[0]], '
        '"layers": [], "shapes": [], "logits": _np.zeros((len(args[3]), args[0])), '
        '"train_varies": args[2] > 0}',
        ["CifarNet parameter count", "CifarNet dropout"],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_forged_task_reports_earn_nothing(case, tmp_path, grading_seed):
    student_file, unwritten, task, forged, checks = CASES[case]
    path = materialize_reference("a5", tmp_path)
    with open(path / student_file, "a", encoding="utf-8") as handle:
        if unwritten:
            handle.write(BROKEN.format(FUNCTION=unwritten))
        else:  # train_one_epoch that trains nothing
            handle.write(
                BROKEN.format(FUNCTION="train_one_epoch").replace(
                    'raise NotImplementedError("not written")', 'return {"loss": 0.0, "accuracy": 1.0}'
                )
            )
        handle.write(FORGE.format(FORGED=forged, TASK=task))
    report = grade(load_rubric("a5"), path, seed=grading_seed, only=checks)
    for result in report.results:
        assert result.score == 0, (result.name, result.message)
