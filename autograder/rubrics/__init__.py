"""The assignment registry.

An assignment exists because its rubric does: a module (or a package)
``autograder/rubrics/aN_name`` that defines RUBRIC. The registry finds them
the way cli.py finds its commands, so no list of assignments is kept anywhere;
everything else about an assignment (its short id, title, student modules,
reference and skeleton folders, notebook) is a question to its Assignment.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass
from pathlib import Path

from autograder.reference import REPOSITORY, SOLUTIONS, Reference
from autograder.rubrics.base import Rubric, short_id

SKELETONS = REPOSITORY / "assignments"
_ID = re.compile(r"a(\d+)_[a-z0-9_]+")


class UnknownAssignment(Exception):
    pass


def available() -> list[str]:
    """The id of every assignment, in course order (a1, a2, ..., a10)."""
    ids = [module.name for module in pkgutil.iter_modules(__path__) if _ID.fullmatch(module.name)]
    return sorted(ids, key=lambda name: int(_ID.fullmatch(name).group(1)))  # type: ignore[union-attr]


def resolve(name: str) -> str:
    """'a1', 'a1_backprop' -> 'a1_backprop'."""
    ids = available()
    for assignment_id in ids:
        if name in (assignment_id, short_id(assignment_id)):
            return assignment_id
    raise UnknownAssignment(f"unknown assignment {name!r}; choose from {', '.join(ids)}")


def load_rubric(name: str) -> Rubric:
    """The RUBRIC of the assignment ``name`` (an id or a short id)."""
    return importlib.import_module(f"{__name__}.{resolve(name)}").RUBRIC


@dataclass(frozen=True)
class Assignment:
    """One assignment, known by its id; the rest is read from its rubric or
    follows from the repository's layout."""

    id: str

    @property
    def short_id(self) -> str:
        return short_id(self.id)

    @property
    def rubric(self) -> Rubric:
        return load_rubric(self.id)

    @property
    def title(self) -> str:
        return self.rubric.title

    @property
    def modules(self) -> list[str]:
        """The student's module names (files NAME.py)."""
        return list(self.rubric.modules)

    @property
    def student_files(self) -> list[str]:
        """The files a student hands in, relative to the submission folder."""
        return [f"{module}.py" for module in self.rubric.modules] + list(self.rubric.extra_files)

    @property
    def solution_dir(self) -> Path:
        """The reference solution: solutions/<id>/."""
        return SOLUTIONS / self.id

    @property
    def skeleton_dir(self) -> Path:
        """The generated student skeleton: assignments/<id>/."""
        return SKELETONS / self.id

    @property
    def notebook(self) -> Path:
        """The reference notebook (which may not exist yet)."""
        return self.solution_dir / (self.rubric.notebook or f"{self.id}.ipynb")

    def reference(self) -> Reference:
        """The reference solution's modules, imported in isolation."""
        return Reference(self.solution_dir, self.modules)


def assignment(name: str) -> Assignment:
    """The assignment ``name`` (an id or a short id); raises UnknownAssignment."""
    return Assignment(resolve(name))


def assignments() -> list[Assignment]:
    """Every assignment, in course order."""
    return [Assignment(assignment_id) for assignment_id in available()]
