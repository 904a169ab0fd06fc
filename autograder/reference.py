"""Loading the trusted reference solution into the grader process."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[1]
SOLUTIONS = REPOSITORY / "solutions"


class ReferenceMissing(Exception):
    """The reference solution cannot be found or imported."""


class Reference:
    """The reference modules of one assignment, imported in isolation.

    Assignments share module names (``answers``), so each Reference imports
    its directory's modules with that directory first on sys.path and then
    takes them out of sys.modules again, keeping private handles.
    """

    def __init__(self, directory: str | Path, modules: list[str]):
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise ReferenceMissing(f"reference directory {self.directory} does not exist")
        self.modules = self._import(modules)

    def _import(self, names: list[str]) -> dict[str, ModuleType]:
        saved = {name: sys.modules.pop(name) for name in names if name in sys.modules}
        sys.path.insert(0, str(self.directory))
        loaded = {}
        try:
            for name in names:
                try:
                    loaded[name] = importlib.import_module(name)
                except Exception as exc:
                    path = self.directory / f"{name}.py"
                    raise ReferenceMissing(f"reference module {path} failed to import: {exc}") from exc
        finally:
            sys.path.remove(str(self.directory))
            for name in names:
                sys.modules.pop(name, None)
            sys.modules.update(saved)
        return loaded

    def get(self, target: str) -> Any:
        """The object named by "module:name"."""
        module, _, name = target.partition(":")
        return getattr(self.modules[module], name)
