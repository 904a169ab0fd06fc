"""The assignment registry: assignments are discovered from the rubric modules
and packages, and every question about one is answered from its id and rubric."""

from __future__ import annotations

import sys

import pytest

from autograder import rubrics
from autograder.rubrics import UnknownAssignment, assignment, assignments, available, load_rubric

RUBRIC = ("from autograder.rubrics.base import Rubric\n"
          "RUBRIC = Rubric(id={id!r}, title='extra', modules=['m'], checks=[])\n")


@pytest.fixture
def extra_rubrics(tmp_path, monkeypatch):
    """A second rubric folder on the package's path holding a9_module.py, a10_package/,
    and two helpers that are not assignments."""
    (tmp_path / "a9_module.py").write_text(RUBRIC.format(id="a9_module"))
    (tmp_path / "a10_package").mkdir()
    (tmp_path / "a10_package" / "__init__.py").write_text(RUBRIC.format(id="a10_package"))
    (tmp_path / "optimizer_slips.py").write_text("")
    (tmp_path / "a11-draft.py").write_text("")
    monkeypatch.setattr(rubrics, "__path__", [*rubrics.__path__, str(tmp_path)])
    yield
    for name in ("a9_module", "a10_package"):
        sys.modules.pop(f"autograder.rubrics.{name}", None)


def test_rubric_modules_and_packages_are_assignments_in_course_order(extra_rubrics):
    ids = available()
    assert ids[-2:] == ["a9_module", "a10_package"]  # by number: a10 after a9
    assert ids[:2] == ["a1_backprop", "a2_losses"]
    assert "optimizer_slips" not in ids and "a11-draft" not in ids
    assert load_rubric("a10").id == "a10_package" and load_rubric("a9_module").id == "a9_module"


def test_short_and_full_ids_resolve_and_unknown_ones_say_what_exists():
    assert assignment("a3").id == assignment("a3_optimizers").id == "a3_optimizers"
    with pytest.raises(UnknownAssignment, match="unknown assignment 'a99'; choose from a1_backprop, "):
        assignment("a99")


@pytest.mark.parametrize("entry", assignments(), ids=lambda a: a.id)
def test_every_assignment_has_its_files_where_the_registry_says(entry):
    assert entry.short_id == entry.id.split("_")[0] == entry.rubric.short_id
    assert entry.rubric.id == entry.id and entry.title == entry.rubric.title
    for module in entry.modules:
        assert (entry.solution_dir / f"{module}.py").is_file()
        assert (entry.skeleton_dir / f"{module}.py").is_file()
    assert entry.notebook.is_file() and entry.notebook.parent == entry.solution_dir
    assert set(entry.reference().modules) == set(entry.modules)
    assert entry.student_files[:len(entry.modules)] == [f"{m}.py" for m in entry.modules]
