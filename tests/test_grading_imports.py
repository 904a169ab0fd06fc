"""Grading a1-a4 needs NumPy only: neither the grader nor the worker imports
scikit-learn or torch (issue 18; the course's light install has neither)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from autograder.examples import materialize_reference
from autograder.rubrics import load_rubric

HEAVY = ("torch", "torchvision", "sklearn", "scipy")
NUMPY_ASSIGNMENTS = ("a1_backprop", "a2_losses", "a3_optimizers", "a4_convolutions")

# appended to every module of a submission: each of its functions first checks that the
# worker it runs in has not imported a heavy package (so the grade loses points if it has)
WORKER_PROBE = f"""

import inspect as _inspect
import sys as _sys


def _light(function):
    def checked(*args, **kwargs):
        heavy = sorted(name for name in _sys.modules if name.split(".")[0] in {HEAVY!r})
        if heavy:
            raise RuntimeError("the worker imported " + ", ".join(heavy[:3]))
        return function(*args, **kwargs)
    return checked


for _name, _value in list(globals().items()):
    if _inspect.isfunction(_value) and _value.__module__ == __name__ and not _name.startswith("_"):
        globals()[_name] = _light(_value)
"""

GRADER = """
import json, sys
from autograder.grading import grade
from autograder.rubrics import load_rubric
scores = {}
for assignment, path in json.loads(sys.argv[1]).items():
    report = grade(load_rubric(assignment), path, seed=5)
    scores[assignment] = [report.score, report.max_score,
                          [r.message for r in report.results if r.score < r.max_score][:2]]
heavy = sorted(name for name in sys.modules if name.split(".")[0] in HEAVY)
print(json.dumps({"scores": scores, "heavy": heavy}))
""".replace("HEAVY", repr(HEAVY))


def test_grading_the_numpy_assignments_imports_neither_sklearn_nor_torch(tmp_path):
    submissions = {}
    for assignment in NUMPY_ASSIGNMENTS:
        path = materialize_reference(assignment, tmp_path / assignment)
        for module in load_rubric(assignment).modules:
            with open(path / f"{module}.py", "a", encoding="utf-8") as handle:
                handle.write(WORKER_PROBE)
        submissions[assignment] = str(path)
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(
            filter(None, [str(Path(__file__).parents[1]), os.environ.get("PYTHONPATH")])
        ),
    )
    done = subprocess.run(
        [sys.executable, "-c", GRADER, json.dumps(submissions)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["heavy"] == [], "the grader imported " + ", ".join(result["heavy"][:5])
    for assignment, (score, maximum, messages) in result["scores"].items():
        assert score == maximum, (assignment, messages)
