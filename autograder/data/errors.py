"""Exceptions of the dataset layer; each message is one line a user can act on."""

from __future__ import annotations


class DataError(Exception):
    """Base class: the CLI prints ``str(exc)`` and exits with a non-zero code."""


class UnknownDataset(DataError):
    """A dataset name that the manifest does not list."""


class DatasetMissing(DataError):
    """The dataset is not on disk (or is corrupted) where it was looked for."""


class DownloadFailed(DataError):
    """torchvision could not download or extract the dataset."""


class ChecksumMismatch(DataError):
    """Files on disk do not have the MD5 sums the manifest lists."""


def fetch_hint(name: str) -> str:
    """The command that puts dataset ``name`` on disk."""
    return f"autograder data fetch {name}"
