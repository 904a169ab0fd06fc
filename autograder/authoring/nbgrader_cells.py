"""The source notebook of an nbgrader course, made from a reference notebook.

nbgrader reads what to do with a cell from its ``metadata.nbgrader``:

- markdown instructions become locked (read-only) cells;
- code cells with ``### BEGIN SOLUTION`` regions become solution cells, which
  ``nbgrader generate_assignment`` clears for the release;
- markdown cells with solution regions (written answers) become manually
  graded answers worth 0 points: nbgrader insists that written answers are
  graded cells, and the course's points stay exactly the rubric's;
- one autograded test cell per rubric check is appended, worth the check's
  points. It calls :func:`autograder.nbgrader_hook.assert_check`; the
  instructor-only checks sit in ``### BEGIN HIDDEN TESTS`` regions, which the
  release leaves out and the autograding puts back.

Other code cells (demonstrations, plots) stay free for students to edit.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import nbformat

if TYPE_CHECKING:  # the feedback preprocessor imports this module; keep nbgrader's start light
    from autograder.rubrics.base import Rubric

SCHEMA_VERSION = 3
SOLUTION_MARKER = "BEGIN SOLUTION"
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"
HOOK_IMPORT = "from autograder.nbgrader_hook import assert_check"


def nbgrader_metadata(grade_id: str, *, grade: bool = False, solution: bool = False,
                      locked: bool = False, points: float | None = None) -> dict:
    """The ``metadata.nbgrader`` dict of one cell (nbgrader's schema version 3)."""
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked,
            "schema_version": SCHEMA_VERSION, "solution": solution}
    if grade:
        meta["points"] = float(points or 0.0)
    return meta


def check_grade_id(check_name: str) -> str:
    """A grade id for a rubric check: 'mlp_loss gradients (tanh)' -> 'check_mlp_loss_gradients_tanh'."""
    slug = re.sub(r"[^a-z0-9]+", "_", check_name.lower()).strip("_")
    return f"check_{slug or 'unnamed'}"


def _points(points: float) -> str:
    return f"{points:g} point" + ("" if points == 1 else "s")


def grade_cell_source(assignment: str, check) -> str:
    """The source of the autograded test cell of one rubric check."""
    call = f"assert_check({json.dumps(assignment)}, {json.dumps(check.name)})"
    if check.public:
        return f"# Check {json.dumps(check.name)} ({_points(check.points)})\n{HOOK_IMPORT}\n{call}"
    return (f"# Instructor-only check {json.dumps(check.name)} ({_points(check.points)}): "
            f"it runs when your work is graded.\n{HIDDEN_BEGIN}\n{HOOK_IMPORT}\n{call}\n{HIDDEN_END}")


def _tests_introduction(rubric: Rubric) -> str:
    files = ", ".join(f"`{module}.py`" for module in rubric.modules)
    return (
        "## Autograder tests\n\n"
        f"Each cell below is one check of the autograder's rubric for this assignment and is "
        f"worth the points it states ({rubric.max_score:g} in all). The checks grade the files "
        f"{files} in this folder, not the notebook: they call your functions in a separate "
        "process and compare what comes back with the reference solution.\n\n"
        "Run them once everything is implemented. On your own machine they run the public "
        f"checks, the same as `autograder check {rubric.short_id}` in a terminal; a failing "
        "cell says what is wrong. When your work is graded, every check runs, including the "
        "instructor-only ones whose cells look empty here, with inputs you have not seen.")


def course_notebook(notebook: nbformat.NotebookNode, rubric: Rubric) -> nbformat.NotebookNode:
    """The nbgrader source notebook: the reference's cells marked up, test cells appended.

    notebook: the reference notebook (solutions/<id>/<id>.ipynb); it is not modified.
    """
    course = nbformat.from_dict(notebook)
    counters = {"instructions": 0, "answer": 0, "written_answer": 0}

    def next_id(kind: str) -> str:
        counters[kind] += 1
        return f"{kind}_{counters[kind]}"

    for cell in course.cells:
        cell.metadata.pop("nbgrader", None)
        has_solution = SOLUTION_MARKER in cell.source
        if cell.cell_type == "markdown" and has_solution:
            cell.metadata["nbgrader"] = nbgrader_metadata(next_id("written_answer"), grade=True,
                                                          solution=True, points=0.0)
        elif cell.cell_type == "markdown":
            cell.metadata["nbgrader"] = nbgrader_metadata(next_id("instructions"), locked=True)
        elif cell.cell_type == "code" and has_solution:
            cell.metadata["nbgrader"] = nbgrader_metadata(next_id("answer"), solution=True)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None

    intro = nbformat.v4.new_markdown_cell(_tests_introduction(rubric))
    intro.metadata["nbgrader"] = nbgrader_metadata("autograder_tests_introduction", locked=True)
    course.cells.append(intro)
    used: set[str] = set()
    for check in rubric.checks:
        grade_id = check_grade_id(check.name)
        while grade_id in used:
            grade_id += "_"
        used.add(grade_id)
        cell = nbformat.v4.new_code_cell(grade_cell_source(rubric.id, check))
        cell.metadata["nbgrader"] = nbgrader_metadata(grade_id, grade=True, locked=True,
                                                      points=check.points)
        course.cells.append(cell)
    return course
