"""A private, read-only copy of the worker's own code.

At the strongest isolation level the worker cannot read the autograder
package (it is hidden with the repository), so it runs from a copy that holds
only what runs inside it: the protocol, the worker loop and the trusted tasks.
"""

from __future__ import annotations

import atexit
import shutil
from functools import lru_cache
from pathlib import Path

from autograder.sandbox.scratch import ScratchDir

SANDBOX = Path(__file__).resolve().parent
FILES = ["protocol.py", "worker.py", "confine.py"]


@lru_cache(maxsize=1)
def runtime_dir() -> str:
    """A directory to put first on the worker's sys.path (created once per process)."""
    scratch = ScratchDir("ag-runtime-")
    root = Path(scratch.path)
    package = root / "autograder" / "sandbox"
    package.mkdir(parents=True)
    (root / "autograder" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    for name in FILES:
        shutil.copy2(SANDBOX / name, package / name)
    shutil.copytree(SANDBOX / "tasks", package / "tasks",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    atexit.register(scratch.remove)
    return str(root)
