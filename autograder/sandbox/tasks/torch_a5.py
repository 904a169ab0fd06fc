"""a5_cifar10 situations and the worker tasks that put the student's functions in them.

A situation is built from a seed by trusted code (a small probe model, a loader,
the fit scenario); the worker runs the student's function in it and the task
returns what came out as plain arrays and numbers, never a verdict. The grader
builds the same situation with the reference functions in its own process for
the expected values, and evaluates the returned weights of probe models itself
(``autograder/rubrics/a5_cifar10/``). Everything a task returns is the
student's claim: code in the worker, this module included, counts as student
code (a submission can replace these functions at import).

Training probes use float64 models and batches so that the expected values
are the same on every machine; the student's functions receive them as any
model and loader.

- :func:`transform_report`: the student's ``build_transforms`` applied to images;
- :func:`loader_report`: everything the student's ``make_loaders`` yields for a
  CIFAR-10 folder written from the grader's arrays;
- :func:`cifarnet_report`: parameter count, parametrised layers in execution
  order, logits with given weights, dropout behaviour of ``CifarNet``;
- :func:`evaluate_report`, :func:`train_epoch_report`, :func:`fit_report`,
  :func:`overfit_report`: the training functions on probe models, with the
  probes' weights afterwards.
"""

from __future__ import annotations

import os
import pickle
from typing import TYPE_CHECKING, Any

import numpy as np

from autograder.sandbox.tasks.cifar_files import TorchvisionAccepts, md5
from autograder.sandbox.worker import student_module

if TYPE_CHECKING:
    import torch
    from torch.utils.data import DataLoader

DATA_DIR = "a5_data"
CHECKPOINT = "a5_best_checkpoint.pt"
PROBE_CLASSES = 5
FIT_CLASSES = 4


# -- trusted builders (also used by the grader with the reference) --------------------
def probe_net(seed: int, dropout: float = 0.0) -> torch.nn.Module:
    """A small float64 net with batchnorm and dropout: (N, 3, 8, 8) -> (N, 5)."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    net = nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(2),
        nn.Flatten(),
        nn.Dropout(dropout),
        nn.Linear(16, PROBE_CLASSES),
    )
    return net.double()


def probe_loader(seed: int, n: int, batch_size: int) -> DataLoader:
    """An unshuffled DataLoader of n float64 images (3, 8, 8) with labels in [0, 5)."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, 8, 8, generator=g, dtype=torch.float64)
    y = torch.randint(0, PROBE_CLASSES, (n,), generator=g)
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=False)


def state_arrays(model: torch.nn.Module) -> dict[str, np.ndarray]:
    """{name: float64 array} of a model's state_dict (parameters and buffers)."""
    return {
        k: v.detach().cpu().double().numpy().copy()
        if v.is_floating_point()
        else v.detach().cpu().numpy().copy()
        for k, v in model.state_dict().items()
    }


def _metrics(value, function: str) -> dict:
    """{"loss": float, "accuracy": float} from what a training function returned."""
    if not isinstance(value, dict) or not {"loss", "accuracy"} <= set(value):
        raise TypeError(
            f"{function} should return a dict with keys 'loss' and 'accuracy', "
            f"got {type(value).__name__}"
            + (f" with keys {sorted(map(str, value))}" if isinstance(value, dict) else "")
        )
    try:
        return {"loss": float(value["loss"]), "accuracy": float(value["accuracy"])}
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(f"{function}'s 'loss' and 'accuracy' should be numbers") from None


# (samples, batch size) of the probe loaders: the last batch is short, so that a mean of
# batch means differs from the mean over samples
EVAL_PROBE = (37, 8)
EPOCH_PROBE = (45, 12)
OVERFIT_BATCH, OVERFIT_CLASSES = 16, 10


def run_evaluate(evaluate, seed: int, n: int = EVAL_PROBE[0], batch_size: int = EVAL_PROBE[1]) -> dict:
    """Call ``evaluate`` twice on a probe net left in training mode (dropout 0.5).

    Returns {"first", "second": metrics; "modes": training flags seen in the
    forward passes; "grad_enabled": torch.is_grad_enabled() in them;
    "grads_created": whether any parameter has a .grad afterwards;
    "weights": the probe's state arrays afterwards (batchnorm's running
    statistics move if evaluate runs the model in training mode)}.
    """
    import torch

    model = probe_net(seed, dropout=0.5)
    model.train()
    modes, grad_enabled = [], []

    def record(module, inputs, output):
        modes.append(bool(module.training))
        grad_enabled.append(bool(torch.is_grad_enabled()))

    model.register_forward_hook(record)
    loader = probe_loader(seed + 1, n, batch_size)
    torch.manual_seed(seed + 2)
    first = _metrics(evaluate(model, loader, "cpu"), "evaluate")
    second = _metrics(evaluate(model, loader, "cpu"), "evaluate")
    return {
        "first": first,
        "second": second,
        "modes": modes,
        "grad_enabled": grad_enabled,
        "grads_created": any(p.grad is not None for p in model.parameters()),
        "weights": state_arrays(model),
    }


