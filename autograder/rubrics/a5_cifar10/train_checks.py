"""a5 checks of the student's train.py: evaluate, train_one_epoch, a tiny overfit, fit.

Each check puts the student's function into a situation built from a seed by
:mod:`autograder.sandbox.tasks.torch_a5` (a small probe model, a loader, the
fit scenario). The grader builds the same situation with the reference's
function for the expected values, and it judges the probe models the worker
trained from their weights alone: it checks the names and shapes against the
probe's architecture, loads them into its own copy of the probe and evaluates
that itself, so no verdict of the worker is ever taken on trust.
"""

from __future__ import annotations

import tempfile

import numpy as np

from autograder.checks import PropertyCheck
from autograder.checks.base import Check, CheckFailed, Context
from autograder.checks.state import checked_state
from autograder.rubrics.a5_cifar10.reports import on_one_thread, one_thread, shared_task_report, task_report
from autograder.sandbox.tasks import torch_a5 as situations

OVERFIT_STEPS = 20
HISTORY_KEYS = ("train_loss", "train_accuracy", "val_loss", "val_accuracy")


def _seed(ctx: Context, name: str) -> int:
    return int(ctx.rng(name).integers(0, 10_000))


# -- the grader's own view of a probe model -------------------------------------------------
def shapes_of(model) -> dict[str, tuple[int, ...]]:
    """{name: shape} of a model's state_dict."""
    return {name: tuple(value.shape) for name, value in model.state_dict().items()}


def load_weights(model, arrays: dict[str, np.ndarray]):
    """``model`` with the (checked) arrays as its state_dict, in its own dtypes; returns it."""
    import torch

    state = model.state_dict()
    model.load_state_dict(
        {
            name: torch.from_numpy(np.ascontiguousarray(arrays[name])).to(value.dtype)
            for name, value in state.items()
        }
    )
    return model


def probe_metrics(model, loader) -> dict[str, float]:
    """{"loss": mean cross-entropy over the samples, "accuracy"} in eval mode, computed by the grader."""
    import torch
    import torch.nn.functional as F

    model.eval()
    total, correct, count = 0.0, 0, 0
    with torch.no_grad(), one_thread():
        for x, y in loader:
            logits = model(x)
            total += F.cross_entropy(logits, y, reduction="sum").item()
            correct += int((logits.argmax(1) == y).sum())
            count += len(y)
    return {"loss": total / count, "accuracy": correct / count}


def metrics_of(value, function: str) -> dict[str, float]:
    """{"loss", "accuracy"} as floats from what the worker says ``function`` returned."""
    try:
        return {"loss": float(value["loss"]), "accuracy": float(value["accuracy"])}
    except (TypeError, KeyError, ValueError):
        raise CheckFailed(f"{function} should return {{'loss': ..., 'accuracy': ...}}") from None


def same_weights(got, want: dict[str, np.ndarray], rtol: float = 1e-9, atol: float = 1e-12) -> bool:
    """Whether ``got`` (from the worker) has want's names, shapes and values."""
    if not isinstance(got, dict) or set(got) != set(want):
        return False
    return all(
        type(got[k]) is np.ndarray
        and got[k].dtype.kind in "biuf"
        and got[k].shape == want[k].shape
        and np.allclose(got[k], want[k], rtol=rtol, atol=atol)
        for k in want
    )


