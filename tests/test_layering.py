"""Which package may import which: report/ is at the bottom (the result model and
every writer), commands/ at the top (only cli.py uses it). An import against the
grain, even one inside a function, is a writer or a helper in the wrong home."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "autograder"


def imported_modules(path: Path) -> set[str]:
    """Every autograder module that ``path`` imports, at the top or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] == "autograder"}


def modules_of(package: str) -> list[Path]:
    return sorted((PACKAGE / package).rglob("*.py"))


@pytest.mark.parametrize("path", modules_of("report"), ids=lambda p: p.name)
def test_report_imports_only_report(path):
    outside = {name for name in imported_modules(path)
               if name != "autograder" and not name.startswith("autograder.report")}
    assert not outside, f"{path.name} imports {sorted(outside)}"


COMMAND_LINE = set(modules_of("commands")) | {PACKAGE / "cli.py", PACKAGE / "__main__.py"}


@pytest.mark.parametrize("path", sorted(set(PACKAGE.rglob("*.py")) - COMMAND_LINE),
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_the_command_line_imports_commands(path):
    upward = {name for name in imported_modules(path)
              if name.startswith(("autograder.commands", "autograder.cli"))}
    assert not upward, f"{path.relative_to(PACKAGE)} imports {sorted(upward)}"