def run_train_epoch(
    train_one_epoch,
    seed: int,
    n: int = EPOCH_PROBE[0],
    batch_size: int = EPOCH_PROBE[1],
    lr: float = 0.1,
    momentum: float = 0.9,
    gamma: float | None = None,
) -> dict:
    """One call of ``train_one_epoch`` on a probe net that starts in eval mode.

    SGD(lr, momentum) and, when ``gamma`` is given, StepLR(step_size=1, gamma)
    passed as the scheduler. Returns {"weights": state arrays, "metrics",
    "lr": the learning rate afterwards, "training": the model's mode afterwards}.
    """
    import torch

    model = probe_net(seed)
    model.eval()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    loader = probe_loader(seed + 1, n, batch_size)
    kwargs = {}
    if gamma is not None:
        kwargs["scheduler"] = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=gamma)
    torch.manual_seed(seed + 2)
    metrics = _metrics(train_one_epoch(model, loader, optimizer, "cpu", **kwargs), "train_one_epoch")
    return {
        "weights": state_arrays(model),
        "metrics": metrics,
        "lr": float(optimizer.param_groups[0]["lr"]),
        "training": bool(model.training),
    }


class SwitchingLoader:
    """True labels until the model has been trained once, shifted labels after.

    Whether training happened is read from the weights: they change between two
    passes only if an epoch of training ran in between. The validation
    accuracy therefore peaks after the first epoch and falls afterwards.
    """

    def __init__(
        self, model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, classes: int, batch_size: int
    ):
        from torch.utils.data import DataLoader, TensorDataset

        self.model, self.trained = model, 0
        self.snapshot: torch.Tensor | None = None
        self.right = DataLoader(TensorDataset(x, y), batch_size=batch_size)
        self.wrong = DataLoader(TensorDataset(x, (y + 1) % classes), batch_size=batch_size)
        self.dataset = self.right.dataset
        self.batch_size = batch_size

    def _weights(self) -> torch.Tensor:
        import torch

        return torch.cat([p.detach().reshape(-1).clone() for p in self.model.parameters()])

    def __iter__(self):
        import torch

        now = self._weights()
        if self.snapshot is not None and not torch.equal(now, self.snapshot):
            self.trained += 1
        self.snapshot = now
        return iter(self.right if self.trained == 0 else self.wrong)

    def __len__(self) -> int:
        return len(self.right)


def fit_scenario(seed: int) -> tuple[torch.nn.Module, SwitchingLoader, DataLoader]:
    """(model, train_loader, val_loader): a float64 MLP on class clusters of (3, 8, 8) inputs."""
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    g = torch.Generator().manual_seed(seed)
    centres = 2.0 * torch.randn(FIT_CLASSES, 3, 8, 8, generator=g, dtype=torch.float64)

    def split(n):
        y = torch.arange(n) % FIT_CLASSES
        return centres[y] + 0.5 * torch.randn(n, 3, 8, 8, generator=g, dtype=torch.float64), y

    x_train, y_train = split(96)
    x_val, y_val = split(64)
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Flatten(), nn.Linear(192, 32), nn.ReLU(), nn.Linear(32, FIT_CLASSES)).double()
    train = SwitchingLoader(model, x_train, y_train, FIT_CLASSES, batch_size=16)
    val = DataLoader(TensorDataset(x_val, y_val), batch_size=32)
    return model, train, val


def _history(value, epochs: int) -> dict:
    keys = ("train_loss", "train_accuracy", "val_loss", "val_accuracy")
    if not isinstance(value, dict) or not set(keys) <= set(value):
        raise TypeError(
            f"fit should return a history dict with keys {', '.join(keys)}, got "
            + (f"keys {sorted(map(str, value))}" if isinstance(value, dict) else type(value).__name__)
        )
    out = {}
    for key in keys:
        try:
            out[key] = [float(v) for v in value[key]]
        except (TypeError, ValueError, RuntimeError):
            raise TypeError(f"history[{key!r}] should be a list of numbers") from None
        if len(out[key]) != epochs:
            raise ValueError(f"history[{key!r}] has {len(out[key])} entries for {epochs} epochs")
    return out


