"""MD5 verification of a dataset's files against the manifest."""

from __future__ import annotations

import os
from pathlib import Path

from torchvision.datasets.utils import calculate_md5

from autograder.data.errors import ChecksumMismatch
from autograder.data.manifest import dataset_entry


def dataset_folder(name: str, root: str | os.PathLike, manifest: dict | None = None) -> Path:
    """The folder holding the dataset's files, e.g. ``root/cifar-10-batches-py``."""
    return Path(root) / dataset_entry(name, manifest)["folder"]


def problems(name: str, root: str | os.PathLike, manifest: dict | None = None) -> list[str]:
    """One short line per manifest file that is missing or has another MD5 sum."""
    entry = dataset_entry(name, manifest)
    folder = Path(root) / entry["folder"]
    found = []
    for item in entry["files"]:
        path = folder / item["filename"]
        if not path.is_file():
            found.append(f"{path} is missing")
        elif calculate_md5(path) != item["md5"]:
            found.append(f"{path} has the wrong MD5 sum")
    return found


def verify(name: str, root: str | os.PathLike, manifest: dict | None = None) -> None:
    """Raise ChecksumMismatch (one line) unless every manifest file matches its MD5 sum."""
    found = problems(name, root, manifest)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise ChecksumMismatch(f"{dataset_entry(name, manifest)['name']}: {found[0]}{more}")
