"""Checks of a model that the student builds and trains with their own code (a6).

The worker side is a task module (``ModelTasks.module``, e.g.
``autograder/sandbox/tasks/torch_a6.py``) with these routines:

  probe_model(images)                            {"train", "eval": logits or a description, "parameters"}
  checkpoint_logits(images, device=)             model.pt in a fresh build_model(): {"problem"} or {"logits"}
  write_training_split(images, labels, names)    {"sums"}: the split written for train()
  train_weights(sums, time_budget_s, device=, seed=)   {"problem"} or {"weights": {name: array}}
  weights_logits(weights, images, device=)       {"problem"} or {"logits"}

What they return is the student's claim. Labels, clocks and scores live in the
grader: it sends images only (the held-out images in an order drawn per run),
times train() from its own side of the pipe and stops it at the budget plus a
small margin, takes the trained weights as bounded arrays, and has them
evaluated in a fresh worker that never ran train(). In retrain mode it also
keeps a slice of the training split, drawn per run, away from train() and
reports the accuracy on it next to the test accuracy: a model that memorised
the public test set shows a large gap between the two.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograder.checks.accuracy import scaled_score
from autograder.checks.base import Check, CheckFailed, Context
from autograder.checks.state import checked_state
from autograder.report.model import CheckResult
from autograder.sandbox.client import Call, Outcome

MAX_WEIGHT_BYTES = 512 << 20  # the trained weights a worker may send back
WRITE_TIMEOUT = 300.0  # seconds to send and write a training split
SECRET_SLICE = (1000, 0.1)  # at most this many training images, and at most this fraction
GAP_FLAG = 0.10  # test accuracy this far above the secret slice's (and 4 standard errors) is flagged


@dataclass(frozen=True)
class ModelTasks:
    """The worker's task module for a student-built model, and the logits per image it must give."""

    module: str
    classes: int

    def call(self, task: str, *args, max_bytes: int | None = None, **kwargs) -> Call:
        return Call(f"{self.module}:{task}", args, kwargs, kind="task", max_bytes=max_bytes)


@dataclass(frozen=True)
class LabelledImages:
    """uint8 images (N, 32, 32, 3) with int64 labels (N,), the class names, where they came
    from and whether they are a synthetic stand-in."""

    images: np.ndarray
    labels: np.ndarray
    names: list[str]
    source: str = ""
    synthetic: bool = False

    def subset(self, index: np.ndarray) -> LabelledImages:
        return LabelledImages(self.images[index], self.labels[index], self.names, self.source, self.synthetic)


def logits_problem(logits, n: int, classes: int) -> str:
    """Why ``logits`` cannot be (n, classes) class scores ('' if they can)."""
    if type(logits) is not np.ndarray or logits.dtype.kind != "f":
        return f"the model should return float logits, got {type(logits).__name__}"
    if logits.shape != (n, classes):
        return f"the model should return logits of shape ({n}, {classes}), got {logits.shape}"
    if not np.all(np.isfinite(logits)):
        return f"the model returned {int(np.sum(~np.isfinite(logits)))} non-finite logits (NaN or inf)"
    return ""


def accuracy_report(logits: np.ndarray, labels: np.ndarray, names: list[str]) -> dict:
    """top-1 and top-5 accuracy of logits (N, C) for labels (N,), the per-class top-1 accuracy
    and the five classes with the lowest."""
    top5 = np.argsort(-logits, axis=1, kind="stable")[:, :5]
    hit1 = top5[:, 0] == labels
    hit5 = np.any(top5 == labels[:, None], axis=1)
    present = np.unique(labels)
    per_class = {int(c): float(hit1[labels == c].mean()) for c in present}
    worst = sorted(per_class, key=lambda c: (per_class[c], c))[:5]
    return {
        "top1": float(hit1.mean()),
        "top5": float(hit5.mean()),
        "worst_classes": [[names[c] if c < len(names) else str(c), per_class[c]] for c in worst],
        "per_class": {names[c] if c < len(names) else str(c): a for c, a in per_class.items()},
    }


