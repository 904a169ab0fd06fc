"""Bundled example submissions: realistic bugs written as edits of the reference.

Each assignment's module (``autograder.examples.<assignment>``) lists BUGS, each
a :class:`Bug`: one or more (file, find, replace) edits of the reference, a
sentence saying what a student got wrong, and the checks that must catch it.
``materialize`` writes the buggy submission to a directory, so the examples
stay in step with the reference and the demo, the tests and the mutation
corpus all use the same files.
"""

from __future__ import annotations

import importlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from autograder.rubrics import assignment, resolve


@dataclass(frozen=True)
class Edit:
    file: str
    find: str
    replace: str


@dataclass(frozen=True)
class Bug:
    """name: a slug; description: the slip in a sentence; edits: how to make it;
    caught_by: the checks that must lose points; also: checks that may lose
    points too because they build on the broken function (every other check
    must keep full marks); mentions: words that the message of the first
    check in caught_by must contain (the slip named)."""

    name: str
    description: str
    edits: tuple[Edit, ...]
    caught_by: tuple[str, ...]
    also: tuple[str, ...] = field(default_factory=tuple)
    mentions: tuple[str, ...] = field(default_factory=tuple)


def _examples_module(assignment: str) -> ModuleType | None:
    """autograder.examples.<id> of the assignment (an id or a short id), if it has one."""
    name = f"autograder.examples.{resolve(assignment)}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise


def prepare(assignment: str, destination: Path) -> dict:
    """Make a materialised submission gradable: some assignments need more than
    code (a6: a trained model.pt and a dataset). Returns extra keyword
    arguments for grade(), e.g. {"data_root": ...}."""
    module = _examples_module(assignment)
    if module is None or not hasattr(module, "prepare"):
        return {}
    return module.prepare(destination)


def bugs(assignment: str) -> list[Bug]:
    """The bundled bugs of one assignment (empty if it has none yet)."""
    module = _examples_module(assignment)
    return list(module.BUGS) if module is not None else []


def _copy_code(source: Path, destination: Path) -> None:
    """Copy an assignment folder without its notebook and caches."""
    shutil.copytree(source, destination, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.ipynb", ".ipynb_checkpoints"))


def materialize_reference(name: str, destination: Path) -> Path:
    """Write the reference solution of the assignment ``name`` (id or short id) to ``destination``."""
    _copy_code(assignment(name).solution_dir, destination)
    return destination


def materialize_skeleton(name: str, destination: Path) -> Path:
    """Write the generated skeleton of the assignment ``name`` to ``destination``."""
    _copy_code(assignment(name).skeleton_dir, destination)
    return destination


def materialize(name: str, bug: Bug, destination: Path) -> Path:
    """Write the reference with ``bug``'s edits applied to ``destination``."""
    materialize_reference(name, destination)
    for edit in bug.edits:
        path = destination / edit.file
        text = path.read_text()
        count = text.count(edit.find)
        if count != 1:
            raise ValueError(f"bug {bug.name}: {edit.find!r} occurs {count} times in {edit.file}")
        path.write_text(text.replace(edit.find, edit.replace))
    return destination
