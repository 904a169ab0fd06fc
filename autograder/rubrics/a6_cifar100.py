"""Rubric for a6_cifar100, the GPU challenge: build_model, model.pt, train().

The student's code and checkpoint only ever run in the sandbox worker
(``autograder/sandbox/tasks/torch_a6.py``): it builds the model, loads
``model.pt`` with ``torch.load(weights_only=True)`` and sends back logits for
the images the grader sends. The grader keeps the test labels and computes
every accuracy itself.

Options (``ctx.options``; all optional):
  floor, target   accuracy scale of "test accuracy" (defaults 0.40 and 0.70):
                  no points at or below the floor, full points from the target;
  retrain         evaluate a model trained by the submission's own train() in
                  the sandbox, under its time budget, instead of model.pt;
  time_budget_s   the budget of that training run (default 600);
  device          "auto" (a GPU when there is one), "cuda" or "cpu".
The test split comes from ``--data-root`` (``ctx.data_root``), else
$AUTOGRADER_DATA, else the repository's source_data/.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from autograder.checks.base import Check, Context
from autograder.data.manifest import SOURCE_DATA
from autograder.rubrics.base import Rubric
from autograder.sandbox.client import Call
from autograder.sandbox.isolation import Limits

TASK = "autograder.sandbox.tasks.torch_a6"
NUM_CLASSES = 100
DEFAULT_FLOOR, DEFAULT_TARGET = 0.40, 0.70
DEFAULT_TIME_BUDGET = 600.0
SMOKE_BUDGET = 6.0            # seconds for train() on the small synthetic set, on the CPU
SMOKE_SLACK = (1.25, 0.5)     # allowed: budget * 1.25 + 0.5 s (timer noise on a busy machine)
SMOKE_CLASSES, SMOKE_PER_CLASS = 8, 10


# -- data -------------------------------------------------------------------------------
def data_root(ctx: Context) -> Path | None:
    """The first of --data-root, $AUTOGRADER_DATA and source_data/ that holds cifar-100-python."""
    for candidate in (ctx.data_root, os.environ.get("AUTOGRADER_DATA"), SOURCE_DATA):
        if candidate and (Path(candidate) / "cifar-100-python").is_dir():
            return Path(candidate)
    return None


@lru_cache(maxsize=4)
def load_split(root: str, train: bool) -> dict:
    """images uint8 (N, 32, 32, 3), labels int64 (N,), class names and whether it is synthetic."""
    from autograder.data.load import cifar_dataset, is_synth

    dataset = cifar_dataset("cifar100", root, train=train)
    return {"images": np.ascontiguousarray(dataset.data, dtype=np.uint8),
            "labels": np.asarray(dataset.targets, dtype=np.int64),
            "names": list(dataset.classes), "synthetic": is_synth("cifar100", root)}


@lru_cache(maxsize=1)
def smoke_split() -> dict:
    """A small synthetic CIFAR-100 (its first SMOKE_CLASSES classes) for the train() check."""
    from autograder.data.synth import synth_arrays

    x_train, y_train, x_test, y_test = synth_arrays("cifar100", n=100 * SMOKE_PER_CLASS, n_test=200, seed=0)
    keep_train, keep_test = y_train < SMOKE_CLASSES, y_test < SMOKE_CLASSES
    return {"train": (x_train[keep_train], y_train[keep_train]), "test": (x_test[keep_test], y_test[keep_test])}


# -- helpers ----------------------------------------------------------------------------
def _task(name: str, *args, **kwargs) -> Call:
    return Call(f"{TASK}:{name}", args, kwargs, kind="task")


def _device(ctx: Context) -> str:
    return str(ctx.options.get("device", "auto"))


def _float_option(ctx: Context, key: str, default: float) -> float:
    try:
        return float(ctx.options.get(key, default))
    except (TypeError, ValueError):
        return default


def _logits_problem(logits, n: int) -> str:
    """Why ``logits`` cannot be (n, 100) class scores ('' if they can)."""
    if type(logits) is not np.ndarray or logits.dtype.kind != "f":
        return f"the model should return float logits, got {type(logits).__name__}"
    if logits.shape != (n, NUM_CLASSES):
        return f"the model should return logits of shape ({n}, {NUM_CLASSES}), got {logits.shape}"
    if not np.all(np.isfinite(logits)):
        return f"the model returned {int(np.sum(~np.isfinite(logits)))} non-finite logits (NaN or inf)"
    return ""


def accuracy_report(logits: np.ndarray, labels: np.ndarray, names: list[str]) -> dict:
    """top-1 and top-5 accuracy, and the five classes with the lowest top-1 accuracy."""
    top5 = np.argsort(-logits, axis=1, kind="stable")[:, :5]
    hit1 = top5[:, 0] == labels
    hit5 = np.any(top5 == labels[:, None], axis=1)
    present = np.unique(labels)
    per_class = {int(c): float(hit1[labels == c].mean()) for c in present}
    worst = sorted(per_class, key=lambda c: (per_class[c], c))[:5]
    return {"top1": float(hit1.mean()), "top5": float(hit5.mean()),
            "worst_classes": [[names[c] if c < len(names) else str(c), per_class[c]] for c in worst],
            "per_class": {names[c] if c < len(names) else str(c): a for c, a in per_class.items()}}


# -- checks -----------------------------------------------------------------------------
class BuildModelCheck(Check):
    """build_model() gives an nn.Module mapping (N, 3, 32, 32) images in [0, 1] to (N, 100) logits."""

    kind = "property"

    def run(self, ctx: Context):
        images = ctx.rng(self.name).random((5, 3, 32, 32)).astype(np.float32)
        (outcome,) = ctx.sandbox.run([_task("probe_model", images)], timeout=self.timeout)
        if not outcome.ok:
            return self.from_outcome(outcome, "build_model")
        value = outcome.value
        for mode in ("train", "eval"):
            out = value.get(mode) if isinstance(value, dict) else None
            if isinstance(out, str):
                return self.failed(f"in {mode} mode the model returned {out}; it should return one "
                                   f"float tensor of logits of shape (5, {NUM_CLASSES})")
            problem = _logits_problem(out, 5)
            if problem:
                return self.failed(f"in {mode} mode {problem}")
        out = value["eval"]
        if np.all(out >= 0) and np.allclose(out.sum(axis=1), 1.0, atol=1e-4):
            return self.failed("the model returns probabilities (each row is positive and sums to 1); "
                               "return the raw logits: cross-entropy applies the (log-)softmax itself")
        return self.passed(f"build_model() maps 5 images to ({5}, {NUM_CLASSES}) logits "
                           f"({value.get('parameters', 0):,} parameters)")


class CheckpointCheck(Check):
    """model.pt is a plain state_dict (tensors only) that loads into a fresh build_model()."""

    kind = "property"

    def run(self, ctx: Context):
        images = ctx.rng(self.name).integers(0, 256, (2, 32, 32, 3), dtype=np.uint8)
        (outcome,) = ctx.sandbox.run([_task("checkpoint_logits", images, device="cpu")], timeout=self.timeout)
        if not outcome.ok:
            return self.from_outcome(outcome, "loading model.pt into build_model()")
        problem = outcome.value.get("problem", "") if isinstance(outcome.value, dict) else "no result"
        if problem:
            return self.failed(problem)
        problem = _logits_problem(outcome.value.get("logits"), 2)
        if problem:
            return self.failed(f"with model.pt loaded, {problem}")
        return self.passed("model.pt is a plain state_dict that loads into build_model()")


class TestAccuracyCheck(Check):
    """Top-1 accuracy on the CIFAR-100 test split, scaled between a floor and a target."""

    kind = "accuracy"

    def run(self, ctx: Context):
        root = data_root(ctx)
        if root is None:
            return self.failed("CIFAR-100 was not found (looked at --data-root, $AUTOGRADER_DATA and "
                               "source_data/): run `autograder data fetch cifar100`")
        try:
            test = load_split(str(root), False)
        except Exception as exc:  # noqa: BLE001 - DataError and friends: one sentence
            return self.failed(f"the CIFAR-100 test split under {root} could not be read: {exc}")
        floor = _float_option(ctx, "floor", DEFAULT_FLOOR)
        target = _float_option(ctx, "target", DEFAULT_TARGET)
        details = {"floor": floor, "target": target, "data_root": str(root),
                   "synthetic_data": test["synthetic"]}
        if ctx.options.get("retrain"):
            budget = _float_option(ctx, "time_budget_s", DEFAULT_TIME_BUDGET)
            train = load_split(str(root), True)
            call = _task("train_and_predict", train["images"], train["labels"], test["images"], budget,
                         device=_device(ctx), seed=0, class_names=train["names"])
            timeout = self.timeout or budget * 1.5 + 900
            source = "the model train() produced in the sandbox"
        else:
            call = _task("checkpoint_logits", test["images"], device=_device(ctx))
            timeout = self.timeout
            source = "model.pt"
        (outcome,) = ctx.sandbox.run([call], timeout=timeout)
        if not outcome.ok:
            return self.from_outcome(outcome, "evaluating " + source)
        value = outcome.value if isinstance(outcome.value, dict) else {"problem": "no result"}
        if value.get("problem"):
            return self.failed(f"{source} could not be evaluated: {value['problem']}", **details)
        if ctx.options.get("retrain"):
            details["train_seconds"] = value.get("seconds")
            details["time_budget_s"] = budget
        problem = _logits_problem(value.get("logits"), len(test["labels"]))
        if problem:
            return self.failed(f"evaluating {source}: {problem}", **details)
        report = accuracy_report(value["logits"], test["labels"], test["names"])
        details.update(report, source=source)
        worst = ", ".join(f"{name} {acc:.2f}" for name, acc in report["worst_classes"])
        which = "synthetic stand-in" if test["synthetic"] else "CIFAR-100"
        message = (f"{source}: test accuracy {report['top1']:.3f} (top-5 {report['top5']:.3f}) on the "
                   f"{len(test['labels']):,} {which} test images; full marks from {target:.2f}, none at "
                   f"or below {floor:.2f}. Weakest classes: {worst}")
        if ctx.options.get("retrain"):
            message += f". train() took {value.get('seconds', 0):.0f} s of its {budget:g} s budget"
        fraction = float(np.clip((report["top1"] - floor) / (target - floor), 0, 1)) if target > floor \
            else float(report["top1"] >= target)
        return self.passed(message, **details) if fraction >= 1 else \
            self.failed(message, fraction=fraction, **details)


class TrainBudgetCheck(Check):
    """train() runs on a small synthetic CIFAR-100 on the CPU and returns a
    build_model()-compatible module within its time budget."""

    kind = "property"

    def prepare(self) -> None:
        smoke_split()

    def run(self, ctx: Context):
        split = smoke_split()
        (x_train, y_train), (x_test, _) = split["train"], split["test"]
        names = [f"synth_fine_{k:02d}" for k in range(NUM_CLASSES)]
        call = _task("train_and_predict", x_train, y_train, x_test[:16], SMOKE_BUDGET, device="cpu",
                     seed=0, class_names=names)
        limit = SMOKE_BUDGET * SMOKE_SLACK[0] + SMOKE_SLACK[1]
        timeout = self.timeout or SMOKE_BUDGET * 2 + 20
        (outcome,) = ctx.sandbox.run([call], timeout=timeout)
        what = (f"train() on a small synthetic CIFAR-100 ({len(y_train)} images) on the CPU with "
                f"time_budget_s={SMOKE_BUDGET:g}")
        if outcome.status == "timeout":
            return self.failed(f"{what} did not return within {timeout:g} s: it must watch "
                               "the clock and stop training when its budget is spent")
        if not outcome.ok:
            return self.from_outcome(outcome, what)
        value = outcome.value if isinstance(outcome.value, dict) else {"problem": "no result"}
        if value.get("problem"):
            return self.failed(f"{what}: {value['problem']}")
        problem = _logits_problem(value.get("logits"), 16)
        if problem:
            return self.failed(f"{what}: the trained model fails: {problem}")
        seconds = float(value.get("seconds", 0.0))
        if seconds > limit:
            return self.failed(f"{what} took {seconds:.1f} s: over its budget. Measure the elapsed time "
                               "(data loading included) and stop, or plan the number of steps from the "
                               "measured speed", fraction=1 / 3, seconds=seconds)
        return self.passed(f"train() returned a build_model()-compatible module in {seconds:.1f} s "
                           f"of its {SMOKE_BUDGET:g} s budget", seconds=seconds)


def _gpu_present() -> bool:
    return os.path.exists("/dev/nvidiactl") or os.path.exists("/dev/nvidia0")


checks = [
    BuildModelCheck("build_model", 2, timeout=120),
    CheckpointCheck("model.pt", 2, timeout=120),
    TestAccuracyCheck("test accuracy", 8, timeout=None),
    TrainBudgetCheck("train() keeps its time budget", 3, timeout=None),
]

RUBRIC = Rubric(
    id="a6_cifar100",
    title="The GPU challenge: CIFAR-100 against the clock",
    modules=["challenge"],
    checks=checks,
    timeout=1800.0,        # evaluating 10,000 test images on one CPU thread takes minutes
    budget=7200.0,
    # CUDA maps far more address space than it uses: no address-space limit with a GPU.
    limits=Limits(memory_mb=None if _gpu_present() else 16384, cpu_s=7200, processes=256, file_mb=512),
    notebook="a6_cifar100.ipynb",
    extra_files=["model.pt"],
)
