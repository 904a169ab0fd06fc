"""The GitHub Classroom template: its files, its workflow, and the workflow's
grading step run locally on a student repository that tries to change what is graded."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from autograder.authoring.classroom import WORKFLOW, write_template
from autograder.examples import bugs, materialize
from autograder.report.markdown import render_markdown
from autograder.report.model import CheckResult, GradeReport, Status
from autograder.rubrics import assignment, load_rubric

COURSE = "https://example.org/course.git"
BUG = next(b for b in bugs("a1_backprop") if b.name == "mse_sign_error")


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return write_template("a1", tmp_path_factory.mktemp("classroom") / "a1-template",
                          course_repo=COURSE, course_ref="v1")


def workflow_of(template: Path) -> dict:
    return yaml.safe_load((template / WORKFLOW).read_text())


def table_rows(markdown: str) -> list[list[str]]:
    """The body rows of the report's table, as lists of cell texts."""
    lines = [line for line in markdown.splitlines() if line.startswith("|") and "---" not in line]
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]] for line in lines[1:]]


def step(workflow: dict, name: str) -> dict:
    return next(s for s in workflow["jobs"]["grade"]["steps"] if s.get("name") == name)


def test_template_holds_the_skeleton_a_readme_and_the_workflow(template):
    skeleton = assignment("a1").skeleton_dir
    for path in skeleton.iterdir():
        if path.is_file():
            assert (template / path.name).read_bytes() == path.read_bytes(), path.name
    readme = (template / "README.md").read_text()
    assert "autograder check a1" in readme and f"git+{COURSE}@v1" in readme
    assert not list(template.rglob("__pycache__"))


def test_workflow_grades_every_push_with_the_installed_course_package(template):
    workflow = workflow_of(template)
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "push" in triggers
    job = workflow["jobs"]["grade"]
    assert job["env"]["ASSIGNMENT"] == "a1_backprop"
    assert (job["env"]["COURSE_REPO"], job["env"]["COURSE_REF"]) == (COURSE, "v1")
    install = step(workflow, "Install the course autograder")["run"]
    assert '"$COURSE_REPO" "$RUNNER_TEMP/course"' in install and 'pip install --quiet -e "$RUNNER_TEMP/course"' in install
    grade = step(workflow, "Grade")["run"]
    assert grade.startswith('cd "$RUNNER_TEMP"')  # never run from inside the student's checkout
    assert 'autograder grade "$GITHUB_WORKSPACE"' in grade and "$GITHUB_STEP_SUMMARY" in grade
    assert "--reference" not in grade  # the installed package's reference, not a path the student controls


def test_grading_step_reports_points_and_ignores_a_planted_rubric_and_reference(template, tmp_path):
    workspace = tmp_path / "student-repo"
    shutil.copytree(template, workspace)
    materialize("a1_backprop", BUG, tmp_path / "buggy")
    for name in ("layers.py", "network.py", "answers.py"):
        shutil.copy(tmp_path / "buggy" / name, workspace / name)
    # what a student might add to be graded leniently: its own rubric and a reference that matches its bug
    planted = workspace / "autograder" / "rubrics"
    planted.mkdir(parents=True)
    (workspace / "autograder" / "__init__.py").write_text("")
    (planted / "__init__.py").write_text("")
    (planted / "a1_backprop.py").write_text(
        "from autograder.rubrics.base import Rubric\n"
        "RUBRIC = Rubric(id='a1_backprop', title='free', modules=['layers'], checks=[])\n")
    shutil.copytree(tmp_path / "buggy", workspace / "solutions" / "a1_backprop")
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()
    summary_file = tmp_path / "step_summary.md"
    workflow = workflow_of(template)
    env = {**os.environ, **workflow["jobs"]["grade"]["env"], "GITHUB_WORKSPACE": str(workspace),
           "RUNNER_TEMP": str(runner_temp), "GITHUB_STEP_SUMMARY": str(summary_file),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-e", "-c", step(workflow, "Grade")["run"]], cwd=workspace, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    summary = summary_file.read_text()
    rubric = load_rubric("a1")
    heading = re.search(r"^## a1_backprop: ([\d.]+) / ([\d.]+) points", summary, re.M)
    assert heading, summary
    assert float(heading.group(2)) == rubric.max_score
    assert 0 < float(heading.group(1)) < rubric.max_score
    rows = {cells[1]: cells for cells in table_rows(summary)}
    assert list(rows) == [c.name for c in rubric.checks]
    assert rows["mse_loss"][0] == "❌" and "sign" in rows["mse_loss"][3]
    assert rows["linear_forward"][0] == "✅"
    assert summary in done.stdout  # the log shows it too


def test_markdown_rows_survive_pipes_and_newlines_in_messages():
    report = GradeReport("a1_backprop", "sub", [
        CheckResult("a | b", 1.0, 1.0, Status.PASSED),
        CheckResult("c", 0.0, 2.0, Status.FAILED, "got x | y\nexpected <z>"),
        CheckResult("d", 0.5, 1.0, Status.TIMEOUT, "slow"),
    ], seed=3, seconds=1.0, notes=["a note"])
    text = render_markdown(report)
    assert text.startswith("## a1_backprop: 1.5 / 4 points (37.5%)")
    rows = table_rows(text)
    assert [len(cells) for cells in rows] == [4, 4, 4]
    assert rows[0][:3] == ["✅", "a \\| b", "1 / 1"]
    assert rows[1] == ["❌", "c", "0 / 2", "got x \\| y expected &lt;z>"]
    assert rows[2][0] == "⏱️"
    assert "> a note" in text and "seed 3" in text


def test_classroom_command_refuses_a_non_empty_directory(tmp_path, capsys):
    from autograder.cli import main

    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "file").write_text("")
    assert main(["classroom", "a1", "--output", str(tmp_path / "taken")]) == 2
    error = capsys.readouterr().err
    assert "not empty" in error and len(error.strip().splitlines()) == 1
    assert main(["classroom", "a1", "--output", str(tmp_path / "new")]) == 0
    assert (tmp_path / "new" / WORKFLOW).is_file()
