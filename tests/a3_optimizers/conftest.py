"""Loads the a3_optimizers reference modules for this folder's tests.

The modules are imported as top-level modules (optim, schedules, search), the
way a submission is, and taken out of sys.modules again right away so that
other assignments' modules of the same name are neither shadowed nor shadow them.
"""

import importlib
import sys
import types
from pathlib import Path

import pytest

SOLUTION_DIR = Path(__file__).resolve().parents[2] / "solutions" / "a3_optimizers"
MODULES = ("optim", "schedules", "search")


@pytest.fixture(scope="session")
def a3():
    """A namespace with the reference modules: a3.optim, a3.schedules, a3.search."""
    saved = {name: sys.modules.pop(name) for name in MODULES if name in sys.modules}
    sys.path.insert(0, str(SOLUTION_DIR))
    try:
        loaded = {name: importlib.import_module(name) for name in MODULES}
    finally:
        sys.path.remove(str(SOLUTION_DIR))
        for name in MODULES:
            sys.modules.pop(name, None)
        sys.modules.update(saved)
    return types.SimpleNamespace(**loaded)
