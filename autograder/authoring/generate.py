"""`autograder generate`: write assignments/ and the public expected values
from solutions/, or (with check=True) report where they are out of date."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np

from autograder.authoring.skeleton import skeleton_files
from autograder.checks.compare import leaves
from autograder.rubrics import SKELETONS, Assignment, assignment, assignments
from autograder.sandbox import protocol


def public_expected(assignment: Assignment) -> dict:
    """Expected values of the public checks, computed by the reference at the public seed."""
    from autograder.grading import PUBLIC_SEED, grade

    rubric = assignment.rubric
    recording: dict = {}
    grade(rubric, assignment.solution_dir, seed=PUBLIC_SEED, recording=recording)
    public = {check.name for check in rubric.checks if check.public}
    return {name: values for name, values in recording.items() if name in public}


def _close(x: np.ndarray, y: np.ndarray) -> bool:
    """Equal up to the last bits that another CPU's BLAS may change."""
    if x.dtype.kind in "fc":
        return bool(np.allclose(x, y, rtol=1e-10, atol=1e-13, equal_nan=True))
    return bool(np.array_equal(x, y))


def _same_tree(a: Any, b: Any) -> bool:
    """The same nested structure with the same leaves, up to _close."""
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


def _write_skeleton(assignment: Assignment, destination: Path, check: bool) -> list[str]:
    """Bring ``destination`` in line with the skeleton of the reference (or only
    report where it differs, when ``check``); returns the problems found."""
    problems: list[str] = []
    files = skeleton_files(assignment.solution_dir)
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
    return problems


def _write_expected(assignment: Assignment, check: bool) -> list[str]:
    """The same for the stored expected values of the public checks."""
    from autograder.grading import expected_path

    path = expected_path(assignment.rubric)
    values = public_expected(assignment)
    stored = protocol.decode(path.read_bytes()) if path.exists() else None
    if stored is not None and _same_tree(stored, values):
        return []
    if not check:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(protocol.encode(values))
    return [f"{path} is out of date"]


def generate(names: list[str] | None = None, check: bool = False,
             output: Path = SKELETONS) -> list[str]:
    """Regenerate (or check) skeletons and expected values; returns the problems found.

    names: assignment ids or short ids (default: every assignment with a reference);
    output: where the skeleton folders go (default assignments/).
    """
    targets = [assignment(name) for name in names] if names else \
        [a for a in assignments() if a.solution_dir.is_dir()]
    problems: list[str] = []
    for target in targets:
        problems += _write_skeleton(target, output / target.id, check)
        problems += _write_expected(target, check)
    if not check:
        for stray in output.glob("*/__pycache__"):
            shutil.rmtree(stray, ignore_errors=True)
    return problems
