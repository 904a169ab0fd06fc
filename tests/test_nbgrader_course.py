"""The nbgrader course: its files, the test cells' hook, and a real nbgrader run.

The slow tests drive the real nbgrader (its CLI, in a temporary course with its
own gradebook.db) through generate_assignment, autograde, export and
generate_feedback, for every assignment with a rubric and a notebook.
"""

from __future__ import annotations

import csv
import html
import importlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder import nbgrader_hook, rubrics
from autograder.authoring.nbgrader_cells import HIDDEN_BEGIN, check_grade_id
from autograder.authoring.nbgrader_course import (CONFIG_NAME, CourseError, existing_seed, with_notebooks,
                                                  write_course)
from autograder.authoring.nbgrader_feedback import ShortenHiddenTestTracebacks
from autograder.authoring.skeleton import skeleton_files
from autograder.examples import bugs, materialize, materialize_reference, materialize_skeleton
from autograder.grading import grade
from autograder.reference import SOLUTIONS
from autograder.rubrics import available, load_rubric

A1 = "a1_backprop"
SEED = 20240607


# -- helpers --------------------------------------------------------------------------
def grade_cells(notebook) -> list:
    return [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade")
            and c.cell_type == "code"]


def hidden_calls(notebook) -> list[str]:
    """The assert_check calls inside the hidden-test regions of a source notebook."""
    lines = []
    for cell in grade_cells(notebook):
        inside = False
        for line in cell.source.splitlines():
            if "END HIDDEN TESTS" in line:
                inside = False
            if inside and line.startswith("assert_check("):
                lines.append(line.strip())
            if "BEGIN HIDDEN TESTS" in line:
                inside = True
    return lines


def run_nbgrader(course: Path, *args: str, expect: int = 0, env: dict | None = None) -> str:
    env = {**{k: v for k, v in os.environ.items() if k not in ("AUTOGRADER_SEED", "NBGRADER_EXECUTION")},
           **(env or {})}
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == expect, f"nbgrader {' '.join(args)}:\n{result.stderr[-4000:]}"
    return result.stderr