def float_option(ctx: Context, key: str, default: float) -> float:
    try:
        return float(ctx.options.get(key, default))
    except (TypeError, ValueError):
        return default


def device_option(ctx: Context) -> str:
    """The --device option: "auto" (a GPU when there is one), "cuda" or "cpu"."""
    return str(ctx.options.get("device", "auto"))


def kill_after(budget: float) -> float:
    """When a retraining run is stopped: its budget plus 5% and 5 s (for the weights' transfer)."""
    return budget * 1.05 + 5.0


def secret_slice(rng: np.random.Generator, n: int) -> np.ndarray:
    """Indices of the training images kept away from train() in this run (sorted)."""
    size = min(SECRET_SLICE[0], int(n * SECRET_SLICE[1]))
    return np.sort(rng.choice(n, size=size, replace=False))


def gap_is_suspicious(test_top1: float, n_test: int, secret_top1: float, n_secret: int) -> bool:
    """Whether the test accuracy exceeds the secret slice's by more than chance allows."""
    pooled = (test_top1 * n_test + secret_top1 * n_secret) / (n_test + n_secret)
    spread = math.sqrt(max(pooled * (1 - pooled), 1e-12) * (1 / n_test + 1 / n_secret))
    return test_top1 - secret_top1 > max(GAP_FLAG, 4 * spread)


@dataclass
class TrainedRun:
    """What the grader saw of one training run.

    seconds: train()'s time by the grader's clock (None if it never started);
    logits: float32 (M, C) of the images sent for evaluation; otherwise
    outcome (a call that did not return normally) and stage (what was running),
    or problem (the student's mistake, one sentence).
    """

    seconds: float | None = None
    logits: np.ndarray | None = None
    problem: str = ""
    outcome: Outcome | None = None
    stage: str = ""
    details: dict = field(default_factory=dict)


def _value(outcome: Outcome) -> dict:
    if isinstance(outcome.value, dict):
        return outcome.value
    return {"problem": "the worker sent back something malformed"}


def train_and_predict(
    ctx: Context,
    tasks: ModelTasks,
    split: LabelledImages,
    images: np.ndarray,
    *,
    budget: float,
    device: str,
    stop_after: float,
    eval_timeout: float | None,
    seed: int = 0,
) -> TrainedRun:
    """Run the student's train() on ``split`` in the worker, then the model it returned, in a
    fresh worker, on ``images`` (uint8 (M, 32, 32, 3)). train() is timed by the grader and
    stopped after ``stop_after`` seconds."""
    (written,) = ctx.sandbox.run(
        [tasks.call("write_training_split", split.images, split.labels, split.names)], timeout=WRITE_TIMEOUT
    )
    if not written.ok:
        return TrainedRun(outcome=written, stage="writing the training split")
    started = time.perf_counter()
    (trained,) = ctx.sandbox.run(
        [tasks.call("train_weights", _value(written).get("sums"), budget, device=device, seed=seed,
                    max_bytes=MAX_WEIGHT_BYTES)],
        timeout=stop_after,
    )
    seconds = time.perf_counter() - started
    if not trained.ok:
        return TrainedRun(seconds, outcome=trained, stage="train()")
    if _value(trained).get("problem"):
        return TrainedRun(seconds, problem=str(_value(trained)["problem"]))
    try:
        weights = checked_state(
            _value(trained).get("weights"), "the module train() returns", max_bytes=MAX_WEIGHT_BYTES
        )
    except CheckFailed as failure:
        return TrainedRun(seconds, problem=failure.message)
    ctx.sandbox.close()  # the next request starts a fresh worker, which never ran train()
    (predicted,) = ctx.sandbox.run(
        [tasks.call("weights_logits", weights, images, device=device)], timeout=eval_timeout
    )
    if not predicted.ok:
        return TrainedRun(seconds, outcome=predicted, stage="evaluating the model train() returned")
    if _value(predicted).get("problem"):
        return TrainedRun(seconds, problem=str(_value(predicted)["problem"]))
    return TrainedRun(seconds, logits=_value(predicted).get("logits"))


