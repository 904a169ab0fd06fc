"""Small learnable datasets written in the exact on-disk formats torchvision reads.

``write_synth("cifar10", root)`` creates ``root/cifar-10-batches-py`` with the
pickled batches of the real CIFAR-10 python version (``data_batch_1`` ...
``data_batch_5``, ``test_batch``, ``batches.meta``; uint8 rows of 3072 values
in CHW order); ``cifar100`` creates ``root/cifar-100-python`` (``train``,
``test``, ``meta`` with fine and coarse labels); ``mnist`` creates
``root/MNIST/raw`` with the four IDX files, uncompressed and gzipped.

Every class has a template: a colour offset and a sinusoidal grating with a
class-specific orientation, frequency and per-channel amplitude. An image is
its class template at a random phase plus Gaussian noise and a brightness
jitter, so a small CNN learns the classes in a few CPU epochs while random
crops and flips keep the label. The templates depend on ``seed`` only, so the
train and test splits share them. A ``synth.json`` beside the files records
the MD5 sums written; :mod:`autograder.data.load` uses it to load the files
with torchvision's own classes.
"""

from __future__ import annotations

import gzip
import json
import os
import pickle
import struct
from pathlib import Path

import numpy as np
from torchvision.datasets.utils import calculate_md5

from autograder.data.errors import DataError
from autograder.data.manifest import canonical_name, dataset_entry

SYNTH_MARKER = "synth.json"
CIFAR10_LABELS = ["airplane", "automobile", "bird", "cat", "deer",
                  "dog", "frog", "horse", "ship", "truck"]
_CHUNK = 2048


def _templates(num_classes: int, channels: int, rng: np.random.Generator) -> dict:
    """Per-class colour (K, C), amplitude (K, C), frequency (K,) and angle (K,)."""
    return {
        "colour": rng.uniform(-1.0, 1.0, (num_classes, channels)),
        "amplitude": rng.uniform(0.5, 1.0, (num_classes, channels))
        * rng.choice([-1.0, 1.0], (num_classes, channels)),
        "frequency": rng.integers(1, 4, num_classes).astype(np.float64),
        "angle": np.pi * (np.arange(num_classes) + rng.uniform(0.0, 0.5, num_classes)) / num_classes,
    }


def make_images(labels: np.ndarray, templates: dict, size: int, rng: np.random.Generator) -> np.ndarray:
    """uint8 images (N, size, size, C) for int labels (N,), drawn from the class templates."""
    channels = templates["colour"].shape[1]
    grid = np.arange(size, dtype=np.float64) / size
    ys, xs = np.meshgrid(grid, grid, indexing="ij")                      # (H, W)
    out = np.empty((len(labels), size, size, channels), dtype=np.uint8)
    for start in range(0, len(labels), _CHUNK):
        lab = labels[start:start + _CHUNK]
        m = len(lab)
        angle = templates["angle"][lab][:, None, None]
        freq = templates["frequency"][lab][:, None, None]
        phase = rng.uniform(0.0, 2.0 * np.pi, (m, 1, 1))
        wave = np.sin(2.0 * np.pi * freq * (xs * np.cos(angle) + ys * np.sin(angle)) + phase)
        image = (128.0
                 + 45.0 * templates["colour"][lab][:, None, None, :]
                 + 50.0 * templates["amplitude"][lab][:, None, None, :] * wave[..., None]
                 + rng.normal(0.0, 8.0, (m, 1, 1, 1))
                 + rng.normal(0.0, 20.0, (m, size, size, channels)))
        out[start:start + m] = np.clip(np.rint(image), 0, 255).astype(np.uint8)
    return out


def balanced_labels(n: int, num_classes: int, rng: np.random.Generator) -> np.ndarray:
    """int64 labels (n,), every class count within one of n / num_classes, shuffled."""
    return rng.permutation(np.arange(n) % num_classes).astype(np.int64)


def synth_arrays(name: str, n: int, n_test: int, seed: int = 0) -> tuple:
    """The images and labels ``write_synth`` writes, as arrays.

    Returns (x_train, y_train, x_test, y_test): uint8 images (N, H, W, C)
    (C = 1 for MNIST) and int64 labels (N,), balanced over the classes.
    """
    entry = dataset_entry(name)
    rng = np.random.default_rng(seed)
    shape = entry["image_shape"]
    channels = shape[2] if len(shape) == 3 else 1
    num_classes = int(entry["num_classes"])
    templates = _templates(num_classes, channels, rng)
    out = []
    for split_rng, count in zip(rng.spawn(2), (n, n_test)):
        labels = balanced_labels(count, num_classes, split_rng)
        out += [make_images(labels, templates, shape[0], split_rng), labels]
    return tuple(out)


def _pickle(path: Path, obj: dict) -> None:
    with open(path, "wb") as handle:
        pickle.dump(obj, handle, protocol=2)


