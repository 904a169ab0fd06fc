"""An nbgrader course directory for the assignments (`autograder nbgrader`).

    COURSE/
      nbgrader_config.py        see config_source()
      source/<id>/<id>.ipynb    the reference notebook marked up for nbgrader, with
                                one autograded test cell per rubric check
      source/<id>/*.py          the student's skeleton files, as in assignments/<id>/

nbgrader only transforms notebooks: ``generate_assignment`` copies every other
file of source/<id>/ to the release as it is, which is why source/ holds the
skeletons and not the reference's .py files. The test cells grade the .py files
that the students hand in (see autograder/nbgrader_hook.py), and the config
tells ``nbgrader autograde`` to keep those files instead of restoring the
source's versions.
"""

from __future__ import annotations

import re
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.authoring.nbgrader_cells import course_notebook
from autograder.authoring.skeleton import skeleton_files
from autograder.nbgrader_hook import SEED_VARIABLE
from autograder.rubrics import assignment, assignments

CONFIG_NAME = "nbgrader_config.py"
TIMEOUT_MARGIN = 120
_SEED_LINE = re.compile(rf'os\.environ\.setdefault\("{SEED_VARIABLE}", "(\d+)"\)')


class CourseError(Exception):
    """The course cannot be written (bad directory, missing or malformed notebook)."""


@dataclass
class CourseAssignment:
    """What was written for one assignment."""

    id: str
    checks: int
    hidden: int
    points: float


def with_notebooks() -> list[str]:
    """The assignments that have a reference notebook."""
    return [a.id for a in assignments() if a.notebook.is_file()]


def existing_seed(course: Path) -> int | None:
    """The seed recorded in the course's nbgrader_config.py, if there is one."""
    config = course / CONFIG_NAME
    match = _SEED_LINE.search(config.read_text()) if config.is_file() else None
    return int(match.group(1)) if match else None


def course_assignments(course: Path) -> list[str]:
    """The assignments with a folder in the course's source/, in course order."""
    source = course / "source"
    return [a.id for a in assignments() if (source / a.id).is_dir()]


def config_source(ids: list[str], seed: int, course_id: str) -> str:
    """The text of nbgrader_config.py for a course holding the assignments ``ids``."""
    keep = {a: assignment(a).student_files for a in ids}
    budget = max((assignment(a).rubric.budget for a in ids), default=600.0)
    keep_lines = "".join(f"    {a!r}: {files!r},\n" for a, files in keep.items())
    return f'''"""nbgrader configuration of this course, written by `autograder nbgrader`.

Running `autograder nbgrader` again rewrites this file (keeping the seed below).
"""

import os

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades

from autograder.authoring.nbgrader_feedback import ShortenHiddenTestTracebacks

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.course_id = {course_id!r}

# Students hand in .py files next to the notebook; the test cells grade those
# files. Autograding must keep them rather than restore the skeletons of source/.
c.Autograde.exclude_overwriting = {{
{keep_lines}}}

# The first test cell of a notebook grades the whole submission, which may take
# up to the rubric's time budget. A cell that runs past this timeout is
# interrupted and earns no points.
c.Execute.timeout = {int(budget) + TIMEOUT_MARGIN}
c.Execute.interrupt_on_timeout = True

# Inputs of the checks are drawn from this seed: regrading a submission gives
# the same score. It is secret to the course staff (students never see this
# file); delete the line to draw a fresh seed on every autograde run.
os.environ.setdefault("{SEED_VARIABLE}", "{seed}")

# The notebooks' own demonstrations (training runs, plots) only illustrate; the
# grade comes from the test cells. Autograding runs them with short settings.
os.environ.setdefault("AUTOGRADER_QUICK", "1")

# Feedback shows what a hidden test said, never its code.
c.GenerateFeedback.preprocessors = [
    GetGrades,
    ShortenHiddenTestTracebacks,
    ClearHiddenTests,
    CSSHTMLHeaderPreprocessor,
]
'''


def _read_notebook(path: Path) -> nbformat.NotebookNode:
    try:
        return nbformat.read(path, as_version=4)
    except Exception as exc:  # nbformat raises several kinds for a malformed file
        raise CourseError(f"{path} is not a readable notebook ({type(exc).__name__}: {exc})") from None


def write_assignment(course: Path, name: str) -> CourseAssignment:
    """Write source/<id>/ of the course for the assignment ``name``: notebook and skeleton files."""
    target = assignment(name)
    rubric = target.rubric
    if not target.notebook.is_file():
        raise CourseError(f"{target.id} has no notebook yet ({target.notebook} does not exist)")
    notebook = course_notebook(_read_notebook(target.notebook), rubric)
    destination = course / "source" / target.id
    if destination.exists():
        shutil.rmtree(destination)
    destination.mkdir(parents=True)
    for relative, content in skeleton_files(target.solution_dir).items():
        if not relative.endswith(".ipynb"):
            (destination / relative).parent.mkdir(parents=True, exist_ok=True)
            (destination / relative).write_bytes(content)
    nbformat.write(notebook, destination / f"{target.id}.ipynb")
    hidden = sum(1 for check in rubric.checks if not check.public)
    return CourseAssignment(target.id, len(rubric.checks), hidden, rubric.max_score)


def write_course(course_dir: str | Path, names: list[str] | None = None,
                 seed: int | None = None, course_id: str | None = None) -> list[CourseAssignment]:
    """Write (or update) an nbgrader course directory.

    names: assignment ids or short ids; default every assignment with a notebook.
    seed: the course's input seed; default the one already in the course's config,
        else a fresh one.
    Returns what was written for each assignment.
    """
    course = Path(course_dir)
    if course.exists() and not course.is_dir():
        raise CourseError(f"{course} exists and is not a directory")
    targets = [assignment(name).id for name in names] if names else with_notebooks()
    if not targets:
        raise CourseError("no assignment has a notebook yet")
    seed = seed if seed is not None else existing_seed(course)
    seed = seed if seed is not None else secrets.randbelow(2**31)
    course.mkdir(parents=True, exist_ok=True)
    written = [write_assignment(course, target) for target in targets]
    name = course_id or re.sub(r"[^A-Za-z0-9_-]+", "-", course.resolve().name) or "course"
    (course / CONFIG_NAME).write_text(config_source(course_assignments(course), seed, name))
    return written