class ModelBuildCheck(Check):
    """build() gives an nn.Module mapping (N, 3, 32, 32) images in [0, 1] to (N, classes) logits."""

    kind = "property"

    def __init__(self, name: str, points: float, tasks: ModelTasks, **options):
        super().__init__(name, points, **options)
        self.tasks = tasks

    def run(self, ctx: Context) -> CheckResult:
        classes = self.tasks.classes
        images = ctx.rng(self.name).random((5, 3, 32, 32)).astype(np.float32)
        (outcome,) = ctx.sandbox.run([self.tasks.call("probe_model", images)], timeout=self.timeout)
        if not outcome.ok:
            return self.from_outcome(outcome, "build_model")
        value = outcome.value
        for mode in ("train", "eval"):
            out = value.get(mode) if isinstance(value, dict) else None
            if isinstance(out, str):
                return self.failed(
                    f"in {mode} mode the model returned {out}; it should return one "
                    f"float tensor of logits of shape (5, {classes})"
                )
            problem = logits_problem(out, 5, classes)
            if problem:
                return self.failed(f"in {mode} mode {problem}")
        out = value["eval"]
        if np.all(out >= 0) and np.allclose(out.sum(axis=1), 1.0, atol=1e-4):
            return self.failed(
                "the model returns probabilities (each row is positive and sums to 1); "
                "return the raw logits: cross-entropy applies the (log-)softmax itself"
            )
        parameters = value.get("parameters", 0)
        count = f" ({parameters:,} parameters)" if isinstance(parameters, int) else ""
        return self.passed(f"build_model() maps 5 images to (5, {classes}) logits{count}")


class CheckpointCheck(Check):
    """model.pt is a plain state_dict (tensors only) that loads into a fresh build_model()."""

    kind = "property"

    def __init__(self, name: str, points: float, tasks: ModelTasks, **options):
        super().__init__(name, points, **options)
        self.tasks = tasks

    def run(self, ctx: Context) -> CheckResult:
        images = ctx.rng(self.name).integers(0, 256, (2, 32, 32, 3), dtype=np.uint8)
        (outcome,) = ctx.sandbox.run(
            [self.tasks.call("checkpoint_logits", images, device="cpu")], timeout=self.timeout
        )
        if not outcome.ok:
            return self.from_outcome(outcome, "loading model.pt into build_model()")
        problem = outcome.value.get("problem", "") if isinstance(outcome.value, dict) else "no result"
        if problem:
            return self.failed(str(problem))
        problem = logits_problem(outcome.value.get("logits"), 2, self.tasks.classes)
        if problem:
            return self.failed(f"with model.pt loaded, {problem}")
        return self.passed("model.pt is a plain state_dict that loads into build_model()")


