"""Fixtures for the a4_convolutions tests: the reference modules, loaded in isolation."""

import importlib
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REFERENCE_DIR = ROOT / "solutions" / "a4_convolutions"
MODULES = ("shapes", "conv", "answers")


def load_modules(directory, names=MODULES):
    """Import ``names`` from ``directory`` as top-level modules, then forget them.

    The modules keep working (they hold their own globals), but neither the
    directory nor the module names stay in sys.path / sys.modules, because
    names such as ``answers`` are shared between assignments.
    """
    directory = str(directory)
    saved = {name: sys.modules.pop(name) for name in names if name in sys.modules}
    sys.path.insert(0, directory)
    try:
        loaded = {name: importlib.import_module(name) for name in names}
    finally:
        sys.path.remove(directory)
        for name in names:
            sys.modules.pop(name, None)
        sys.modules.update(saved)
    return types.SimpleNamespace(**loaded)


@pytest.fixture(scope="session")
def a4():
    """Namespace with the reference modules ``shapes``, ``conv`` and ``answers``."""
    return load_modules(REFERENCE_DIR)