def answered_notebook(course: Path, assignment: str) -> nbformat.NotebookNode:
    """The release notebook with every answer cell filled in as the source has it."""
    release = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    source = nbformat.read(course / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    for cell in release.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            cell.source = answers[meta["grade_id"]]
    return release


def submit(course: Path, student: str, assignment: str, files: Path,
           notebook: nbformat.NotebookNode) -> Path:
    """Lay out submitted/<student>/<assignment>/ as `nbgrader collect` does."""
    destination = course / "submitted" / student / assignment
    shutil.copytree(files, destination, ignore=shutil.ignore_patterns("*.ipynb", "__pycache__"))
    nbformat.write(notebook, destination / f"{assignment}.ipynb")
    return destination


def prepared(assignment: str, folder: Path) -> dict:
    """grade()'s extra keyword arguments for an example submission in ``folder``.

    An assignment's examples module may define ``prepare(folder)``, which completes
    the submission (a6: a trained model.pt) and says where its data lies.
    """
    prepare = getattr(importlib.import_module(f"autograder.examples.{assignment}"), "prepare", None)
    kwargs = prepare(folder) if prepare else {}
    assert set(kwargs) <= {"data_root"}, f"nbgrader cannot pass {sorted(kwargs)} to the grader"
    return kwargs


def read_grades(course: Path) -> dict[str, tuple[float, float]]:
    with open(course / "grades.csv", newline="") as handle:
        return {row["student_id"]: (float(row["score"]), float(row["max_score"]))
                for row in csv.DictReader(handle)}


def rendered_text(path: Path) -> str:
    """What a reader of an HTML page sees: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text()))


@pytest.fixture
def fresh_hook(monkeypatch):
    """The hook with an empty cache, outside nbgrader, with no course seed."""
    monkeypatch.setattr(nbgrader_hook, "_reports", {})
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.delenv("AUTOGRADER_SEED", raising=False)
    return nbgrader_hook


# -- the course's files ------------------------------------------------------------
def test_course_notebook_has_one_test_cell_per_check_with_its_points(tmp_path):
    from nbgrader.nbgraderformat import MetadataValidator

    write_course(tmp_path, [A1], seed=7)
    rubric = load_rubric(A1)
    notebook = nbformat.read(tmp_path / "source" / A1 / f"{A1}.ipynb", as_version=4)
    MetadataValidator().validate_nb(notebook)

    tests = grade_cells(notebook)
    tests = [c for c in tests if not c.metadata["nbgrader"].get("solution")]
    assert [c.metadata["nbgrader"]["grade_id"] for c in tests] == \
        [check_grade_id(check.name) for check in rubric.checks]
    assert [c.metadata["nbgrader"]["points"] for c in tests] == [check.points for check in rubric.checks]
    assert sum(c.metadata["nbgrader"]["points"] for c in grade_cells(notebook)) == rubric.max_score
    for cell, check in zip(tests, rubric.checks):
        assert cell.metadata["nbgrader"]["locked"]
        assert f'assert_check("{A1}", "{check.name}")' in cell.source
        assert (HIDDEN_BEGIN in cell.source) == (not check.public), check.name
    assert len(hidden_calls(notebook)) == sum(not check.public for check in rubric.checks) > 0


def test_instructions_are_locked_and_answers_are_solution_cells(tmp_path):
    write_course(tmp_path, [A1], seed=7)
    notebook = nbformat.read(tmp_path / "source" / A1 / f"{A1}.ipynb", as_version=4)
    reference = nbformat.read(SOLUTIONS / A1 / f"{A1}.ipynb", as_version=4)
    assert len(notebook.cells) == len(reference.cells) + 1 + len(load_rubric(A1).checks)
    for cell, original in zip(notebook.cells, reference.cells):
        assert cell.source == original.source
        meta = cell.metadata.get("nbgrader", {})
        answer = "BEGIN SOLUTION" in cell.source
        if cell.cell_type == "markdown":
            assert meta["locked"] != answer
            assert meta["solution"] == meta["grade"] == answer
            assert meta.get("points", 0) == 0
        else:
            assert meta.get("solution", False) == answer
            assert not meta.get("locked", False)


def test_source_holds_the_skeletons_not_the_reference(tmp_path):
    write_course(tmp_path, [A1], seed=7)
    folder = tmp_path / "source" / A1
    skeletons = {name: content for name, content in skeleton_files(SOLUTIONS / A1).items()
                 if not name.endswith(".ipynb")}
    assert {p.name: p.read_bytes() for p in folder.glob("*.py")} == skeletons
    for content in skeletons.values():
        assert b"BEGIN SOLUTION" not in content


def test_config_keeps_student_files_and_the_seed(tmp_path, monkeypatch):
    from traitlets.config.loader import PyFileConfigLoader

    write_course(tmp_path, [A1], seed=7)
    write_course(tmp_path, [A1])  # a second run keeps the course's seed
    assert existing_seed(tmp_path) == 7
    for name in ("AUTOGRADER_SEED", "AUTOGRADER_QUICK"):  # restored after the test
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    config = PyFileConfigLoader(CONFIG_NAME, path=str(tmp_path)).load_config()
    assert os.environ["AUTOGRADER_SEED"] == "7"
    assert config.Autograde.exclude_overwriting == {A1: ["layers.py", "network.py", "answers.py"]}
    assert config.Execute.timeout >= load_rubric(A1).budget
    order = [cls.__name__ for cls in config.GenerateFeedback.preprocessors]
    assert order.index("ShortenHiddenTestTracebacks") < order.index("ClearHiddenTests")
    write_course(tmp_path, [A1], seed=8)
    assert existing_seed(tmp_path) == 8


def test_config_covers_every_assignment_of_the_course(tmp_path):
    others = [a for a in available() if a != A1]
    if not others:
        pytest.skip("only a1 has a rubric")
    (tmp_path / "source" / others[0]).mkdir(parents=True)  # written by an earlier run
    write_course(tmp_path, [A1], seed=7)
    text = (tmp_path / CONFIG_NAME).read_text()
    for name in (A1, others[0]):
        assert f"{name!r}: {rubrics.assignment(name).student_files!r}" in text


def test_a_missing_or_malformed_notebook_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(rubrics.Assignment, "notebook", property(lambda self: tmp_path / "none.ipynb"))
    with pytest.raises(CourseError, match="has no notebook yet"):
        write_course(tmp_path / "course", [A1])
    (tmp_path / "none.ipynb").write_text("{not json")
    with pytest.raises(CourseError, match="is not a readable notebook"):
        write_course(tmp_path / "course", [A1])


def test_cli_reports_bad_input_in_one_line(tmp_path, capsys):
    from autograder.cli import main

    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    for args in ([str(not_a_folder)], [str(tmp_path / "c"), "--assignments", "a9"]):
        assert main(["nbgrader", *args]) == 2
        error = capsys.readouterr().err
        assert error.startswith("error: ") and error.count("\n") == 1, error


def test_cli_writes_a_course(tmp_path, capsys):
    from autograder.cli import main

    assert main(["nbgrader", str(tmp_path / "c"), "--assignments", "a1", "--seed", "5"]) == 0
    assert "source/a1_backprop/" in capsys.readouterr().out
    assert (tmp_path / "c" / "source" / A1 / f"{A1}.ipynb").is_file()
    assert existing_seed(tmp_path / "c") == 5


# -- the hook the test cells call ----------------------------------------------------
def test_student_side_runs_the_public_checks(fresh_hook, tmp_path, capsys):
    folder = materialize_reference(A1, tmp_path / "ref")
    assert fresh_hook.assert_check(A1, "linear_backward", folder) is None
    assert fresh_hook.assert_check(A1, "MLP_784_10_10_PARAMS", folder) is None
    assert "only the instructor" in capsys.readouterr().out


def test_autograding_fails_loudly_with_the_checks_message(fresh_hook, tmp_path, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setenv("AUTOGRADER_SEED", str(SEED))
    folder = materialize_skeleton(A1, tmp_path / "skeleton")
    expected = {r.name: r for r in grade(load_rubric(A1), folder, seed=SEED).results}
    for name in ("linear_backward", "MLP_784_10_10_PARAMS"):
        with pytest.raises(AssertionError) as failure:
            fresh_hook.assert_check(A1, name, folder)
        assert expected[name].message in str(failure.value)
    with pytest.raises(AssertionError, match="no check named 'nonsense'"):
        fresh_hook.assert_check(A1, "nonsense", folder)


def test_partial_credit_is_the_points_the_check_earned(fresh_hook, tmp_path, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setenv("AUTOGRADER_SEED", str(SEED))
    folder = materialize(A1, bugs(A1)[0], tmp_path / "bug")
    report = grade(load_rubric(A1), folder, seed=SEED)
    partial = [r for r in report.results if 0 < r.score < r.max_score]
    assert partial, "the first a1 bug should earn partial credit somewhere"
    for result in partial:
        assert fresh_hook.assert_check(A1, result.name, folder) == pytest.approx(result.score)
    passed = next(r for r in report.results if r.status == "passed")
    assert fresh_hook.assert_check(A1, passed.name, folder) is None


def test_submission_is_graded_once_until_a_file_changes(fresh_hook, tmp_path, monkeypatch):
    import autograder.grading

    calls = []
    real = autograder.grading.grade
    monkeypatch.setattr(autograder.grading, "grade", lambda *a, **k: calls.append(1) or real(*a, **k))
    folder = materialize_reference(A1, tmp_path / "ref")
    for name in ("linear_forward", "predict", "softmax"):
        fresh_hook.assert_check(A1, name, folder)
    assert len(calls) == 1
    layers = folder / "layers.py"
    stat = layers.stat()
    os.utime(layers, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    fresh_hook.assert_check(A1, "linear_forward", folder)
    assert len(calls) == 2


def test_a_bad_seed_variable_is_reported(fresh_hook, tmp_path, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setenv("AUTOGRADER_SEED", "twelve")
    with pytest.raises(AssertionError, match="AUTOGRADER_SEED must be an integer"):
        fresh_hook.assert_check(A1, "linear_forward", tmp_path)


def test_a_missing_reference_fails_every_test_cell_with_the_reason(fresh_hook, tmp_path, monkeypatch):
    import autograder.grading

    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setattr(autograder.grading, "SOLUTIONS", tmp_path / "no-solutions")
    folder = materialize_reference(A1, tmp_path / "ref")
    for name in ("linear_forward", "predict"):
        with pytest.raises(AssertionError, match="cannot grade this submission: reference directory"):
            fresh_hook.assert_check(A1, name, folder)


def test_feedback_keeps_only_the_message_of_a_hidden_test():
    error = nbformat.v4.new_output("error", ename="AssertionError", evalue="X is not right",
                                   traceback=["----> 3 assert_check('a1', 'X')", "AssertionError: X"])
    hidden = nbformat.v4.new_code_cell(f"# hidden\n{HIDDEN_BEGIN}\nassert_check('a1', 'X')\n"
                                       "### END HIDDEN TESTS", outputs=[error])
    visible = nbformat.v4.new_code_cell("assert_check('a1', 'Y')", outputs=[nbformat.from_dict(error)])
    notebook = nbformat.v4.new_notebook(cells=[hidden, visible])
    notebook, _ = ShortenHiddenTestTracebacks().preprocess(notebook, {})
    assert notebook.cells[0].outputs[0].traceback == ["AssertionError: X is not right"]
    assert len(notebook.cells[1].outputs[0].traceback) == 2


# -- the real nbgrader ---------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("assignment", with_notebooks())
def test_nbgrader_generates_autogrades_exports_and_gives_feedback(assignment, tmp_path):
    course = tmp_path / "course"
    rubric = load_rubric(assignment)
    write_course(course, [assignment], seed=SEED)
    run_nbgrader(course, "generate_assignment", assignment)
    release = course / "release" / assignment
    released = (release / f"{assignment}.ipynb").read_text()
    assert "BEGIN SOLUTION" not in released and "HIDDEN TESTS" not in released

    answered = answered_notebook(course, assignment)
    # the first bundled bug that leaves some checks untouched: it earns partial marks
    names = {check.name for check in rubric.checks}
    bug = next(b for b in bugs(assignment) if set(b.caught_by) | set(b.also) < names)
    reference = materialize_reference(assignment, tmp_path / "ref")
    kwargs = prepared(assignment, reference)
    submit(course, "reference", assignment, reference, answered)
    submit(course, "untouched", assignment, release, nbformat.read(release / f"{assignment}.ipynb", 4))
    buggy = materialize(assignment, bug, tmp_path / "bug")
    prepared(assignment, buggy)
    buggy = submit(course, "buggy", assignment, buggy, answered)
    data = {"AUTOGRADER_DATA": kwargs["data_root"]} if "data_root" in kwargs else {}
    run_nbgrader(course, "autograde", assignment, env=data)
    run_nbgrader(course, "export")

    expected = grade(rubric, buggy, seed=SEED, **kwargs)
    grades = read_grades(course)
    assert grades["reference"] == (rubric.max_score, rubric.max_score)
    assert grades["untouched"] == (0.0, rubric.max_score)
    assert grades["buggy"][0] == pytest.approx(expected.score, abs=1e-5)
    assert 0 < grades["buggy"][0] < rubric.max_score

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for check, result in zip(rubric.checks, expected.results):
            cell = gradebook.find_grade(check_grade_id(check.name), assignment, assignment, "buggy")
            assert cell.score == pytest.approx(result.score, abs=1e-5), check.name

    autograded = course / "autograded" / "reference" / assignment / f"{assignment}.ipynb"
    errors = [(o.ename, o.evalue) for cell in nbformat.read(autograded, 4).cells
              if cell.cell_type == "code" for o in cell.outputs if o.output_type == "error"]
    assert errors == [], "the reference notebook should run without errors"

    run_nbgrader(course, "generate_feedback", assignment)
    source = nbformat.read(course / "source" / assignment / f"{assignment}.ipynb", 4)
    secret = hidden_calls(source)
    visible = next(check for check in rubric.checks if check.public)
    assert all(line in autograded.read_text().replace('\\"', '"') for line in secret)
    for student in ("reference", "untouched", "buggy"):
        text = rendered_text(course / "feedback" / student / assignment / f"{assignment}.html")
        assert f'assert_check("{assignment}", "{visible.name}")' in text
        assert "HIDDEN TESTS" not in text
        assert [line for line in secret if line in text] == []
    caught = next(r for r in expected.results if r.name == bug.caught_by[0])
    assert caught.message in rendered_text(course / "feedback" / "buggy" / assignment / f"{assignment}.html")


@pytest.mark.slow
def test_a_dead_kernel_or_a_timed_out_test_cell_earns_nothing(tmp_path):
    course = tmp_path / "course"
    write_course(course, [A1], seed=SEED)
    run_nbgrader(course, "generate_assignment", A1)
    reference = materialize_reference(A1, tmp_path / "ref")
    sabotage = {
        "crashed": "import os\nos._exit(1)",
        "hung": "import time\nimport autograder.grading\n"
                "autograder.grading.grade = lambda *args, **kwargs: time.sleep(600)",
    }
    for student, code in sabotage.items():
        notebook = answered_notebook(course, A1)  # kept short: the sabotage, then the test cells
        notebook.cells = [nbformat.v4.new_code_cell(code)] + grade_cells(notebook)
        submit(course, student, A1, reference, notebook)
    log = run_nbgrader(course, "autograde", A1, "--Execute.timeout=5", expect=1)
    assert "Kernel died" in log
    run_nbgrader(course, "export")
    grades = read_grades(course)
    assert grades["crashed"] == grades["hung"] == (0.0, load_rubric(A1).max_score)

    hung = nbformat.read(course / "autograded" / "hung" / A1 / f"{A1}.ipynb", 4)
    tests = [c for c in grade_cells(hung) if not c.metadata["nbgrader"].get("solution")]
    first_errors = [o.ename for o in tests[0].outputs if o.output_type == "error"]
    assert "KeyboardInterrupt" in first_errors or "CellTimeoutError" in first_errors
    later = [o.evalue for cell in tests[1:] for o in cell.outputs if o.output_type == "error"]
    assert len(later) == len(tests) - 1 and all("interrupted" in message for message in later)
