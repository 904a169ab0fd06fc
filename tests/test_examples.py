"""Every assignment with a rubric: the reference scores 100%, the skeleton 0,
and every bundled bug loses points exactly where it should."""

from __future__ import annotations

import pytest

from autograder.examples import bugs, materialize, materialize_reference, materialize_skeleton, prepare
from autograder.grading import grade
from autograder.report.model import Status
from autograder.rubrics import available, load_rubric

ASSIGNMENTS = available()
SLOW = {"a6_cifar100"}  # trains a model or evaluates a CNN in every case
BUG_CASES = [pytest.param(a, bug, id=f"{a}-{bug.name}", marks=[pytest.mark.slow] if a in SLOW else [])
             for a in ASSIGNMENTS for bug in bugs(a)]


def graded(assignment, path, seed):
    return grade(load_rubric(assignment), path, seed=seed, **prepare(assignment, path))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_scores_full_marks(assignment, tmp_path, grading_seed):
    report = graded(assignment, materialize_reference(assignment, tmp_path), grading_seed)
    failing = [(r.name, r.message) for r in report.results if r.status != Status.PASSED]
    assert failing == []
    assert report.score == report.max_score > 0


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_skeleton_scores_zero_with_a_message_per_check(assignment, tmp_path, grading_seed):
    report = graded(assignment, materialize_skeleton(assignment, tmp_path), grading_seed)
    assert report.score == 0
    for result in report.results:
        assert result.status != Status.PASSED
        assert result.message.strip(), result.name


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_assignment_has_ten_realistic_bugs(assignment):
    assert len(bugs(assignment)) >= 10


@pytest.mark.parametrize("assignment,bug", BUG_CASES)
def test_bug_is_caught_by_the_right_checks(assignment, bug, tmp_path, grading_seed):
    rubric = load_rubric(assignment)
    names = {check.name for check in rubric.checks}
    assert set(bug.caught_by) | set(bug.also) <= names, "the bug names checks the rubric lacks"
    report = graded(assignment, materialize(assignment, bug, tmp_path), grading_seed)
    lost = {r.name: r for r in report.results if r.score < r.max_score}
    assert set(bug.caught_by) <= set(lost), f"not caught by {set(bug.caught_by) - set(lost)}"
    # A check that lost points because a check it requires failed is a consequence, not a catch.
    consequences = {name for name, r in lost.items()
                    if set(r.details.get("blocked_by") or [None]) <= set(lost)}
    unexpected = set(lost) - set(bug.caught_by) - set(bug.also) - consequences
    assert not unexpected, {name: lost[name].message for name in unexpected}
    message = lost[bug.caught_by[0]].message
    for word in bug.mentions:
        assert word in message, message
