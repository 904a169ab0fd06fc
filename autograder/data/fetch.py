"""Downloads a dataset through torchvision and verifies it against the manifest.

torchvision does the download (with its tqdm progress bar), the MD5 check of
the archive and the extraction; afterwards every file the manifest lists is
checked against its MD5 sum.
"""

from __future__ import annotations

import os
from pathlib import Path

from autograder.data.checksums import verify
from autograder.data.errors import DataError, DownloadFailed
from autograder.data.manifest import canonical_name, dataset_entry, default_root, torchvision_class
from autograder.data.synth import SYNTH_MARKER


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(getattr(exc, "reason", None) or exc).split())
    return (text or type(exc).__name__)[:300]


def fetch(name: str, root: str | os.PathLike | None = None) -> Path:
    """Download dataset ``name`` into ``root`` (default: default_root()) with
    torchvision (download=True) and verify it.

    Returns the dataset's folder. Raises DownloadFailed (one line) when the
    download fails and ChecksumMismatch when a file does not match the
    manifest's MD5 sum. A folder holding a synthetic copy is left alone.
    """
    key = canonical_name(name)
    entry = dataset_entry(key)
    root = default_root() if root is None else root
    folder = Path(root) / entry["folder"]
    if (folder / SYNTH_MARKER).exists():
        raise DataError(f"{folder} holds a synthetic {entry['name']}; remove it or fetch into another root")
    cls = torchvision_class(entry)
    Path(root).mkdir(parents=True, exist_ok=True)
    try:
        cls(str(root), train=True, download=True)
    except Exception as exc:  # noqa: BLE001 - network, HTTP, disk and archive errors alike
        raise DownloadFailed(f"could not download {entry['name']} into {root}: {_one_line(exc)}") from None
    verify(key, root)
    return folder
