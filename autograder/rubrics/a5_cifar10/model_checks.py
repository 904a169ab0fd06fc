"""a5 checks of the student's model.py: CifarNet's parameters, layers and dropout.

The worker builds the student's CifarNet, loads weights the grader drew for
SPEC's layer shapes and reports the logits together with what it observed
(parameter count, layer order, whether training-mode passes differ). The
grader computes the same logits with the reference's CifarNet; only a network
that computes them earns points, so what the worker reports about it is
credited only for a network that demonstrably is SPEC's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autograder.checks import PropertyCheck
from autograder.checks.base import Check, CheckFailed, Context
from autograder.rubrics.a5_cifar10.reports import one_thread, task_report
from autograder.sandbox.tasks import torch_a5 as situations

CIFARNET_PARAMS = 1_191_170  # SPEC.md: CifarNet without batchnorm, 10 classes


def net_input(rng: np.random.Generator) -> np.ndarray:
    """Two float64 images (2, 3, 32, 32)."""
    return rng.standard_normal((2, 3, 32, 32))


def reference_net(
    ref, num_classes: int, batchnorm: bool, dropout: float, x: np.ndarray, weights: list | None = None
) -> dict:
    """The reference CifarNet described by :func:`torch_a5.probe_cifarnet`."""
    with one_thread():
        return situations.probe_cifarnet(
            ref.get("model:CifarNet"), num_classes, batchnorm, dropout, x, weights
        )


def weights_for(shapes: list, rng: np.random.Generator) -> list[np.ndarray]:
    """Random parameters for the given shapes: weights ~ N(0, 1 / fan_in), affine gains near 1."""
    weights = []
    for layer in shapes:
        batchnorm = len(layer) == 2 and all(len(shape) == 1 for shape in layer)
        for position, shape in enumerate(layer):
            if len(shape) > 1:
                weights.append(rng.standard_normal(shape) / np.sqrt(np.prod(shape[1:])))
            elif batchnorm and position == 0:
                weights.append(rng.uniform(0.5, 1.5, shape))
            else:
                weights.append(rng.standard_normal(shape) * 0.3)
    return weights


def net_label(num_classes: int = 10, batchnorm: bool = False, dropout: float = 0.0) -> str:
    """'CifarNet()', 'CifarNet(num_classes=100)', 'CifarNet(batchnorm=True)', ..."""
    arguments = (
        [f"num_classes={num_classes}"] * (num_classes != 10)
        + ["batchnorm=True"] * batchnorm
        + [f"dropout={dropout}"] * (dropout != 0.0)
    )
    return f"CifarNet({', '.join(arguments)})"


@dataclass
class NetProbe:
    """One CifarNet configuration run in the worker with weights drawn for SPEC's layers.

    report: the worker's report (see torch_a5.probe_cifarnet); spec: the reference's
    "layers", "shapes" and "parameters"; expected: the reference's logits (2, C) with
    the same weights.
    """

    label: str
    batchnorm: bool
    report: dict
    spec: dict
    expected: np.ndarray

    @property
    def logits(self):
        return self.report.get("logits")

    @property
    def computes_spec(self) -> bool:
        """Whether the student's network gave the reference's logits for the same weights."""
        logits = self.logits
        return (
            type(logits) is np.ndarray
            and logits.shape == self.expected.shape
            and bool(np.allclose(logits, self.expected, rtol=1e-7, atol=1e-9))
        )

    def problem(self) -> str:
        """Why the network is not SPEC's ('' when its logits are the reference's)."""
        if self.computes_spec:
            return ""
        layers, logits = self.report.get("layers"), self.logits
        if layers != self.spec["layers"]:
            return (
                f"{self.label} runs the layers with parameters in the order {layers}; SPEC's order is "
                f"{self.spec['layers']}"
                + (" (a BatchNorm2d after each convolution)" if self.batchnorm else "")
            )
        if logits is None:
            return (
                f"{self.label}'s layers have other parameter shapes than SPEC's network: "
                f"{self.report.get('shapes')} instead of {self.spec['shapes']}"
            )
        if type(logits) is not np.ndarray or logits.shape != self.expected.shape:
            return (
                f"{self.label} gives logits of shape {getattr(logits, 'shape', None)}, "
                f"expected {self.expected.shape}"
            )
        return (
            f"with the same weights, {self.label} computes other logits than SPEC's network: check the order "
            "conv" + (" -> batchnorm" if self.batchnorm else "") + " -> ReLU -> 2x2 max-pool in each stage, "
            "the flatten, and ReLU between the fc layers"
        )


def probe_net(
    ctx: Context,
    check: Check,
    rng: np.random.Generator,
    num_classes: int = 10,
    batchnorm: bool = False,
    dropout: float = 0.0,
) -> NetProbe:
    """Run one configuration of the student's CifarNet (CheckFailed if the worker's task fails)."""
    key = f"{num_classes}_{batchnorm}_{dropout}"
    x = net_input(rng)
    spec = ctx.expected(
        check,
        f"spec_{key}",
        lambda ref: {
            k: v
            for k, v in reference_net(ref, num_classes, batchnorm, dropout, x).items()
            if k in ("layers", "shapes", "parameters")
        },
    )
    weights = weights_for(spec["shapes"], rng)
    expected = ctx.expected(
        check,
        f"logits_{key}",
        lambda ref: reference_net(ref, num_classes, batchnorm, dropout, x, weights)["logits"],
    )
    label = net_label(num_classes, batchnorm, dropout)
    report = task_report(
        ctx, check, "cifarnet_report", num_classes, batchnorm, dropout, x, weights, what=label
    )
    return NetProbe(label, batchnorm, report, spec, expected)


def cifarnet_count_check(ctx: Context, check: Check) -> tuple[float, str]:
    rng = ctx.rng(check.name)
    ten, hundred = probe_net(ctx, check, rng), probe_net(ctx, check, rng, num_classes=100)
    got_10, got_100 = ten.report.get("parameters"), hundred.report.get("parameters")
    want_100 = hundred.spec["parameters"]
    counts = []  # (right, message) per count; a count is credited only for a network computing SPEC's logits
    counts.append(
        (
            got_10 == CIFARNET_PARAMS,
            f"CifarNet() has {got_10:,} trainable parameters; SPEC's network has {CIFARNET_PARAMS:,} "
            "(check the kernel sizes, padding 2, and fc 1024 -> 1000)"
            if isinstance(got_10, int)
            else "CifarNet's parameter count could not be read",
        )
    )
    counts.append(
        (
            got_100 == want_100,
            f"CifarNet(num_classes=100) has {got_100} parameters, expected "
            f"{want_100:,}: the last layer should have num_classes outputs",
        )
    )
    counts.append(
        (
            ten.report.get("output_shape") == [2, 10],
            f"CifarNet maps (2, 3, 32, 32) to {ten.report.get('output_shape')}, expected [2, 10]",
        )
    )
    runs = [ten, hundred, ten]
    credited = [right and run.computes_spec for (right, _), run in zip(counts, runs)]
    problems = [message for right, message in counts if not right]
    if not problems and not all(credited):
        unproven = next(run for run in runs if not run.computes_spec)
        problems.append(
            f"{unproven.label} reports SPEC's parameter count, but a count is credited only for a "
            f"network that computes SPEC's logits: {unproven.problem()}"
        )
    return sum(credited) / 3, problems[0] if problems else ""


def cifarnet_layers_check(ctx: Context, check: Check) -> tuple[float, str]:
    rng = ctx.rng(check.name)
    score, messages = 0.0, []
    for batchnorm in (False, True):
        try:
            run = probe_net(ctx, check, rng, batchnorm=batchnorm)
        except CheckFailed as failure:
            messages.append(failure.message)
            continue
        if run.computes_spec:
            score += 0.5
        else:
            messages.append(run.problem())
    return score, messages[0] if messages else ""


def cifarnet_dropout_check(ctx: Context, check: Check) -> tuple[float, str]:
    rng = ctx.rng(check.name)
    with_dropout, without = probe_net(ctx, check, rng, dropout=0.5), probe_net(ctx, check, rng, dropout=0.0)
    for run in (with_dropout, without):
        if not run.computes_spec:
            return 0.0, f"dropout is checked on a network that computes SPEC's logits: {run.problem()}"
    if with_dropout.report.get("train_varies") is not True:
        return 0.0, (
            "CifarNet(dropout=0.5) gives the same output twice in training mode: "
            "put nn.Dropout(dropout) between the ReLU after fc4 and the last layer"
        )
    if without.report.get("train_varies") is not False:
        return (
            0.0,
            "CifarNet(dropout=0.0) is random in training mode: use the dropout argument, not a fixed rate",
        )
    return 1.0, ""


CHECKS = [
    PropertyCheck("CifarNet parameter count", 2, cifarnet_count_check, timeout=30),
    PropertyCheck("CifarNet layers", 3, cifarnet_layers_check, timeout=30),
    PropertyCheck("CifarNet dropout", 1, cifarnet_dropout_check, timeout=30),
]
