"""Student skeletons from the reference: solution regions become stubs.

Region replacement is nbgrader's own ClearSolutions preprocessor, applied to
notebooks directly and to .py files wrapped in a one-cell notebook. In .py
files the marker line may carry a hint, ``### BEGIN SOLUTION hint: ...``:
inside a function the stub becomes ``raise NotImplementedError("<hint>")``;
at module level (answers) it becomes ``# YOUR ANSWER HERE (hint: ...)``,
so the module still imports.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

_STUB = "@@AUTOGRADER_STUB@@"
_HINT = re.compile(r"BEGIN SOLUTION\s*(?:hint:\s*(?P<hint>.*?))?\s*$")
SKIPPED = {"__pycache__", ".ipynb_checkpoints"}


def _clear_solutions(code_stub: str):
    from nbgrader.preprocessors import ClearSolutions

    return ClearSolutions(code_stub={"python": code_stub}, enforce_metadata=False)


def _hints(source: str) -> list[str]:
    hints = []
    for line in source.splitlines():
        if "BEGIN SOLUTION" in line:
            match = _HINT.search(line)
            hints.append((match.group("hint") or "").strip() if match else "")
    return hints


def _stub_line(indent: str, hint: str, name: str) -> str:
    if not indent:
        return f"# YOUR ANSWER HERE (hint: {hint})" if hint else "# YOUR ANSWER HERE"
    message = hint or f"implement this part of {name}"
    return f'{indent}raise NotImplementedError("{message}")'


def skeleton_source(source: str, name: str = "this file") -> str:
    """The student version of a Python source file."""
    hints = _hints(source)
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_code_cell(source))
    cleared, _ = _clear_solutions(_STUB).preprocess(notebook, {})
    lines, position = [], 0
    for line in cleared.cells[0].source.split("\n"):
        if line.strip() == _STUB:
            indent = line[: len(line) - len(line.lstrip())]
            lines.append(_stub_line(indent, hints[position] if position < len(hints) else "", name))
            position += 1
        else:
            lines.append(line)
    return "\n".join(lines)


def skeleton_notebook(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student version of a notebook: solutions cleared, outputs removed."""
    notebook = nbformat.from_dict(notebook)
    cleared, _ = _clear_solutions("# YOUR CODE HERE\nraise NotImplementedError()").preprocess(notebook, {})
    for cell in cleared.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return cleared


def skeleton_files(solution_dir: Path) -> dict[str, bytes]:
    """{relative path: content} of the generated skeleton of one assignment."""
    files: dict[str, bytes] = {}
    for path in sorted(solution_dir.rglob("*")):
        relative = path.relative_to(solution_dir)
        if path.is_dir() or any(part in SKIPPED for part in relative.parts):
            continue
        if path.suffix == ".py":
            text = skeleton_source(path.read_text(), path.name)
            files[str(relative)] = text.encode()
        elif path.suffix == ".ipynb":
            notebook = skeleton_notebook(nbformat.read(path, as_version=4))
            files[str(relative)] = (nbformat.writes(notebook) + "\n").encode()
        else:
            files[str(relative)] = path.read_bytes()
    return files