# -- evaluate ---------------------------------------------------------------------------------
def evaluate_mode_check(ctx: Context, check: Check) -> tuple[float, str]:
    """Eval mode is credited from what the grader can see: the probe's accuracy is the
    eval-mode one, two calls agree, batchnorm's running statistics are untouched. Only
    then does the worker's word on the gradient mode count."""
    seed = _seed(ctx, "evaluate")
    want = ctx.expected(
        check,
        "metrics",
        lambda ref: on_one_thread(situations.run_evaluate, ref.get("train:evaluate"), seed)["first"],
    )
    report = shared_task_report(ctx, check, "evaluate", "evaluate_report", seed, what="evaluate")
    modes, grads = report.get("modes"), report.get("grad_enabled")
    if not isinstance(modes, list) or not modes:
        return 0.0, "evaluate never ran the model on the loader's batches"
    first, second = metrics_of(report.get("first"), "evaluate"), metrics_of(report.get("second"), "evaluate")
    untouched = situations.state_arrays(situations.probe_net(seed, dropout=0.5))
    stats_kept = same_weights(report.get("weights"), untouched, rtol=0, atol=0)
    eval_accuracy = np.isclose(first["accuracy"], want["accuracy"], rtol=0, atol=1e-12)
    problems = []
    if any(modes):
        problems.append(
            "evaluate ran the model in training mode: call model.eval() first (dropout must be off "
            "and batchnorm must use its running statistics)"
        )
    elif not eval_accuracy:
        problems.append(
            f"evaluate's accuracy on a probe model, {first['accuracy']:.4f}, is not that of the model "
            f"in eval mode, {want['accuracy']:.4f}: call model.eval() first, then count the samples "
            "whose largest logit is the label"
        )
    if not isinstance(grads, list) or any(grads) or report.get("grads_created"):
        problems.append("evaluate computed with gradients enabled: wrap it in torch.no_grad()")
    if not stats_kept:
        problems.append("evaluate changed batchnorm's running statistics (the model was in training mode)")
    if first != second:
        problems.append("two calls of evaluate on the same model and data gave different results")
    if not problems:
        return 1.0, ""
    if not (eval_accuracy and stats_kept and first == second):
        return 0.0, problems[0]
    return max(0.0, 1.0 - len(problems) / 2), problems[0]


def batch_mean_loss(seed: int) -> float:
    """The slip: the mean of per-batch mean losses (what a short last batch changes)."""
    import torch
    import torch.nn.functional as F

    model = situations.probe_net(seed, dropout=0.5).eval()
    losses = []
    with torch.no_grad(), one_thread():
        for x, y in situations.probe_loader(seed + 1, *situations.EVAL_PROBE):
            losses.append(F.cross_entropy(model(x), y).item())
    return float(np.mean(losses))


def evaluate_values_check(ctx: Context, check: Check) -> tuple[float, str]:
    seed = _seed(ctx, "evaluate")
    want = ctx.expected(
        check,
        "metrics",
        lambda ref: on_one_thread(situations.run_evaluate, ref.get("train:evaluate"), seed)["first"],
    )
    report = shared_task_report(ctx, check, "evaluate", "evaluate_report", seed, what="evaluate")
    got = metrics_of(report.get("first"), "evaluate")
    ok_loss = np.isclose(got["loss"], want["loss"], rtol=1e-9, atol=1e-12)
    ok_accuracy = np.isclose(got["accuracy"], want["accuracy"], rtol=0, atol=1e-12)
    if ok_loss and ok_accuracy:
        return 1.0, ""
    if not ok_loss and np.isclose(got["loss"], batch_mean_loss(seed), rtol=1e-9):
        return 0.5, (
            "evaluate's loss is the mean of the batch means; weight each batch by its size (the last "
            "batch is shorter) to get the mean over samples"
        )
    parts = [
        f"{k} {got[k]:.6g} (expected {want[k]:.6g})"
        for k, ok in (("loss", ok_loss), ("accuracy", ok_accuracy))
        if not ok
    ]
    return 0.5 if ok_loss or ok_accuracy else 0.0, (
        "evaluate returned "
        + " and ".join(parts)
        + " on a probe model: the mean cross-entropy over all samples "
        "and the fraction classified correctly, in eval mode"
    )


# -- train_one_epoch --------------------------------------------------------------------------
def hand_epoch(seed: int, zero_grad: bool = True, train_mode: bool = True) -> tuple[dict, list[float]]:
    """A trusted variant of one epoch (for naming slips): (weights as state arrays, batch mean losses)."""
    import torch
    import torch.nn.functional as F

    with one_thread():
        model = situations.probe_net(seed)
        model.eval()
        if train_mode:
            model.train()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        torch.manual_seed(seed + 2)
        losses = []
        for x, y in situations.probe_loader(seed + 1, *situations.EPOCH_PROBE):
            if zero_grad:
                optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return situations.state_arrays(model), losses


