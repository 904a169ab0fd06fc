"""The check kinds that rubrics used to define for themselves (RaisesCheck,
ScheduleCheck, TrajectoryCheck), on small hand-written modules in a real sandbox."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.checks import Args, Context, RaisesCheck, ScheduleCheck, TrajectoryCheck
from autograder.checks.trajectory import Problem, Run, UpdateRules
from autograder.reference import Reference
from autograder.report.model import Status
from autograder.sandbox.client import Sandbox


def run_check(check, tmp_path, module: str, student: str, reference: str = ""):
    for folder, source in (("student", student), ("ref", reference)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / f"{module}.py").write_text(source)
    with Sandbox(tmp_path / "student", [module]) as sandbox:
        return check.run(Context(sandbox, 0, Reference(tmp_path / "ref", [module])))


def test_raises_check_gives_credit_per_call_and_says_what_came_back(tmp_path):
    student = ("import numpy as np\n"
               "def size(n, k):\n"
               "    if n < k:\n        raise ValueError('too small')\n"
               "    return np.int64(n - k)\n"
               "def count(n):\n    raise TypeError('no')\n")
    calls = [("sizes:size", (2, 5)), ("sizes:size", Args(5, k=3)), ("sizes:count", (1,))]
    check = RaisesCheck("raises", 3, calls, why="raise ValueError when nothing fits")
    result = run_check(check, tmp_path, "sizes", student)
    assert result.score == pytest.approx(1.0) and result.status == Status.FAILED
    assert result.message == ("size(5, k=3) returned 2: raise ValueError when nothing fits; "
                              "count(1) should raise ValueError, got TypeError: no (sizes.py:7)")


def test_schedule_check_names_an_off_by_one(tmp_path):
    reference = "def decay(lr0, t, gamma):\n    return lr0 * gamma ** t\n"
    student = "def decay(lr0, t, gamma):\n    return lr0 * gamma ** (t + 1)\n"
    check = ScheduleCheck("decay", 1, "sched:decay", steps=5, inputs=lambda rng: [Args(0.5, 0.9)])
    result = run_check(check, tmp_path, "sched", student, reference)
    assert result.score == 0.0
    assert result.message == ("decay(0.5, t=0, 0.9) = 0.45, expected 0.5: off by one, your rate at step t "
                              "is the reference's at t + 1 (t starts at 0).")


RULES = UpdateRules(module="opt", reference_names={"step": "the textbook's rule"},
                    draw=lambda rng, run: Problem(rng.standard_normal(3),
                                                  rng.standard_normal((run.steps, 3))),
                    explain=lambda run, problem, got: "it behaves as if the sign is flipped"
                    if np.allclose(got[0], problem.w0 + problem.grads[0]) else None)
REFERENCE_RULE = ("def step(w, g, config):\n"
                  "    config = dict(config or {})\n"
                  "    config['n'] = config.get('n', 0) + 1\n"
                  "    return w - g / config['n'], config\n")


@pytest.mark.parametrize("student,fraction,message", [
    (REFERENCE_RULE, 1.0, ""),
    (REFERENCE_RULE.replace("w - g", "w + g"), 0.0, "next_w differs from the textbook's rule's "),
    (REFERENCE_RULE.replace("    config = dict(config or {})\n", "    config = {}\n"), 0.0,
     "the first 1 step(s) agree, so look at the state carried between steps"),
])
def test_trajectory_check_chains_steps_and_explains_a_wrong_run(tmp_path, student, fraction, message):
    check = TrajectoryCheck("step", 2, [Run("step", None, 4)], rules=RULES)
    result = run_check(check, tmp_path, "opt", student, REFERENCE_RULE)
    assert result.score == pytest.approx(2 * fraction)
    assert message in result.message
    if "w + g" in student:
        assert result.message.endswith("; it behaves as if the sign is flipped.")
