"""The manifest agrees with the checksums torchvision itself uses."""

from __future__ import annotations

import pytest
import torchvision

from autograder.data.errors import UnknownDataset
from autograder.data.manifest import (
    canonical_name,
    dataset_entry,
    dataset_names,
    load_manifest,
    torchvision_class,
)


def test_manifest_lists_the_three_datasets():
    assert dataset_names() == ["cifar10", "cifar100", "mnist"]
    for name in dataset_names():
        entry = dataset_entry(name)
        assert {"name", "torchvision_class", "folder", "files", "num_classes"} <= set(entry)


@pytest.mark.parametrize(
    "name, cls", [("cifar10", torchvision.datasets.CIFAR10), ("cifar100", torchvision.datasets.CIFAR100)]
)
def test_cifar_checksums_match_torchvision(name, cls):
    entry = dataset_entry(name)
    assert torchvision_class(entry) is cls
    assert entry["folder"] == cls.base_folder
    assert entry["archive"] == {"url": cls.url, "filename": cls.filename, "md5": cls.tgz_md5}
    listed = {item["filename"]: (item["md5"], item["role"]) for item in entry["files"]}
    expected = {f: (md5, "train") for f, md5 in cls.train_list}
    expected.update({f: (md5, "test") for f, md5 in cls.test_list})
    expected[cls.meta["filename"]] = (cls.meta["md5"], "meta")
    assert listed == expected
    assert entry["meta_key"] == cls.meta["key"]


def test_mnist_checksums_match_torchvision():
    entry = dataset_entry("mnist")
    assert torchvision_class(entry) is torchvision.datasets.MNIST
    assert [(item["filename"], item["md5"]) for item in entry["files"]] == [
        tuple(resource) for resource in torchvision.datasets.MNIST.resources
    ]
    assert entry["folder"] == "MNIST/raw"


def test_names_are_forgiving_and_unknown_names_are_one_line():
    assert canonical_name("CIFAR-10") == canonical_name("cifar_10") == "cifar10"
    assert dataset_entry("CIFAR-100")["name"] == "CIFAR-100"
    with pytest.raises(UnknownDataset) as info:
        dataset_entry("imagenet")
    assert "\n" not in str(info.value) and "cifar10" in str(info.value)


def test_manifest_is_cached_but_a_path_can_be_given(tmp_path):
    path = tmp_path / "manifest.json"
    path.write_text('{"datasets": {}}')
    assert load_manifest(path) == {"datasets": {}}
    assert "cifar10" in load_manifest()["datasets"]
