"""Realistic a6 slips, each a small edit of the reference (see examples/__init__.py).

An a6 submission is graded together with a checkpoint and a dataset, which
no edit of challenge.py provides. :func:`prepare` completes a materialised
submission: it writes ``model.pt`` (the reference trained for a few steps on
a small synthetic stand-in of CIFAR-100, once per process) and returns the
keyword arguments ``grade()`` needs to find that stand-in::

    path = materialize("a6_cifar100", bug, tmp_path)
    report = grade(load_rubric("a6_cifar100"), path, **prepare(path))

Every example therefore carries the reference's checkpoint: a slip in the
model's code shows as a model that no longer matches, or misreads, the
weights it was trained with.
"""

from __future__ import annotations

import atexit
import json
import pickle
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from autograder.examples import Bug, Edit

STAND_IN = {"classes": 10, "per_class": 40, "per_class_test": 10, "seed": 0}
REFERENCE_STEPS = 12


def write_few_class_cifar100(root, classes: int = 8, per_class: int = 40, per_class_test: int = 20,
                             seed: int = 0) -> Path:
    """A synthetic cifar-100-python under ``root`` that keeps only the labels < ``classes``.

    The synthetic writer balances its labels over all 100 classes; the splits
    are then cut down to the first ``classes`` of them (so that a few CPU
    seconds of training learn them) and the synth.json checksums updated, so
    that the course's loader (and torchvision's class within it) accepts the
    files. Returns ``root``.
    """
    from torchvision.datasets.utils import calculate_md5

    from autograder.data.synth import SYNTH_MARKER, write_synth

    folder = write_synth("cifar100", root, n=100 * per_class, n_test=100 * per_class_test, seed=seed)
    for split in ("train", "test"):
        with open(folder / split, "rb") as handle:
            entry = pickle.load(handle, encoding="latin1")
        keep = np.flatnonzero(np.asarray(entry["fine_labels"]) < classes)
        entry = {"filenames": [entry["filenames"][i] for i in keep],
                 "batch_label": entry["batch_label"],
                 "fine_labels": [entry["fine_labels"][i] for i in keep],
                 "coarse_labels": [entry["coarse_labels"][i] for i in keep],
                 "data": entry["data"][keep]}
        with open(folder / split, "wb") as handle:
            pickle.dump(entry, handle, protocol=2)
    marker = json.loads((folder / SYNTH_MARKER).read_text(encoding="utf-8"))
    marker["md5"] = {name: calculate_md5(folder / name) for name in marker["md5"]}
    (folder / SYNTH_MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    return Path(root)


@lru_cache(maxsize=1)
def stand_in_root() -> Path:
    """The synthetic stand-in the examples are graded on (written once per process)."""
    root = Path(tempfile.mkdtemp(prefix="a6-examples-"))
    atexit.register(shutil.rmtree, root, True)
    return write_few_class_cifar100(root, **STAND_IN)


def train_reference(data_root, steps: int = REFERENCE_STEPS, seed: int = 0):
    """The reference model after ``steps`` SGD steps on ``data_root``'s training split.

    A fixed number of steps on the CPU (rather than the reference's timed
    ``train``), so that the checkpoint, and hence every example's grade, is the
    same on a busy machine as on an idle one.
    """
    import torch
    import torch.nn.functional as F

    from autograder.reference import SOLUTIONS, Reference

    challenge = Reference(SOLUTIONS / "a6_cifar100", ["challenge"]).modules["challenge"]
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    images, labels = challenge.load_cifar100(data_root, train=True)
    images = challenge.images_to_device(images, "cpu")
    labels = torch.as_tensor(labels)
    model = challenge.build_model()
    model.normalize.set_statistics(*challenge.channel_stats(images))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
    model.train()
    for step in range(steps):
        index = torch.randint(0, len(labels), (32,), generator=generator)
        x = challenge.to_float(challenge.random_crop_flip(images[index], generator))
        for group in optimizer.param_groups:  # one cycle over the fixed number of steps
            group["lr"] = 0.1 * float(np.interp(step / steps, [0.0, 0.25, 1.0], [0.02, 1.0, 0.0]))
        loss = F.cross_entropy(model(x), labels[index], label_smoothing=0.2)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.eval()


@lru_cache(maxsize=1)
def reference_checkpoint() -> Path:
    """model.pt of :func:`train_reference` on the stand-in (trained once per process)."""
    import torch

    folder = Path(tempfile.mkdtemp(prefix="a6-checkpoint-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / "model.pt"
    torch.save(train_reference(stand_in_root()).state_dict(), path)
    return path


def prepare(destination) -> dict:
    """Put the reference checkpoint into a materialised submission; returns grade()'s extra kwargs."""
    shutil.copyfile(reference_checkpoint(), Path(destination) / "model.pt")
    return {"data_root": str(stand_in_root())}


_ALL = ("build_model", "model.pt", "test accuracy", "train() keeps its time budget")

BUGS = [
    Bug("ten_logits", "the last layer still has the 10 outputs of the CIFAR-10 network",
        (Edit("challenge.py", "nn.Linear(widths[3], NUM_CLASSES, bias=False)", "nn.Linear(widths[3], 10, bias=False)"),),
        caught_by=("build_model",),
        also=("model.pt", "test accuracy", "train() keeps its time budget"),
        mentions=("(5, 100)",)),
    Bug("softmax_head", "the model ends in a softmax and returns probabilities, not logits",
        (Edit("challenge.py", "        Scale(0.125),\n", "        Scale(0.125),\n        nn.Softmax(dim=1),\n"),),
        caught_by=("build_model",),
        also=("test accuracy",),
        mentions=("probabilities",)),
    Bug("tuple_output", "in evaluation mode the model returns (logits, features)",
        (Edit("challenge.py", "return 0.5 * (self.net(x) + self.net(torch.flip(x, dims=(3,))))",
              "return 0.5 * (self.net(x) + self.net(torch.flip(x, dims=(3,)))), x"),),
        caught_by=("build_model", "model.pt", "test accuracy"),
        also=("train() keeps its time budget",),
        mentions=("tuple",)),
    Bug("normalised_outside", "the normalisation was moved out of the model, into the training loop",
        (Edit("challenge.py", "        x = self.normalize(x)\n", ""),),
        caught_by=("test accuracy",)),
    Bug("pixels_divided_twice", "the model divides its input by 255 although it already gets [0, 1] floats",
        (Edit("challenge.py", "        return (x - self.mean.to(x.dtype)) / self.std.to(x.dtype)",
              "        x = x / 255.0\n        return (x - self.mean.to(x.dtype)) / self.std.to(x.dtype)"),),
        caught_by=("test accuracy",)),
    Bug("wrapped_after_saving", "the network was wrapped in another Sequential after model.pt was saved",
        (Edit("challenge.py", "return ImageClassifier(net, tta=True)", "return ImageClassifier(nn.Sequential(net), tta=True)"),),
        caught_by=("model.pt", "test accuracy"),
        mentions=("does not match build_model()", "missing")),
    Bug("conv_bias_added", "the convolutions were given biases after model.pt was saved",
        (Edit("challenge.py", "nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, bias=False)",
              "nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, bias=True)"),),
        caught_by=("model.pt", "test accuracy"),
        mentions=("missing from the file",)),
    Bug("narrower_last_stage", "the last stage was narrowed to 384 channels after model.pt was saved",
        (Edit("challenge.py", "widths = (64, 128, 256, 512)", "widths = (64, 128, 256, 384)"),),
        caught_by=("model.pt", "test accuracy"),
        mentions=("another shape",)),
    Bug("ignores_budget", "train() runs its full number of steps whatever the time budget",
        (Edit("challenge.py", "return step < max_steps and clock() + pace <= deadline", "return step < max_steps"),),
        caught_by=("train() keeps its time budget",)),
    Bug("budget_in_minutes", "train() reads time_budget_s as minutes",
        (Edit("challenge.py", "deadline = 0.95 * time_budget_s - 0.25", "deadline = 0.95 * time_budget_s * 60 - 0.25"),),
        caught_by=("train() keeps its time budget",)),
    Bug("returns_nothing", "train() trains the model but forgets to return it",
        (Edit("challenge.py", "    return model.eval()\n", "    model.eval()\n"),),
        caught_by=("train() keeps its time budget",),
        mentions=("NoneType",)),
    Bug("returns_state_dict", "train() returns the state_dict instead of the module",
        (Edit("challenge.py", "    return model.eval()\n", "    return model.state_dict()\n"),),
        caught_by=("train() keeps its time budget",),
        mentions=("nn.Module",)),
]
