"""What a submission directory may hold, checked before anything reads it.

A submission is hashed by the batch, copied into the worker's directory and
graded. A FIFO blocks whoever opens it, a device is not the student's file,
a symbolic link points outside the submission, and a name that is not UTF-8
breaks every report that shows it. ``check_tree`` walks the directory with
``lstat`` only (it opens no file) and refuses, in one line saying what and
where, anything but regular files and directories, names that are not
printable UTF-8, and trees that are too deep, hold too many files or too many
bytes. The batch calls it when it finds the submissions, the sandbox before
it copies one.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

SKIPPED_NAMES = frozenset({"__pycache__", ".git"})  # never copied nor graded


class BadSubmission(Exception):
    """The submission cannot be graded as it is; the message says why in one line."""


@dataclass(frozen=True)
class TreeLimits:
    """files: most files; total_mb: all files together; depth: most nested folders."""

    files: int = 10_000
    total_mb: int = 512
    depth: int = 32


def name_problem(name: str) -> str | None:
    """Why ``name`` (one path component, as os.listdir gives it) cannot be used, or None."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid UTF-8"
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "holds a control character"
    return None


def shown(name: str) -> str:
    """A name as a one-line message can show it, whatever bytes it holds
    ('caf\\xe9' for the Latin-1 bytes of 'café', '\\n' for a newline)."""
    text = os.fsencode(name).decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _kind(mode: int) -> str | None:
    """What a non-regular, non-directory entry is, for the message (None: it is fine)."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device file"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def check_tree(root: str | os.PathLike, limits: TreeLimits = TreeLimits()) -> None:
    """Raise BadSubmission unless everything under ``root`` (a directory, which
    may itself be reached through a link) is a regular file or a directory with
    a usable name, within ``limits``. __pycache__ and .git are not looked into."""
    root = Path(root)
    files, total = 0, 0
    stack = [(root, 0)]
    while stack:
        folder, depth = stack.pop()
        if depth > limits.depth:
            raise BadSubmission(f"the submission nests folders more than {limits.depth} deep")
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError as exc:
            raise BadSubmission(f"the submission folder {shown(folder.name)} cannot be read "
                                f"({exc.strerror})") from None
        for entry in entries:
            where = shown(str(Path(entry.path).relative_to(root)))
            problem = name_problem(entry.name)
            if problem:
                raise BadSubmission(f"the submission holds a file whose name {problem} ({where}): rename it")
            try:
                status = entry.stat(follow_symlinks=False)
            except OSError as exc:
                raise BadSubmission(f"the submission's {where} cannot be read ({exc.strerror})") from None
            mode = status.st_mode
            kind = _kind(mode)
            if kind:
                raise BadSubmission(f"the submission holds {kind} ({where}): submit regular files only")
            if stat.S_ISDIR(mode):
                if entry.name not in SKIPPED_NAMES:
                    stack.append((Path(entry.path), depth + 1))
                continue
            files += 1
            total += status.st_size
            if files > limits.files:
                raise BadSubmission(f"the submission holds more than {limits.files} files")
            if total > limits.total_mb << 20:
                raise BadSubmission(f"the submission holds more than {limits.total_mb} MB")
