"""What the autograded test cells of an nbgrader course call.

    from autograder.nbgrader_hook import assert_check
    assert_check("a1_backprop", "linear_backward")

The first call in a kernel grades the whole submission in the notebook's folder
with :func:`autograder.grading.grade` (the student's code runs in the sandbox
worker, never in the kernel) and keeps the report; the other test cells read
their check from it, and the folder is graded again only when one of the
graded files changes.

What runs depends on where the notebook runs:

- under ``nbgrader autograde`` (nbgrader sets ``NBGRADER_EXECUTION=autograde``)
  every check runs against the reference solution, with the inputs drawn from
  the seed in ``AUTOGRADER_SEED`` (the course's nbgrader_config.py sets it, so
  regrading gives the same score) or from a fresh seed when it is unset;
- anywhere else (a student running the release notebook) the public checks
  run, exactly as ``autograder check`` runs them.

nbgrader scores a test cell by its outputs: an error gives 0 points, a number
as the cell's value gives that many points (partial credit), anything else the
full points. So a check that earns nothing raises AssertionError with the
check's message, a partly passed check returns the points it earned, and a
passed check returns None.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

SEED_VARIABLE = "AUTOGRADER_SEED"
_INTERRUPTED = ("grading was interrupted before it finished (the test cell ran past nbgrader's "
                "timeout, Execute.timeout in nbgrader_config.py), so no check earns points")
_reports: dict[tuple, object] = {}


def autograding() -> bool:
    """Whether nbgrader is autograding this notebook (as opposed to a student running it)."""
    return os.environ.get("NBGRADER_EXECUTION") == "autograde"


def _seed() -> int | None:
    value = os.environ.get(SEED_VARIABLE, "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise AssertionError(f"{SEED_VARIABLE} must be an integer, got {value!r}") from None


def _points(points: float) -> str:
    return f"{points:g} point" + ("" if points == 1 else "s")


def _fingerprint(directory: Path, rubric) -> tuple:
    """(name, modification time, size) of every file the rubric grades."""
    names = [f"{module}.py" for module in rubric.modules] + list(rubric.extra_files)
    stamps = []
    for name in names:
        try:
            stat = (directory / name).stat()
            stamps.append((name, stat.st_mtime_ns, stat.st_size))
        except OSError:
            stamps.append((name, None, None))
    return tuple(stamps)


def graded_report(assignment: str, directory: str | os.PathLike | None = None):
    """The GradeReport of the submission in ``directory`` (default: the working directory).

    Graded once per kernel and kept until a graded file changes. Raises
    AssertionError with a one-line reason when the submission cannot be graded.
    """
    __tracebackhide__ = True  # IPython shows the test cell, not these internals
    from autograder.grading import grade
    from autograder.rubrics import UnknownAssignment, load_rubric

    try:
        rubric = load_rubric(assignment)
    except UnknownAssignment as exc:
        raise AssertionError(str(exc)) from None
    folder = Path(directory or os.getcwd()).resolve()
    full = autograding()
    seed = _seed() if full else None
    key = (rubric.id, str(folder), full, seed, _fingerprint(folder, rubric))
    if key not in _reports:
        try:
            with warnings.catch_warnings():
                # nbgrader gives 0 points to a cell that writes to stderr
                warnings.simplefilter("ignore")
                _reports[key] = grade(rubric, folder, seed=seed, public=not full)
        except KeyboardInterrupt:
            if full:
                _reports[key] = _INTERRUPTED
            raise
        except Exception as exc:  # e.g. the reference is missing: every test cell says why
            _reports[key] = f"the autograder cannot grade this submission: {exc}"
    report = _reports[key]
    if isinstance(report, str):
        raise AssertionError(report)
    return report


def assert_check(assignment: str, check: str, directory: str | os.PathLike | None = None):
    """nbgrader's verdict on one rubric check of the submission in ``directory``.

    Returns None when the check passed (nbgrader: full points) or when only the
    instructor's grader runs it; returns the points earned when it passed in part
    (nbgrader: partial credit); raises AssertionError with the check's message
    when it earned nothing.
    """
    __tracebackhide__ = True
    from autograder.report.model import Status

    report = graded_report(assignment, directory)
    result = next((r for r in report.results if r.name == check), None)
    if result is None:
        raise AssertionError(f"the rubric of {report.assignment} has no check named {check!r}")
    if result.status == Status.SKIPPED and not autograding():
        print(f"{check}: {result.message}")
        return None
    if result.score >= result.max_score and result.status == Status.PASSED:
        print(f"{check}: passed ({_points(result.score)})")
        return None
    if 0 < result.score < result.max_score:
        print(f"{check}: {result.score:g} of {_points(result.max_score)}. {result.message}")
        return float(result.score)
    raise AssertionError(f"{check} ({result.status}): {result.message or 'no points earned'}")