class HeldOutAccuracyCheck(Check):
    """Top-1 accuracy on a labelled split that only the grader holds, scaled between the
    options floor and target (defaults given). The model is model.pt, or with the option
    retrain the one the student's train() produces on ``train_split`` (minus a secret
    slice) within the option time_budget_s. ``test_split(ctx)`` and ``train_split(ctx)``
    raise CheckFailed with one sentence when the data cannot be read."""

    kind = "accuracy"

    def __init__(
        self,
        name: str,
        points: float,
        tasks: ModelTasks,
        *,
        test_split: Callable[[Context], LabelledImages],
        train_split: Callable[[Context], LabelledImages],
        floor: float,
        target: float,
        time_budget: float,
        **options,
    ):
        super().__init__(name, points, **options)
        self.tasks, self.test_split, self.train_split = tasks, test_split, train_split
        self.floor, self.target, self.time_budget = floor, target, time_budget

    def run(self, ctx: Context) -> CheckResult:
        try:
            test = self.test_split(ctx)
        except CheckFailed as failure:
            return self.failed(failure.message)
        floor, target = float_option(ctx, "floor", self.floor), float_option(ctx, "target", self.target)
        details: dict[str, Any] = {
            "floor": floor,
            "target": target,
            "data_root": test.source,
            "synthetic_data": test.synthetic,
        }
        if ctx.options.get("retrain"):
            source = "the model train() produced in the sandbox"
            scored = self._retrained(ctx, test, details)
        else:
            source = "model.pt"
            scored = self._checkpoint(ctx, test)
        if isinstance(scored, CheckResult):
            return scored
        if isinstance(scored, str):
            return self.failed(f"{source} could not be evaluated: {scored}", **details)
        problem = logits_problem(scored, len(test.labels), self.tasks.classes)
        if problem:
            return self.failed(f"evaluating {source}: {problem}", **details)
        report = accuracy_report(scored, test.labels, test.names)
        details.update(report, source=source)
        worst = ", ".join(f"{name} {acc:.2f}" for name, acc in report["worst_classes"])
        which = "synthetic stand-in" if test.synthetic else "CIFAR-100"
        message = (
            f"{source}: test accuracy {report['top1']:.3f} (top-5 {report['top5']:.3f}) on the "
            f"{len(test.labels):,} {which} test images; full marks from {target:.2f}, none at "
            f"or below {floor:.2f}. Weakest classes: {worst}"
        )
        if ctx.options.get("retrain"):
            message += self._retrain_note(details, report["top1"], len(test.labels))
        fraction = scaled_score(report["top1"], floor, target)
        return (
            self.passed(message, **details)
            if fraction >= 1
            else self.failed(message, fraction=fraction, **details)
        )

    def _checkpoint(self, ctx: Context, test: LabelledImages) -> np.ndarray | str | CheckResult:
        """model.pt's logits for the test images (sent in an order drawn for this run)."""
        order = ctx.rng(f"{self.name} order").permutation(len(test.labels))
        call = self.tasks.call("checkpoint_logits", test.images[order], device=device_option(ctx))
        (outcome,) = ctx.sandbox.run([call], timeout=self.timeout)
        if not outcome.ok:
            return self.from_outcome(outcome, "evaluating model.pt")
        value = _value(outcome)
        if value.get("problem"):
            return str(value["problem"])
        return _unpermuted(value.get("logits"), order)

    def _retrained(self, ctx: Context, test: LabelledImages, details: dict) -> np.ndarray | str | CheckResult:
        """Logits for the test images of the model train() produced, the secret slice's accuracy
        in ``details``."""
        try:
            train = self.train_split(ctx)
        except CheckFailed as failure:
            return failure.message
        budget = float_option(ctx, "time_budget_s", self.time_budget)
        secret = secret_slice(ctx.rng("secret slice"), len(train.labels))
        kept = np.setdiff1d(np.arange(len(train.labels)), secret)
        images = np.concatenate([test.images, train.images[secret]])
        order = ctx.rng(f"{self.name} order").permutation(len(images))
        run = train_and_predict(
            ctx,
            self.tasks,
            train.subset(kept),
            images[order],
            budget=budget,
            device=device_option(ctx),
            stop_after=kill_after(budget),
            eval_timeout=self.timeout,
        )
        details.update(train_seconds=run.seconds, time_budget_s=budget)
        if run.outcome is not None:
            if run.stage == "train()" and run.outcome.status == "timeout":
                return self.failed(
                    f"train() was stopped after {run.seconds:.0f} s, over its {budget:g} s budget "
                    "(measured by the grader)",
                    **details,
                )
            return self.from_outcome(run.outcome, run.stage)
        if run.problem:
            return run.problem
        logits = _unpermuted(run.logits, order)
        problem = logits_problem(logits, len(images), self.tasks.classes)
        if problem:
            return problem
        secret_top1 = float(np.mean(logits[len(test.labels) :].argmax(axis=1) == train.labels[secret]))
        details["secret_slice"] = {"size": int(len(secret)), "top1": secret_top1}
        return logits[: len(test.labels)]

    @staticmethod
    def _retrain_note(details: dict, test_top1: float, n_test: int) -> str:
        secret = details["secret_slice"]
        note = (
            f". train() took {details['train_seconds']:.0f} s of its {details['time_budget_s']:g} s budget "
            f"(measured by the grader). Accuracy on {secret['size']:,} training images kept away from "
            f"train() in this run: {secret['top1']:.3f}"
        )
        details["memorisation_suspected"] = gap_is_suspicious(
            test_top1, n_test, secret["top1"], secret["size"]
        )
        if details["memorisation_suspected"]:
            note += (
                " — far below the test accuracy, as a model shows that memorised the public test "
                "images instead of learning the classes; the course staff will look at it"
            )
        return note