def train_epoch_check(ctx: Context, check: Check) -> tuple[float, str]:
    seed = _seed(ctx, check.name)
    want = ctx.expected(
        check,
        "epoch",
        lambda ref: on_one_thread(situations.run_train_epoch, ref.get("train:train_one_epoch"), seed),
    )
    report = task_report(ctx, check, "train_epoch_report", seed, what="train_one_epoch")
    weights = report.get("weights")
    if not same_weights(weights, want["weights"]):
        if same_weights(weights, hand_epoch(seed, zero_grad=False)[0]):
            return 0.0, (
                "after one epoch the weights are those of a loop without optimizer.zero_grad(): the "
                "gradients accumulate over the batches; zero them before every backward pass"
            )
        if same_weights(weights, hand_epoch(seed, train_mode=False)[0]):
            return 0.0, (
                "the model trained in eval mode: call model.train() at the start of train_one_epoch "
                "(batchnorm and dropout behave differently in training)"
            )
        return 0.0, (
            "after one epoch the weights differ from a correct loop's from the same seed: per batch "
            "zero_grad, forward, cross-entropy, backward, optimizer.step(), in training mode"
        )
    if not same_weights(report.get("weights_again"), weights, rtol=0, atol=0):
        return 0.5, "two runs from the same seed ended with different weights"
    metrics = metrics_of(report.get("metrics"), "train_one_epoch")
    if not np.isclose(metrics["loss"], want["metrics"]["loss"], rtol=1e-9) or not np.isclose(
        metrics["accuracy"], want["metrics"]["accuracy"], atol=1e-12
    ):
        if np.isclose(metrics["loss"], np.mean(hand_epoch(seed)[1]), rtol=1e-9):
            return 0.5, (
                "the weights are right, but train_one_epoch returned the mean of the batch means as the "
                "loss, so the short last batch counts as much as a full one: sum batch loss times batch "
                "size, then divide by the number of samples"
            )
        return 0.5, (
            f"the weights are right, but train_one_epoch returned {metrics} where {want['metrics']} "
            "was expected: the mean loss over samples (batch loss times batch size, summed, over N) "
            "and the fraction of correct predictions, on the batches as trained"
        )
    return 1.0, ""


def train_scheduler_check(ctx: Context, check: Check) -> tuple[float, str]:
    seed, gamma = _seed(ctx, check.name), 0.5
    want = ctx.expected(
        check,
        "epoch",
        lambda ref: on_one_thread(
            situations.run_train_epoch, ref.get("train:train_one_epoch"), seed, gamma=gamma
        ),
    )
    report = task_report(
        ctx, check, "train_epoch_report", seed, gamma, what="train_one_epoch(..., scheduler=...)"
    )
    lr = report.get("lr")
    if isinstance(lr, float) and np.isclose(lr, 0.1 * gamma) and not np.isclose(want["lr"], lr):
        return (
            0.0,
            "the scheduler was stepped once per epoch; step it after every optimizer step (every batch)",
        )
    if isinstance(lr, float) and np.isclose(lr, 0.1):
        return (
            0.0,
            "train_one_epoch never steps the scheduler: call scheduler.step() after every optimizer.step()",
        )
    if (
        not isinstance(lr, float)
        or not np.isclose(lr, want["lr"])
        or not same_weights(report.get("weights"), want["weights"])
    ):
        return 0.0, (
            "with a StepLR scheduler the learning rate and weights after one epoch differ from a correct "
            "loop's: scheduler.step() follows every optimizer.step()"
        )
    return 1.0, ""


def overfit_check(ctx: Context, check: Check) -> tuple[float, str]:
    """train_one_epoch trains a probe MLP on one batch; the grader measures what it memorised."""
    import torch

    seed = _seed(ctx, check.name)
    report = task_report(
        ctx, check, "overfit_report", seed, steps=OVERFIT_STEPS, what="train_one_epoch on one batch"
    )
    model = situations.overfit_probe(seed)
    weights = checked_state(
        report.get("weights"), "the probe's weights after training", like=shapes_of(model)
    )
    x, y = situations.overfit_batch(seed)
    with torch.no_grad(), one_thread():
        accuracy = float((load_weights(model, weights).eval()(x).argmax(1) == y).double().mean())
    if accuracy >= 0.95:
        return 1.0, f"memorised one batch of {len(y)} images in {OVERFIT_STEPS} epochs"
    return float(np.clip((accuracy - 0.5) / 0.45, 0.0, 1.0)), (
        f"a small MLP trained with your train_one_epoch (Adam, lr 1e-3, {OVERFIT_STEPS} epochs) on one "
        f"batch of {len(y)} random images classifies only {accuracy:.0%} of them right afterwards; a "
        "working loop memorises the batch (>= 95%)"
    )


