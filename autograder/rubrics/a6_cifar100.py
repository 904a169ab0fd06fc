"""Rubric for a6_cifar100, the GPU challenge: build_model, model.pt, train().

The student's code and checkpoint only ever run in the sandbox worker
(``autograder/sandbox/tasks/torch_a6.py``): it builds the model, loads
``model.pt`` with ``torch.load(weights_only=True)``, runs train() and sends
back logits and weights for the images the grader sends. The grader keeps the
labels, measures train()'s time and computes every accuracy itself
(``autograder/checks/trained_model.py``).

Options (``ctx.options``; all optional):
  floor, target   accuracy scale of "test accuracy" (defaults 0.40 and 0.70):
                  no points at or below the floor, full points from the target;
  retrain         evaluate a model trained by the submission's own train() in
                  the sandbox, under its time budget, instead of model.pt (a
                  secret slice of the training split, drawn per run, is kept
                  away from train() and its accuracy reported beside the test
                  accuracy);
  time_budget_s   the budget of that training run (default 600); train() is
                  stopped at the budget plus 5% and 5 s;
  device          "auto" (a GPU when there is one), "cuda" or "cpu".
The test split comes from ``--data-root`` (``ctx.data_root``), else
$AUTOGRADER_DATA, else the repository's source_data/.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from autograder.checks.base import CheckFailed, Context
from autograder.checks.trained_model import (
    CheckpointCheck,
    HeldOutAccuracyCheck,
    LabelledImages,
    ModelBuildCheck,
    ModelTasks,
    TrainingBudgetCheck,
)
from autograder.data.manifest import default_root
from autograder.rubrics.base import Rubric
from autograder.sandbox.isolation import Limits

TASKS = ModelTasks("autograder.sandbox.tasks.torch_a6", classes=100)
DEFAULT_FLOOR, DEFAULT_TARGET = 0.40, 0.70
DEFAULT_TIME_BUDGET = 600.0
SMOKE_BUDGET = 6.0  # seconds for train() on the small synthetic set, on the CPU
SMOKE_SLACK = (1.25, 0.5)  # allowed: budget * 1.25 + 0.5 s (timer noise on a busy machine)
SMOKE_CLASSES, SMOKE_PER_CLASS = 8, 10


# -- data -------------------------------------------------------------------------------
def data_root(ctx: Context) -> Path | None:
    """The first of --data-root and default_root() ($AUTOGRADER_DATA, else source_data/) that
    holds cifar-100-python."""
    for candidate in (ctx.data_root, default_root()):
        if candidate and (Path(candidate) / "cifar-100-python").is_dir():
            return Path(candidate)
    return None


@lru_cache(maxsize=4)
def load_split(root: str, train: bool) -> LabelledImages:
    """One split of the CIFAR-100 under ``root``: uint8 (N, 32, 32, 3) images, int64 labels."""
    from autograder.data.load import cifar_dataset, is_synth

    dataset = cifar_dataset("cifar100", root, train=train)
    return LabelledImages(
        np.ascontiguousarray(dataset.data, dtype=np.uint8),
        np.asarray(dataset.targets, dtype=np.int64),
        list(dataset.classes),
        root,
        is_synth("cifar100", root),
    )


def cifar100_split(train: bool):
    """``split(ctx)`` for the checks: the train or test split, or CheckFailed with one sentence."""

    def split(ctx: Context) -> LabelledImages:
        root = data_root(ctx)
        if root is None:
            raise CheckFailed(
                "CIFAR-100 was not found (looked at --data-root, $AUTOGRADER_DATA and "
                "source_data/): run `autograder data fetch cifar100`"
            )
        try:
            return load_split(str(root), train)
        except Exception as exc:  # noqa: BLE001 - DataError and friends: one sentence
            raise CheckFailed(
                f"the CIFAR-100 {'training' if train else 'test'} split under {root} could not be read: {exc}"
            ) from None

    return split


@lru_cache(maxsize=1)
def smoke_split() -> tuple[LabelledImages, np.ndarray]:
    """A small synthetic CIFAR-100 (its first SMOKE_CLASSES classes) for the train() check:
    the training split and 16 images to evaluate the trained model on."""
    from autograder.data.synth import synth_arrays

    x_train, y_train, x_test, y_test = synth_arrays("cifar100", n=100 * SMOKE_PER_CLASS, n_test=200, seed=0)
    keep = y_train < SMOKE_CLASSES
    names = [f"synth_fine_{k:02d}" for k in range(TASKS.classes)]
    return (
        LabelledImages(x_train[keep], y_train[keep], names, synthetic=True),
        x_test[y_test < SMOKE_CLASSES][:16],
    )


def _gpu_present() -> bool:
    return os.path.exists("/dev/nvidiactl") or os.path.exists("/dev/nvidia0")


checks = [
    ModelBuildCheck("build_model", 2, TASKS, timeout=120),
    CheckpointCheck("model.pt", 2, TASKS, timeout=120),
    HeldOutAccuracyCheck(
        "test accuracy",
        8,
        TASKS,
        test_split=cifar100_split(train=False),
        train_split=cifar100_split(train=True),
        floor=DEFAULT_FLOOR,
        target=DEFAULT_TARGET,
        time_budget=DEFAULT_TIME_BUDGET,
        timeout=None,
    ),
    TrainingBudgetCheck(
        "train() keeps its time budget",
        3,
        TASKS,
        split=smoke_split,
        budget=SMOKE_BUDGET,
        slack=SMOKE_SLACK,
        timeout=120,
    ),
]

RUBRIC = Rubric(
    id="a6_cifar100",
    title="The GPU challenge: CIFAR-100 against the clock",
    modules=["challenge"],
    checks=checks,
    timeout=1800.0,  # evaluating 10,000 test images on one CPU thread takes minutes
    budget=7200.0,
    # CUDA maps far more address space than it uses: no address-space limit with a GPU.
    limits=Limits(memory_mb=None if _gpu_present() else 16384, cpu_s=7200, processes=256, file_mb=512),
    notebook="a6_cifar100.ipynb",
    extra_files=["model.pt"],
)
