"""Finding the submissions of a batch and fingerprinting their contents.

A submissions directory holds one entry per student: a directory or a
``.zip`` file. The student's name is the entry's name without ``.zip``.
Hidden entries (names starting with ".") and anything else are ignored.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from autograder.batch.unpack import IGNORED_NAMES


class BatchInputError(Exception):
    """The submissions directory itself is unusable; the message says why in one line."""


@dataclass(frozen=True)
class Submission:
    """student: the name used for its results files; path: the directory or zip."""

    student: str
    path: Path

    @property
    def is_zip(self) -> bool:
        return self.path.suffix.lower() == ".zip"


def discover(directory: str | Path, exclude: tuple[Path, ...] = ()) -> list[Submission]:
    """The submissions in ``directory``, sorted by student name.

    exclude: directories to leave out (the batch's own output when it lies
    inside the submissions directory). Raises BatchInputError when the
    directory is missing or two entries would share a student name.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise BatchInputError(f"submissions directory {directory} does not exist")
    skip = {p.resolve() for p in exclude}
    found: dict[str, Submission] = {}
    for entry in sorted(directory.iterdir()):
        if entry.name.startswith(".") or entry.resolve() in skip:
            continue
        if entry.is_dir():
            student = entry.name
        elif entry.is_file() and entry.suffix.lower() == ".zip":
            student = entry.stem
        else:
            continue
        if student in found:
            raise BatchInputError(f"two submissions for {student}: {found[student].path.name} and "
                                  f"{entry.name}; keep one")
        found[student] = Submission(student, entry)
    return sorted(found.values(), key=lambda s: s.student)


def content_hash(submission: Submission) -> str:
    """sha256 of what would be graded: the zip's bytes, or every file of the
    directory (relative path and contents, symlinks by their target) in path order."""
    digest = hashlib.sha256()
    if submission.is_zip:
        digest.update(b"zip\0")
        _feed_file(digest, submission.path)
        return digest.hexdigest()
    digest.update(b"dir\0")
    for path in sorted(_files(submission.path)):
        relative = path.relative_to(submission.path).as_posix()
        digest.update(relative.encode("utf-8", "surrogateescape") + b"\0")
        if path.is_symlink():
            digest.update(b"link\0" + os.readlink(path).encode("utf-8", "surrogateescape"))
        else:
            _feed_file(digest, path)
        digest.update(b"\0")
    return digest.hexdigest()


def _files(root: Path):
    for folder, subdirs, files in os.walk(root):
        subdirs[:] = [d for d in subdirs if d not in IGNORED_NAMES]
        for name in files:
            yield Path(folder) / name
        for name in subdirs:
            if (Path(folder) / name).is_symlink():
                yield Path(folder) / name


def _feed_file(digest, path: Path) -> None:
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