def run_fit(fit, seed: int, epochs: int = 4, lr: float = 0.05, checkpoint_path: str | None = None) -> dict:
    """``fit`` on the switching scenario (:func:`fit_scenario`).

    Returns {"history": the four lists fit returned, "weights": the model's
    state arrays after fit, "checkpoint": None, the state arrays of the file
    fit wrote at ``checkpoint_path`` (read with torch.load(weights_only=True)),
    or a string saying why it could not be read}.
    """
    import torch

    model, train, val = fit_scenario(seed)
    if checkpoint_path and os.path.exists(checkpoint_path):
        os.remove(checkpoint_path)
    torch.manual_seed(seed + 1)
    history = _history(
        fit(model, train, val, epochs=epochs, lr=lr, device="cpu", checkpoint_path=checkpoint_path), epochs
    )
    result: dict[str, Any] = {"history": history, "weights": state_arrays(model), "checkpoint": None}
    if checkpoint_path:
        result["checkpoint"] = _checkpoint_arrays(checkpoint_path)
    return result


def _checkpoint_arrays(path: str) -> dict | str:
    """The tensors of a saved state_dict as arrays, or what is wrong with the file."""
    import torch

    if not os.path.isfile(path):
        return "fit(checkpoint_path=...) wrote no file there"
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is one message
        return (
            f"the checkpoint could not be loaded with torch.load(weights_only=True) "
            f"({type(exc).__name__}); save model.state_dict() with torch.save"
        )
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        return "the checkpoint is not the model's state_dict (save model.state_dict() with torch.save)"
    return {
        k: v.detach().cpu().double().numpy() if v.is_floating_point() else v.detach().cpu().numpy()
        for k, v in state.items()
    }


def probe_cifarnet(
    cls, num_classes: int, batchnorm: bool, dropout: float, x: np.ndarray, weights: list | None = None
) -> dict:
    """Build ``cls(num_classes, batchnorm, dropout)`` and describe it.

    x: float64 (N, 3, 32, 32). weights: arrays for the parameters of the
    parametrised layers in execution order (each layer's own parameters in
    registration order: weight, then bias). Returns {"parameters": trainable
    count, "layers": type names of the parametrised layers in execution
    order, "shapes": their parameter shapes, "logits": float64 (N, C) in eval
    mode with ``weights`` loaded (None when they do not fit the layers; the
    network's own initial weights without ``weights``), "train_varies":
    whether two training-mode forward passes differ}.
    """
    import torch
    from torch import nn

    torch.manual_seed(0)
    net = cls(num_classes=num_classes, batchnorm=batchnorm, dropout=dropout)
    if not isinstance(net, nn.Module):
        raise TypeError(f"CifarNet(...) should be an nn.Module, got {type(net).__name__}")
    count = int(sum(p.numel() for p in net.parameters() if p.requires_grad))
    net = net.double().eval()
    inputs = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float64))
    order: list = []

    def record(module, args, output):
        if all(module is not seen for seen in order):
            order.append(module)

    hooks = [m.register_forward_hook(record) for m in net.modules() if list(m.parameters(recurse=False))]
    with torch.no_grad():
        out = net(inputs)
    for hook in hooks:
        hook.remove()
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"CifarNet's forward should return a tensor, got {type(out).__name__}")
    layers = [type(m).__name__ for m in order]
    shapes = [[list(p.shape) for p in m.parameters(recurse=False)] for m in order]
    if weights is not None:
        flat = [p for m in order for p in m.parameters(recurse=False)]
        if [list(p.shape) for p in flat] != [list(np.shape(w)) for w in weights]:
            out = None
        else:
            with torch.no_grad():
                for p, w in zip(flat, weights):
                    p.copy_(torch.from_numpy(np.asarray(w, dtype=np.float64)))
                out = net(inputs)
    with torch.no_grad():
        net.train()
        torch.manual_seed(1)
        first = net(inputs)
        second = net(inputs)
    return {
        "parameters": count,
        "layers": layers,
        "shapes": shapes,
        "logits": None if out is None else out.detach().numpy().astype(np.float64),
        "output_shape": list(first.shape),
        "train_varies": not torch.equal(first, second),
    }


