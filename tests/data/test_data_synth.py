"""Synthetic datasets load through torchvision's real classes, in the real formats."""

from __future__ import annotations

import gzip
import json
import pickle

import numpy as np
import pytest
import torch
import torchvision
from torchvision import transforms

from autograder.data.errors import DataError, DatasetMissing
from autograder.data.load import (
    cifar_dataset,
    dataset_arrays,
    dataset_class,
    is_synth,
    mnist_dataset,
    synth_checksums,
)
from autograder.data.synth import SYNTH_MARKER, write_synth


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("synth")
    write_synth("cifar10", root, n=500, seed=1)
    write_synth("cifar100", root, n=400, n_test=200, seed=2)
    write_synth("mnist", root, n=300, seed=3)
    return root


@pytest.mark.parametrize(
    "name, cls, n_train, n_test, classes",
    [
        ("cifar10", torchvision.datasets.CIFAR10, 500, 100, 10),
        ("cifar100", torchvision.datasets.CIFAR100, 400, 200, 100),
    ],
)
def test_cifar_synth_loads_with_torchvision(root, name, cls, n_train, n_test, classes):
    assert is_synth(name, root)
    for train, n in ((True, n_train), (False, n_test)):
        dataset = cifar_dataset(name, root, train=train)
        assert isinstance(dataset, cls)
        assert dataset.data.shape == (n, 32, 32, 3) and dataset.data.dtype == np.uint8
        labels = np.asarray(dataset.targets)
        assert labels.min() >= 0 and labels.max() < classes
        counts = np.bincount(labels, minlength=classes)
        assert counts.max() - counts.min() <= 1  # balanced
        assert len(dataset.classes) == classes
        image, label = dataset[0]
        assert image.size == (32, 32) and image.mode == "RGB" and label == labels[0]


def test_cifar10_files_have_the_real_layout(root):
    folder = root / "cifar-10-batches-py"
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["batches.meta"] + [f"data_batch_{i}" for i in range(1, 6)] + [SYNTH_MARKER, "test_batch"]
    with open(folder / "data_batch_1", "rb") as handle:
        batch = pickle.load(handle, encoding="latin1")
    assert {"batch_label", "labels", "data", "filenames"} <= set(batch)
    assert batch["data"].dtype == np.uint8 and batch["data"].shape[1] == 3072
    with open(folder / "batches.meta", "rb") as handle:
        assert len(pickle.load(handle, encoding="latin1")["label_names"]) == 10
    # rows are CHW: the first 1024 values are the red plane of the HWC image torchvision builds
    dataset = cifar_dataset("cifar10", root, train=True)
    np.testing.assert_array_equal(batch["data"][0, :1024].reshape(32, 32), dataset.data[0, :, :, 0])


def test_cifar100_has_fine_and_coarse_labels(root):
    with open(root / "cifar-100-python" / "train", "rb") as handle:
        entry = pickle.load(handle, encoding="latin1")
    assert len(entry["fine_labels"]) == len(entry["coarse_labels"]) == 400
    assert max(entry["coarse_labels"]) < 20
    with open(root / "cifar-100-python" / "meta", "rb") as handle:
        meta = pickle.load(handle, encoding="latin1")
    assert len(meta["fine_label_names"]) == 100 and len(meta["coarse_label_names"]) == 20


def test_mnist_synth_loads_with_torchvision(root):
    for train, n in ((True, 300), (False, 60)):
        dataset = mnist_dataset(root, train=train)
        assert type(dataset) is torchvision.datasets.MNIST
        assert dataset.data.shape == (n, 28, 28) and dataset.data.dtype == torch.uint8
        counts = np.bincount(dataset.targets.numpy(), minlength=10)
        assert counts.max() - counts.min() <= 1
    raw = root / "MNIST" / "raw"
    for stem in (
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ):
        assert gzip.decompress((raw / f"{stem}.gz").read_bytes()) == (raw / stem).read_bytes()
    tensor = transforms.ToTensor()(mnist_dataset(root)[0][0])
    assert tensor.shape == (1, 28, 28) and tensor.dtype == torch.float32


def test_synth_is_deterministic_and_seed_dependent(tmp_path):
    a = write_synth("cifar10", tmp_path / "a", n=50, seed=0)
    b = write_synth("cifar10", tmp_path / "b", n=50, seed=0)
    c = write_synth("cifar10", tmp_path / "c", n=50, seed=1)
    md5 = [json.loads((f / SYNTH_MARKER).read_text())["md5"] for f in (a, b, c)]
    assert md5[0] == md5[1] and md5[0]["data_batch_1"] != md5[2]["data_batch_1"]


def test_a_corrupted_synth_file_is_reported(tmp_path):
    folder = write_synth("cifar10", tmp_path, n=50)
    with open(folder / "data_batch_2", "ab") as handle:
        handle.write(b"x")
    with pytest.raises(DatasetMissing, match="corrupted.*autograder data fetch cifar10"):
        cifar_dataset("cifar10", tmp_path)


def test_torchvision_alone_rejects_synth_but_the_context_manager_admits_it(root):
    with pytest.raises(RuntimeError, match="not found or corrupted"):
        torchvision.datasets.CIFAR10(str(root), train=True)
    saved = torchvision.datasets.CIFAR10.train_list
    with synth_checksums("cifar10", root):
        assert len(torchvision.datasets.CIFAR10(str(root), train=False)) == 100
    assert torchvision.datasets.CIFAR10.train_list is saved
    assert dataset_class("cifar10", root).__bases__ == (torchvision.datasets.CIFAR10,)


@pytest.mark.parametrize("name", ["cifar10", "cifar100", "mnist"])
def test_missing_dataset_names_the_fetch_command(tmp_path, name):
    with pytest.raises(DatasetMissing) as info:
        dataset_arrays(name, tmp_path)
    message = str(info.value)
    assert f"autograder data fetch {name}" in message and "\n" not in message


def test_write_synth_refuses_to_overwrite_real_files(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    (folder / "data_batch_1").write_bytes(b"real data")
    with pytest.raises(DataError, match="refusing"):
        write_synth("cifar10", tmp_path, n=20)
    assert (folder / "data_batch_1").read_bytes() == b"real data"


def test_synth_classes_are_learnable(root):
    """A linear classifier on 8x8-pooled pixels clearly beats chance on the test split."""

    def features(train):
        images, labels = dataset_arrays("cifar10", root, train)
        x = torch.from_numpy(images).permute(0, 3, 1, 2).double() / 255
        return torch.nn.functional.avg_pool2d(x, 4).flatten(1).numpy(), labels

    from sklearn.linear_model import LogisticRegression

    x_train, y_train = features(True)
    x_test, y_test = features(False)
    accuracy = LogisticRegression(max_iter=500).fit(x_train, y_train).score(x_test, y_test)
    assert accuracy > 0.5  # chance is 0.1
