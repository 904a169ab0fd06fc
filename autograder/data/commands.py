"""The `autograder data ...` subcommands as plain functions (the CLI wires them up).

Each prints one line and returns the process exit code.
"""

from __future__ import annotations

import sys

from autograder.data.errors import DataError
from autograder.data.manifest import dataset_entry, default_root


def fetch_command(name: str, root: str | None = None) -> int:
    """`autograder data fetch NAME [--root DIR]`: download and verify a dataset
    (by default where the grader looks for it, see default_root())."""
    from autograder.data.fetch import fetch

    root = default_root() if root is None else root
    try:
        title = dataset_entry(name)["name"]
        print(f"downloading {title} into {root} through torchvision ...", flush=True)
        folder = fetch(name, root)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{title} is in {folder}; every file matches its MD5 sum")
    return 0


def synth_command(name: str, root: str, n: int = 1000, seed: int = 0) -> int:
    """`autograder data synth NAME --root DIR [--n N] [--seed S]`: write a small synthetic copy."""
    from autograder.data.synth import write_synth

    try:
        folder = write_synth(name, root, n=n, seed=seed)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote a synthetic {dataset_entry(name)['name']} ({n} training images, seed {seed}) to {folder}")
    return 0
