"""Adding an assignment takes its reference folder, its rubric and its examples
(rubrics/README.md, "Adding an assignment"), and no edit of any other file.

The test copies the package into a temporary directory, adds a toy seventh
assignment there as new files only, and drives the copy's command line: the
assignment is listed, its skeleton and public expected values are generated,
the reference earns every point, the skeleton none, its bundled bug is caught,
and the Gradescope and Classroom exports carry it. Every file of the copy is
unchanged at the end.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]

SOLUTION = '''\
"""The toy assignment: scale a vector."""

import numpy as np


def scale(x: np.ndarray, factor: float) -> np.ndarray:
    """x: (N,); factor: a number. Returns x * factor, shape (N,)."""
    ### BEGIN SOLUTION hint: multiply every element by factor
    return x * factor
    ### END SOLUTION
'''

RUBRIC = '''\
"""Rubric for a7_toy."""

from autograder.checks import ValueCheck
from autograder.rubrics.base import Rubric

RUBRIC = Rubric(
    id="a7_toy",
    title="A toy assignment",
    modules=["toy"],
    checks=[ValueCheck("scale", 2, "toy:scale",
                       inputs=lambda rng: (rng.standard_normal(5), float(rng.uniform(2, 3))))],
)
'''

EXAMPLES = '''\
"""A bundled bug of a7_toy."""

from autograder.examples import Bug, Edit

BUGS = [Bug("adds", "adds the factor instead of multiplying",
            (Edit("toy.py", "return x * factor", "return x + factor"),), caught_by=("scale",))]
'''


def fingerprints(root: Path) -> dict[str, str]:
    return {str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(root.rglob("*")) if path.is_file() and "__pycache__" not in path.parts}


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A copy of the package and its repository files, plus the toy assignment as new files."""
    root = tmp_path_factory.mktemp("course")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPOSITORY / "autograder", root / "autograder", ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPOSITORY / name, root / name)
    (root / "solutions" / "a7_toy").mkdir(parents=True)
    (root / "solutions" / "a7_toy" / "toy.py").write_text(SOLUTION)
    (root / "autograder" / "rubrics" / "a7_toy.py").write_text(RUBRIC)
    (root / "autograder" / "examples" / "a7_toy.py").write_text(EXAMPLES)
    return root


def autograder(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(course)}
    done = subprocess.run([sys.executable, "-m", "autograder", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_a_new_assignment_needs_only_new_files(course, tmp_path):
    before = fingerprints(course)
    probe = subprocess.run([sys.executable, "-c", "import autograder; print(autograder.__file__)"],
                           cwd=course, env={**os.environ, "PYTHONPATH": str(course)},
                           capture_output=True, text=True, check=True)
    assert Path(probe.stdout.strip()).is_relative_to(course)  # the copy is what runs

    listing = autograder(course, "list").stdout
    assert "a7_toy: A toy assignment (2 points; files toy.py)" in listing
    assert listing.index("a6_cifar100:") < listing.index("a7_toy:")

    autograder(course, "generate", "a7")
    stub = (course / "assignments" / "a7_toy" / "toy.py").read_text()
    assert 'raise NotImplementedError("multiply every element by factor")' in stub
    assert (course / "autograder" / "rubrics" / "expected" / "a7_toy.npz").is_file()
    assert "up to date" in autograder(course, "generate", "a7", "--check").stdout

    graded = json.loads(autograder(course, "grade", "solutions/a7_toy", "-a", "a7",
                                   "--format", "json").stdout)
    assert (graded["assignment"], graded["score"], graded["max_score"]) == ("a7_toy", 2.0, 2.0)
    public = json.loads(autograder(course, "check", "a7", "--path", "assignments/a7_toy",
                                   "--format", "json").stdout)
    assert (public["score"], public["results"][0]["status"]) == (0.0, "error")
    assert "multiply every element by factor" in public["results"][0]["message"]

    demo = autograder(course, "demo", "-a", "a7").stdout
    assert "=== Grading a buggy submission: adds the factor instead of multiplying ===" in demo
    assert [line for line in demo.splitlines() if line.startswith("Total:")] == [
        "Total: 2.00 / 2.00 (100.0%)", "Total: 0.00 / 2.00 (0.0%)", "Total: 0.00 / 2.00 (0.0%)"]

    autograder(course, "gradescope", "a7", "--output", str(tmp_path / "a7.zip"))
    with zipfile.ZipFile(tmp_path / "a7.zip") as bundle:
        assert "solutions/a7_toy/toy.py" in bundle.namelist()
        assert '--reference "$SOURCE/solutions/a7_toy"' in bundle.read("run_autograder").decode()
    autograder(course, "classroom", "a7", "--output", str(tmp_path / "template"))
    assert (tmp_path / "template" / "toy.py").read_text() == stub
    assert "`toy.py`" in (tmp_path / "template" / "README.md").read_text()

    after = fingerprints(course)
    assert {name: after[name] for name in before} == before, "a file of the course was changed"
    assert sorted(set(after) - set(before)) == ["assignments/a7_toy/toy.py",
                                                "autograder/rubrics/expected/a7_toy.npz"]
