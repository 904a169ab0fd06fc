"""The batch's output directory: atomic writes, per-submission records, resume.

Layout of OUTPUT:
    batch.json            {"assignment": ID, "seed": N}: the batch's one seed, kept for resuming
    results/STUDENT.json  one record per submission (see ``record``)
    results/STUDENT.*     the same report in the extra formats asked for
    grades.csv, summary.json, dashboard.html   rebuilt at the end of every run
                          (dashboard.html by autograder.report.dashboard)

Every file is written to a temporary file in the same directory and renamed
over its destination, so a killed batch leaves either the old file or the new
one, never half of one; leftover temporary files are removed on the next run.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from pathlib import Path

from autograder.report.model import CheckResult, GradeReport

TEMP_SUFFIX = ".tmp"
RESULTS = "results"


class BatchBusy(Exception):
    """Another grade-batch is writing to the same output directory."""


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename
    (with the permissions a plain open() would give it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.",
                                         suffix=TEMP_SUFFIX, delete=False, encoding="utf-8")
    try:
        with handle:
            handle.write(text)
            handle.flush()
            os.fchmod(handle.fileno(), 0o666 & ~_umask())
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def write_json(path: Path, data) -> None:
    write_atomic(path, json.dumps(data, indent=2, default=float) + "\n")


def record(report: GradeReport, student: str, content_hash: str, error: str | None,
           settings: dict) -> dict:
    """A submission's results file: GradeReport.to_dict() plus "student",
    "content_hash" (sha256 of what was graded, to notice a changed submission),
    "error" (why it could not be graded at all, else null) and "settings" (the
    batch's data root and trained-model options)."""
    return {"student": student, "content_hash": content_hash, "error": error,
            "settings": settings, **report.to_dict()}


def report_from_record(data: dict) -> GradeReport:
    """The GradeReport a record was made from (for rendering it in other formats)."""
    return GradeReport(data["assignment"], data["submission"],
                       [CheckResult(**result) for result in data["results"]], data["seed"],
                       data.get("seconds", 0.0), data.get("mode", "grade"), data.get("notes", []))


class OutputDir:
    """One batch's output directory, locked against a second concurrent batch."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.results = self.path / RESULTS
        self._lock_fd: int | None = None

    def __enter__(self) -> OutputDir:
        self.results.mkdir(parents=True, exist_ok=True)
        self._lock_fd = os.open(self.path, os.O_RDONLY)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock_fd)
            raise BatchBusy(f"another grade-batch is writing to {self.path}") from None
        self.remove_leftovers()
        return self

    def __exit__(self, *exc) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def remove_leftovers(self) -> list[Path]:
        """Delete temporary files a killed run left behind; the ones removed."""
        leftovers = [p for folder in (self.path, self.results) for p in folder.iterdir()
                     if p.name.startswith(".") and p.name.endswith(TEMP_SUFFIX) and p.is_file()]
        for path in leftovers:
            path.unlink(missing_ok=True)
        return leftovers

    def seed(self, assignment: str, requested: int | None, fresh) -> int:
        """The batch's seed: ``requested`` if given, else the one this directory's
        earlier run of the same assignment used, else ``fresh()``; recorded in batch.json."""
        state = self._read(self.path / "batch.json")
        if requested is not None:
            seed = requested
        elif isinstance(state, dict) and state.get("assignment") == assignment \
                and isinstance(state.get("seed"), int):
            seed = state["seed"]
        else:
            seed = fresh()
        write_json(self.path / "batch.json", {"assignment": assignment, "seed": seed})
        return seed

    def result_path(self, student: str, suffix: str = ".json") -> Path:
        return self.results / f"{student}{suffix}"

    def finished(self, student: str, assignment: str, seed: int, content_hash: str,
                 checks: list[str], settings: dict) -> dict | None:
        """The saved record of ``student`` if it is complete and still current:
        same assignment, seed, submission contents, rubric checks and settings, and
        graded (a record of a submission that could not be graded is never kept,
        since the grader may have been at fault); else None."""
        data = self._read(self.result_path(student))
        if not isinstance(data, dict) or data.get("error") is not None:
            return None
        results = data.get("results")
        if (data.get("assignment") != assignment or data.get("seed") != seed
                or data.get("content_hash") != content_hash or not isinstance(results, list)
                or data.get("settings") != settings
                or [r.get("name") if isinstance(r, dict) else None for r in results] != checks):
            return None
        return data

    @staticmethod
    def _read(path: Path):
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
