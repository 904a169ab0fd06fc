"""Rubric for a5_cifar10: CIFAR data pipeline, CifarNet, and the training loop.

One module of checks per student file: :mod:`data_checks` (data.py),
:mod:`model_checks` (model.py), :mod:`train_checks` (train.py). The student's
torch code runs in the worker inside situations built from a seed by
``autograder/sandbox/tasks/torch_a5.py``, which send back plain arrays and
numbers (:mod:`reports`). The grader builds the same situations with the
reference functions in its own process for the expected values (probe models
are float64, so stored public values agree on every machine), and judges
trained probe models from their weights itself: a report from the worker is
the student's claim, whoever wrote the code that made it.
"""

from autograder.rubrics.a5_cifar10 import data_checks, model_checks, train_checks
from autograder.rubrics.base import Rubric

RUBRIC = Rubric(
    id="a5_cifar10",
    title="A CNN for CIFAR-10 in PyTorch",
    modules=["data", "model", "train"],
    checks=[*data_checks.CHECKS, *model_checks.CHECKS, *train_checks.CHECKS],
    timeout=30.0,
    notebook="a5_cifar10.ipynb",
)