# -- writing a CIFAR-10 folder in the worker ------------------------------------------
def write_cifar10(root: str, x_train, y_train, x_test, y_test) -> dict:
    """root/cifar-10-batches-py in the real format (5 data batches, test_batch,
    batches.meta); returns the MD5 sums of the files."""
    folder = os.path.join(root, "cifar-10-batches-py")
    os.makedirs(folder, exist_ok=True)

    def rows(x):
        return np.ascontiguousarray(np.asarray(x, dtype=np.uint8).transpose(0, 3, 1, 2).reshape(len(x), -1))

    files = {}
    for number, index in enumerate(np.array_split(np.arange(len(y_train)), 5), start=1):
        files[f"data_batch_{number}"] = {
            "batch_label": f"training batch {number} of 5",
            "labels": [int(v) for v in y_train[index]],
            "data": rows(x_train[index]),
            "filenames": [f"train_{i:06d}.png" for i in index],
        }
    files["test_batch"] = {
        "batch_label": "testing batch 1 of 1",
        "labels": [int(v) for v in y_test],
        "data": rows(x_test),
        "filenames": [f"test_{i:06d}.png" for i in range(len(y_test))],
    }
    files["batches.meta"] = {
        "num_cases_per_batch": len(y_train) // 5,
        "num_vis": 3072,
        "label_names": [f"class_{k}" for k in range(10)],
    }
    for name, entry in files.items():
        with open(os.path.join(folder, name), "wb") as handle:
            pickle.dump(entry, handle, protocol=2)
    return {name: md5(os.path.join(folder, name)) for name in files}


def _collect(loader, what: str) -> tuple[np.ndarray, np.ndarray, list]:
    """All (images, labels) of one pass: float arrays (N, 3, 32, 32), int64 (N,), batch sizes."""
    import torch

    images, labels, sizes = [], [], []
    for batch in loader:
        if (
            not isinstance(batch, (tuple, list))
            or len(batch) != 2
            or not all(isinstance(t, torch.Tensor) for t in batch)
        ):
            raise TypeError(f"the {what} loader should yield (images, labels) pairs of tensors")
        x, y = batch
        if x.dim() != 4 or tuple(x.shape[1:]) != (3, 32, 32):
            raise ValueError(
                f"the {what} loader yields images of shape {tuple(x.shape)}, expected (batch, 3, 32, 32)"
            )
        images.append(x.detach().cpu().numpy())
        labels.append(y.detach().cpu().numpy().astype(np.int64))
        sizes.append(
            [int(x.shape[0]), str(x.dtype).replace("torch.", ""), str(y.dtype).replace("torch.", "")]
        )
    if not images:
        return np.zeros((0, 3, 32, 32), dtype=np.float32), np.zeros(0, dtype=np.int64), sizes
    return np.concatenate(images), np.concatenate(labels), sizes


# -- tasks ------------------------------------------------------------------------------
def transform_report(mean: list, std: list, images: np.ndarray, seeds: list) -> dict:
    """The student's build_transforms on uint8 images (K, 32, 32, 3).

    Returns {"eval", "eval_augment", "train_plain": (K, 3, 32, 32) outputs of
    build_transforms(mean, std, train=False), (..., train=False, augment=True),
    (..., train=True, augment=False); "augmented": (S, 3, 32, 32), the first
    image through build_transforms(mean, std, train=True) under each torch seed}.
    """
    import random

    import torch
    from PIL import Image

    build = student_module("data").build_transforms
    pil = [Image.fromarray(np.ascontiguousarray(image, dtype=np.uint8)) for image in images]

    def apply(transform, image, call):
        out = transform(image)
        if not isinstance(out, torch.Tensor):
            raise TypeError(f"the transform of {call} should give a tensor, got {type(out).__name__}")
        return out.detach().numpy()

    result = {}
    for key, kwargs in (
        ("eval", {"train": False}),
        ("eval_augment", {"train": False, "augment": True}),
        ("train_plain", {"train": True, "augment": False}),
    ):
        call = "build_transforms(mean, std, " + ", ".join(f"{k}={v}" for k, v in kwargs.items()) + ")"
        transform = build(list(mean), list(std), **kwargs)
        result[key] = np.stack([apply(transform, image, call) for image in pil])
    transform = build(list(mean), list(std), train=True)
    augmented = []
    for seed in seeds:
        torch.manual_seed(int(seed))
        random.seed(int(seed))
        augmented.append(apply(transform, pil[0], "build_transforms(mean, std, train=True)"))
    result["augmented"] = np.stack(augmented)
    return result


