"""Finding the submissions of a batch and fingerprinting their contents.

A submissions directory holds one entry per student: a directory or a
``.zip`` file. The student's name is the entry's name without ``.zip``.
Hidden entries (names starting with ".") and anything else are ignored.
A submission that cannot be graded as it is (a name that is not UTF-8 or too
long for the results files, a FIFO or device inside the folder) is found
here, with the reason, and never opened.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from autograder.batch.unpack import IGNORED_NAMES
from autograder.sandbox.submission_tree import BadSubmission, check_tree, name_problem, shown

MAX_NAME_BYTES = 200  # results/NAME.gradescope.json and its temporary twin must fit in 255 bytes


class BatchInputError(Exception):
    """The submissions directory itself is unusable; the message says why in one line."""


@dataclass(frozen=True)
class Submission:
    """student: the name used for its results files; path: the directory or zip;
    problem: why it cannot be graded (one line), or None."""

    student: str
    path: Path
    problem: str | None = None

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
            student, problem = _student_name(entry.name)
            if problem is None:
                try:
                    check_tree(entry)
                except BadSubmission as exc:
                    problem = str(exc)
        elif entry.is_file() and entry.suffix.lower() == ".zip":
            student, problem = _student_name(entry.stem)
        else:
            continue
        if student in found:
            raise BatchInputError(f"two submissions for {student}: {shown(found[student].path.name)} and "
                                  f"{shown(entry.name)}; keep one")
        found[student] = Submission(student, entry, problem)
    return sorted(found.values(), key=lambda s: s.student)


def _student_name(name: str) -> tuple[str, str | None]:
    """(the student's name for results files and reports, why the entry's own name
    cannot be that name or None). An unusable name is shown readably, cut short and
    made unique with a hash of its bytes."""
    problem = name_problem(name)
    size = len(os.fsencode(name))
    if problem is None and size <= MAX_NAME_BYTES:
        return name, None
    why = problem or f"is {size} bytes long (at most {MAX_NAME_BYTES})"
    digest = hashlib.sha256(os.fsencode(name)).hexdigest()[:8]
    return f"{shown(name)[:60]}-{digest}", f"the submission's name {why}: rename it"


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
