"""Load the a2_losses reference modules for the tests in this folder."""

import importlib
import sys
from pathlib import Path

SOLUTION_DIR = Path(__file__).resolve().parents[2] / "solutions" / "a2_losses"
MODULE_NAMES = ("losses", "metrics", "answers")


def load_reference(directory=SOLUTION_DIR):
    """Import losses, metrics and answers from ``directory``.

    Returns a dict name -> module. The directory is put at the front of
    sys.path only while importing, and the module names (shared between
    assignments) are removed from sys.modules afterwards.
    """
    saved = {name: sys.modules.pop(name) for name in MODULE_NAMES if name in sys.modules}
    sys.path.insert(0, str(directory))
    try:
        return {name: importlib.import_module(name) for name in MODULE_NAMES}
    finally:
        sys.path.remove(str(directory))
        for name in MODULE_NAMES:
            sys.modules.pop(name, None)
        sys.modules.update(saved)