def loader_report(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    batch_size: int,
    val_fraction: float,
    seed: int,
    other_seed: int,
) -> dict:
    """Write the arrays as ./a5_data/cifar-10-batches-py and run make_loaders on it.

    Calls make_loaders(root, batch_size, val_fraction, augment=True, seed),
    again with the same seed, with augment=False, and with ``other_seed``.
    Returns the images (float arrays (N, 3, 32, 32)) and labels of: "test" and
    "test_again" (two passes), "val", "val_again" (the second call), "val_other",
    "train" (augmented, one pass), "train_plain" (augment=False), the test
    loaders of the other calls ("test_of_again", "test_of_plain",
    "test_of_other": each call normalises with its own statistics), the
    validation split of the augment=False call ("val_of_plain"), plus
    "train_batches" ([size, image dtype, label dtype] per training batch).
    """
    make_loaders = student_module("data").make_loaders
    sums = write_cifar10(DATA_DIR, x_train, y_train, x_test, y_test)
    common = {"batch_size": int(batch_size), "val_fraction": float(val_fraction)}
    with TorchvisionAccepts("CIFAR10", sums):
        first = make_loaders(DATA_DIR, augment=True, seed=int(seed), **common)
        again = make_loaders(DATA_DIR, augment=True, seed=int(seed), **common)
        plain = make_loaders(DATA_DIR, augment=False, seed=int(seed), **common)
        other = make_loaders(DATA_DIR, augment=True, seed=int(other_seed), **common)
    for loaders in (first, again, plain, other):
        if not isinstance(loaders, tuple) or len(loaders) != 3:
            raise TypeError("make_loaders should return a tuple (train, val, test) of three loaders")
    report: dict[str, Any] = {}
    for key, loader, what in (
        ("test", first[2], "test"),
        ("test_again", first[2], "test"),
        ("val", first[1], "validation"),
        ("val_again", again[1], "validation"),
        ("val_other", other[1], "validation"),
        ("train", first[0], "training"),
        ("train_plain", plain[0], "training"),
        ("test_of_again", again[2], "test"),
        ("test_of_plain", plain[2], "test"),
        ("test_of_other", other[2], "test"),
        ("val_of_plain", plain[1], "validation"),
    ):
        images, labels, sizes = _collect(loader, what)
        report[key] = images
        report[key + "_labels"] = labels
        if key == "train":
            report["train_batches"] = sizes
    return report


def cifarnet_report(
    num_classes: int, batchnorm: bool, dropout: float, x: np.ndarray, weights: list | None = None
) -> dict:
    """:func:`probe_cifarnet` of the student's ``model.CifarNet``."""
    return probe_cifarnet(student_module("model").CifarNet, num_classes, batchnorm, dropout, x, weights)


def evaluate_report(seed: int) -> dict:
    """:func:`run_evaluate` with the student's ``train.evaluate``."""
    return run_evaluate(student_module("train").evaluate, seed)


def train_epoch_report(seed: int, gamma: float | None = None) -> dict:
    """:func:`run_train_epoch` with the student's ``train.train_one_epoch``, twice.

    Returns the first run's result and "weights_again", the weights of the second.
    """
    train_one_epoch = student_module("train").train_one_epoch
    first = run_train_epoch(train_one_epoch, seed, gamma=gamma)
    first["weights_again"] = run_train_epoch(train_one_epoch, seed, gamma=gamma)["weights"]
    return first


def fit_report(seed: int, epochs: int = 4, lr: float = 0.05) -> dict:
    """:func:`run_fit` with the student's ``train.fit`` and a checkpoint in the working folder."""
    return run_fit(student_module("train").fit, seed, epochs=epochs, lr=lr, checkpoint_path=CHECKPOINT)


def overfit_probe(seed: int) -> torch.nn.Module:
    """A float64 MLP (N, 3, 8, 8) -> (N, 10) with 12,938 parameters and no buffers."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(192, 64), nn.ReLU(), nn.Linear(64, OVERFIT_CLASSES)).double()


def overfit_batch(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(images float64 (16, 3, 8, 8), labels int64 (16,) in [0, 10)): the batch to memorise."""
    import torch

    g = torch.Generator().manual_seed(seed + 1)
    x = torch.randn(OVERFIT_BATCH, 3, 8, 8, generator=g, dtype=torch.float64)
    return x, torch.randint(0, OVERFIT_CLASSES, (OVERFIT_BATCH,), generator=g)


def overfit_report(seed: int, steps: int = 20, lr: float = 1e-3) -> dict:
    """The student's train_one_epoch, ``steps`` times, on one batch with Adam(lr).

    The model is :func:`overfit_probe` and the loader holds :func:`overfit_batch`;
    returns {"weights": the probe's state arrays afterwards}: the grader
    measures what the probe learned.
    """
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    train_one_epoch = student_module("train").train_one_epoch
    net = overfit_probe(seed)
    loader = DataLoader(TensorDataset(*overfit_batch(seed)), batch_size=OVERFIT_BATCH)
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    torch.manual_seed(seed + 2)
    for _ in range(steps):
        train_one_epoch(net, loader, optimizer, "cpu")
    return {"weights": state_arrays(net)}