def _unpermuted(logits, order: np.ndarray):
    """Logits computed for images[order] put back in the images' order (as sent if malformed)."""
    if type(logits) is not np.ndarray or logits.ndim != 2 or len(logits) != len(order):
        return logits
    restored = np.empty_like(logits)
    restored[order] = logits
    return restored


class TrainingBudgetCheck(Check):
    """train() on a small split (``split()`` gives it and the images to evaluate), on the CPU,
    returns within its time budget, by the grader's clock, a model that loads into build_model().

    Within ``budget * slack[0] + slack[1]`` seconds: full marks; later, a third; stopped
    after ``kill_margin`` more seconds: nothing."""

    kind = "property"

    def __init__(
        self,
        name: str,
        points: float,
        tasks: ModelTasks,
        *,
        split: Callable[[], tuple[LabelledImages, np.ndarray]],
        budget: float,
        slack: tuple[float, float] = (1.25, 0.5),
        kill_margin: float = 4.0,
        **options,
    ):
        super().__init__(name, points, **options)
        self.tasks, self.split, self.budget, self.slack, self.kill_margin = (
            tasks,
            split,
            budget,
            slack,
            kill_margin,
        )

    def prepare(self) -> None:
        self.split()

    def run(self, ctx: Context) -> CheckResult:
        train, images = self.split()
        limit = self.budget * self.slack[0] + self.slack[1]
        stop_after = limit + self.kill_margin
        what = (
            f"train() on a small synthetic CIFAR-100 ({len(train.labels)} images) on the CPU with "
            f"time_budget_s={self.budget:g}"
        )
        run = train_and_predict(
            ctx,
            self.tasks,
            train,
            images,
            budget=self.budget,
            device="cpu",
            stop_after=stop_after,
            eval_timeout=self.timeout,
        )
        if run.outcome is not None:
            if run.stage == "train()" and run.outcome.status == "timeout":
                return self.failed(
                    f"{what} did not return within {stop_after:g} s and was stopped: it must "
                    "watch the clock and stop training when its budget is spent"
                )
            return self.from_outcome(run.outcome, what if run.stage == "train()" else f"{what}: {run.stage}")
        if run.problem:
            return self.failed(f"{what}: {run.problem}")
        problem = logits_problem(run.logits, len(images), self.tasks.classes)
        if problem:
            return self.failed(f"{what}: the trained model fails: {problem}")
        seconds = run.seconds or 0.0
        if seconds > limit:
            return self.failed(
                f"{what} took {seconds:.1f} s: over its budget. Measure the elapsed time "
                "(data loading included) and stop, or plan the number of steps from the "
                "measured speed",
                fraction=1 / 3,
                seconds=seconds,
            )
        return self.passed(
            f"train() returned a build_model()-compatible module in {seconds:.1f} s "
            f"of its {self.budget:g} s budget (measured by the grader)",
            seconds=seconds,
        )
