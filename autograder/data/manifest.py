"""Reads source_data/manifest.json: names, torchvision classes, files and MD5 sums."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

from autograder.data.errors import UnknownDataset

SOURCE_DATA = Path(__file__).resolve().parents[2] / "source_data"
MANIFEST_PATH = SOURCE_DATA / "manifest.json"


def default_root() -> str:
    """Where datasets go and are looked for: $AUTOGRADER_DATA, else the repository's source_data/."""
    return os.environ.get("AUTOGRADER_DATA") or str(SOURCE_DATA)


def canonical_name(name: str) -> str:
    """'CIFAR-10', 'cifar_10' and 'cifar10' all become 'cifar10'."""
    return "".join(ch for ch in str(name).lower() if ch.isalnum())


@lru_cache(maxsize=4)
def _read(path: str) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def load_manifest(path: str | Path | None = None) -> dict:
    """The whole manifest as a dict (``{"datasets": {name: entry}}``)."""
    return _read(str(Path(path) if path is not None else MANIFEST_PATH))


def dataset_names(manifest: dict | None = None) -> list[str]:
    """The canonical names of every dataset in the manifest."""
    manifest = load_manifest() if manifest is None else manifest
    return sorted(manifest["datasets"])


def dataset_entry(name: str, manifest: dict | None = None) -> dict:
    """The manifest entry of one dataset (raises UnknownDataset with the known names)."""
    manifest = load_manifest() if manifest is None else manifest
    key = canonical_name(name)
    if key not in manifest["datasets"]:
        known = ", ".join(dataset_names(manifest))
        raise UnknownDataset(f"unknown dataset {name!r}; known datasets: {known}")
    return manifest["datasets"][key]


def torchvision_class(entry: dict):
    """The torchvision dataset class an entry names (e.g. torchvision.datasets.CIFAR10)."""
    import importlib

    module_name, _, class_name = entry["torchvision_class"].rpartition(".")
    return getattr(importlib.import_module(module_name), class_name)
