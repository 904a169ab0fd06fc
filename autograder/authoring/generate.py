"""`autograder generate`: write assignments/ and the public expected values
from solutions/, or (with check=True) report where they are out of date."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from autograder.authoring.skeleton import skeleton_files
from autograder.checks.compare import leaves
from autograder.reference import ASSIGNMENTS, SOLUTIONS
from autograder.rubrics import ASSIGNMENTS as IDS
from autograder.rubrics import available, load_rubric
from autograder.sandbox import protocol


def public_expected(assignment: str) -> dict:
    """Expected values of the public checks, computed by the reference at the public seed."""
    from autograder.grading import PUBLIC_SEED, grade

    rubric = load_rubric(assignment)
    recording: dict = {}
    grade(rubric, SOLUTIONS / assignment, seed=PUBLIC_SEED, recording=recording)
    public = {check.name for check in rubric.checks if check.public}
    return {name: values for name, values in recording.items() if name in public}


def _close(x: np.ndarray, y: np.ndarray) -> bool:
    """Equal up to the last bits that another CPU's BLAS may change."""
    if x.dtype.kind in "fc":
        return bool(np.allclose(x, y, rtol=1e-10, atol=1e-13, equal_nan=True))
    return bool(np.array_equal(x, y))


def _same_tree(a, b) -> bool:
    left, right = leaves(a), leaves(b)
    if [p for p, _ in left] != [p for p, _ in right]:
        return False
    for (_, x), (_, y) in zip(left, right):
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            if not (isinstance(x, np.ndarray) and isinstance(y, np.ndarray) and x.dtype == y.dtype
                    and x.shape == y.shape and _close(x, y)):
                return False
        elif type(x) is not type(y) or not _close(np.asarray(x), np.asarray(y)):
            return False
    return True


def generate(assignments: list[str] | None = None, check: bool = False,
             output: Path = ASSIGNMENTS) -> list[str]:
    """Regenerate (or check) skeletons and expected values; returns the problems found."""
    from autograder.grading import expected_path

    problems: list[str] = []
    targets = assignments or [a for a in IDS if (SOLUTIONS / a).is_dir()]
    with_rubric = set(available())
    for assignment in targets:
        files = skeleton_files(SOLUTIONS / assignment)
        destination = output / assignment
        existing = {str(p.relative_to(destination)) for p in destination.rglob("*") if p.is_file()
                    and "__pycache__" not in p.parts} if destination.is_dir() else set()
        for relative, content in files.items():
            path = destination / relative
            if not path.is_file() or path.read_bytes() != content:
                problems.append(f"{path} is out of date")
                if not check:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(content)
        for stale in sorted(existing - set(files)):
            problems.append(f"{destination / stale} has no counterpart in solutions/")
            if not check:
                (destination / stale).unlink()
        if assignment in with_rubric:
            rubric = load_rubric(assignment)
            path = expected_path(rubric)
            values = public_expected(assignment)
            stored = protocol.decode(path.read_bytes()) if path.exists() else None
            if stored is None or not _same_tree(stored, values):
                problems.append(f"{path} is out of date")
                if not check:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(protocol.encode(values))
    if not check:
        for stray in output.glob("*/__pycache__"):
            shutil.rmtree(stray, ignore_errors=True)
    return problems