# -- fit --------------------------------------------------------------------------------------
def history_lists(value, epochs: int = 4) -> dict[str, np.ndarray]:
    """fit's history as {key: float64 (epochs,)}; CheckFailed when it is malformed."""
    try:
        history = {key: np.asarray(value[key], dtype=np.float64) for key in HISTORY_KEYS}
    except (TypeError, KeyError, ValueError):
        raise CheckFailed("fit sent back a malformed history") from None
    if any(array.shape != (epochs,) for array in history.values()):
        raise CheckFailed(f"fit's history should hold {epochs} numbers per list")
    return history


def fit_best_check(ctx: Context, check: Check) -> tuple[float, str]:
    seed = _seed(ctx, "fit")
    report = shared_task_report(ctx, check, "fit", "fit_report", seed, what="fit")
    accuracies = history_lists(report.get("history"))["val_accuracy"]
    model, _, val = situations.fit_scenario(seed)
    like = shapes_of(model)
    final_weights = checked_state(report.get("weights"), "the model's weights after fit", like=like)
    final = probe_metrics(load_weights(model, final_weights), val)
    best = int(np.argmax(accuracies))
    problems = []
    if not np.isclose(final["accuracy"], accuracies.max(), rtol=0, atol=1e-12):
        last = np.isclose(final["accuracy"], accuracies[-1], rtol=0, atol=1e-12)
        problems.append(
            f"after fit the model has validation accuracy {final['accuracy']:.3f}, but epoch {best + 1} "
            f"reached {accuracies.max():.3f}"
            + (": fit kept the last epoch's weights" if last else "")
            + "; keep a copy of the weights whenever the validation accuracy improves and load the best "
            "one back at the end"
        )
    saved = report.get("checkpoint")
    if isinstance(saved, str):
        problems.append(saved)
    else:
        try:
            matches = same_weights(
                checked_state(saved, "the checkpoint", like=like), final_weights, rtol=0, atol=0
            )
        except CheckFailed:
            matches = False
        if not matches:
            problems.append(
                "the checkpoint file does not hold the weights fit returned with (the best-validation "
                "weights): torch.save(model.state_dict(), checkpoint_path) when the validation improves"
            )
    if not problems:
        return 1.0, ""
    return 1.0 - len(problems) / 2, problems[0]


def fit_history_check(ctx: Context, check: Check) -> tuple[float, str]:
    seed = _seed(ctx, "fit")

    def compute(ref):
        with tempfile.TemporaryDirectory() as folder:
            run = on_one_thread(
                situations.run_fit, ref.get("train:fit"), seed, checkpoint_path=f"{folder}/best.pt"
            )
        return run["history"]

    want = ctx.expected(check, "history", compute)
    report = shared_task_report(ctx, check, "fit", "fit_report", seed, what="fit")
    history = history_lists(report.get("history"))
    wrong = [k for k in want if not np.allclose(history[k], want[k], rtol=1e-7, atol=1e-10)]
    if not wrong:
        return 1.0, ""
    if "train_loss" in wrong:
        return 0.0, (
            "fit's training losses differ from SGD(lr, momentum=0.9, weight_decay=5e-4) with "
            "train_one_epoch once per epoch: check the optimizer and its arguments"
        )
    return 0.5, (
        f"fit trains like the reference but records other {', '.join(wrong)}: after each epoch "
        "append train_one_epoch's results and evaluate(model, val_loader)'s"
    )


CHECKS = [
    PropertyCheck("evaluate in eval mode without gradients", 3, evaluate_mode_check, timeout=30),
    PropertyCheck("evaluate values", 2, evaluate_values_check, timeout=30),
    PropertyCheck("train_one_epoch matches a correct loop", 4, train_epoch_check, timeout=30),
    PropertyCheck("train_one_epoch steps the scheduler every batch", 1, train_scheduler_check, timeout=30),
    PropertyCheck("tiny overfit", 2, overfit_check, timeout=90),
    PropertyCheck("fit keeps the best-validation weights", 3, fit_best_check, timeout=60),
    PropertyCheck("fit history and SGD settings", 2, fit_history_check, timeout=60),
]