def _cifar_rows(images: np.ndarray) -> np.ndarray:
    """(N, 32, 32, 3) HWC uint8 -> (N, 3072) rows in CHW order, as the real batches."""
    return np.ascontiguousarray(images.transpose(0, 3, 1, 2).reshape(len(images), -1))


def _write_cifar10(folder: Path, train: tuple, test: tuple) -> None:
    (x_train, y_train), (x_test, y_test) = train, test
    batches = np.array_split(np.arange(len(y_train)), 5)
    for number, index in enumerate(batches, start=1):
        _pickle(folder / f"data_batch_{number}", {
            "batch_label": f"training batch {number} of 5",
            "labels": [int(v) for v in y_train[index]],
            "data": _cifar_rows(x_train[index]),
            "filenames": [f"synth_train_{i:06d}.png" for i in index],
        })
    _pickle(folder / "test_batch", {
        "batch_label": "testing batch 1 of 1",
        "labels": [int(v) for v in y_test],
        "data": _cifar_rows(x_test),
        "filenames": [f"synth_test_{i:06d}.png" for i in range(len(y_test))],
    })
    _pickle(folder / "batches.meta", {"num_cases_per_batch": len(batches[0]),
                                      "label_names": list(CIFAR10_LABELS), "num_vis": 3072})


def _write_cifar100(folder: Path, train: tuple, test: tuple) -> None:
    for split, (images, labels) in (("train", train), ("test", test)):
        _pickle(folder / split, {
            "filenames": [f"synth_{split}_{i:06d}.png" for i in range(len(labels))],
            "batch_label": f"{'training' if split == 'train' else 'testing'} batch 1 of 1",
            "fine_labels": [int(v) for v in labels],
            "coarse_labels": [int(v) // 5 for v in labels],
            "data": _cifar_rows(images),
        })
    _pickle(folder / "meta", {"fine_label_names": [f"synth_fine_{k:02d}" for k in range(100)],
                              "coarse_label_names": [f"synth_coarse_{k:02d}" for k in range(20)]})


def _idx_bytes(array: np.ndarray) -> bytes:
    """An uint8 array in the IDX format (big-endian header: 0, 0, 0x08, ndim; sizes)."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def _write_mnist(folder: Path, train: tuple, test: tuple) -> None:
    for prefix, (images, labels) in (("train", train), ("t10k", test)):
        for kind, array in (("images-idx3", images[..., 0]), ("labels-idx1", labels.astype(np.uint8))):
            path = folder / f"{prefix}-{kind}-ubyte"
            payload = _idx_bytes(array)
            path.write_bytes(payload)
            with open(str(path) + ".gz", "wb") as handle:
                with gzip.GzipFile(filename="", mode="wb", fileobj=handle, mtime=0) as gz:
                    gz.write(payload)


_WRITERS = {"cifar10": _write_cifar10, "cifar100": _write_cifar100, "mnist": _write_mnist}


def _refuse_real_data(folder: Path, entry: dict) -> None:
    if (folder / SYNTH_MARKER).exists() or not folder.is_dir():
        return
    present = [item["filename"] for item in entry["files"] if (folder / item["filename"]).exists()]
    if present:
        raise DataError(f"{folder} already holds {entry['name']} files that are not synthetic; "
                        "refusing to overwrite them (choose another root)")


def write_synth(name: str, root: str | os.PathLike, n: int = 1000, seed: int = 0,
                n_test: int | None = None) -> Path:
    """Write a synthetic dataset under ``root`` in torchvision's on-disk format.

    name: "cifar10", "cifar100" or "mnist". n: number of training images;
    n_test: number of test images (default max(n // 5, number of classes)).
    Labels are balanced (class counts differ by at most one). Returns the
    folder written (e.g. ``root/cifar-10-batches-py``).
    """
    key = canonical_name(name)
    entry = dataset_entry(key)
    if key not in _WRITERS:
        raise DataError(f"no synthetic generator for {entry['name']}")
    num_classes = int(entry["num_classes"])
    n = int(n)
    n_test = max(n // 5, num_classes) if n_test is None else int(n_test)
    if n < 1 or n_test < 1:
        raise DataError("a synthetic dataset needs at least one training and one test image")
    folder = Path(root) / entry["folder"]
    _refuse_real_data(folder, entry)
    folder.mkdir(parents=True, exist_ok=True)

    splits = synth_arrays(key, n, n_test, seed)
    _WRITERS[key](folder, splits[:2], splits[2:])

    written = sorted(p.name for p in folder.iterdir() if p.is_file() and p.name != SYNTH_MARKER)
    marker = {"dataset": key, "synthetic": True, "generator": "autograder.data.synth",
              "seed": int(seed), "train_size": n, "test_size": n_test,
              "md5": {filename: calculate_md5(folder / filename) for filename in written}}
    (folder / SYNTH_MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    return folder
