"""Every assignment's notebook runs top to bottom: the reference's without an
error, the release's up to its first unimplemented function, where it stops
with that function's hint as a NotImplementedError.

Notebooks run with nbclient in a copy of their folder, on the CPU, with
AUTOGRADER_QUICK=1 (notebooks use their short settings) and, for notebooks
that read AUTOGRADER_DATA, synthetic datasets in torchvision's formats.
"""

from __future__ import annotations

import shutil

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from autograder import rubrics

WITH_NOTEBOOK = [a.id for a in rubrics.assignments() if a.notebook.is_file()]
CELL_TIMEOUT = 300


@pytest.fixture(scope="session")
def synth_root(tmp_path_factory):
    """A data root holding a small synthetic copy of every dataset of the manifest."""
    from autograder.data.manifest import dataset_names
    from autograder.data.synth import write_synth

    root = tmp_path_factory.mktemp("synth-data")
    for name in dataset_names():
        write_synth(name, root)
    return root


def _run(folder, assignment, request, monkeypatch):
    """Execute folder/<assignment>.ipynb in place; return the executed notebook."""
    path = folder / f"{assignment}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    monkeypatch.setenv("AUTOGRADER_QUICK", "1")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    if "AUTOGRADER_DATA" in path.read_text():
        monkeypatch.setenv("AUTOGRADER_DATA", str(request.getfixturevalue("synth_root")))
    client = NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(folder)}})
    client.execute()
    return notebook


def _copy(source, destination):
    shutil.copytree(source, destination, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    return destination


@pytest.mark.slow
@pytest.mark.parametrize("assignment", WITH_NOTEBOOK)
def test_reference_notebook_runs_top_to_bottom(assignment, tmp_path, request, monkeypatch):
    folder = _copy(rubrics.assignment(assignment).solution_dir, tmp_path / assignment)
    try:
        notebook = _run(folder, assignment, request, monkeypatch)
    except CellExecutionError as exc:
        pytest.fail(f"{assignment}.ipynb fails on the reference: {exc.ename}: {exc.evalue}")
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "the notebook shows no plot"


@pytest.mark.slow
@pytest.mark.parametrize("assignment", [a for a in WITH_NOTEBOOK
                                        if (rubrics.assignment(a).skeleton_dir / f"{a}.ipynb").is_file()])
def test_release_notebook_stops_at_the_first_unimplemented_function(assignment, tmp_path, request,
                                                                    monkeypatch):
    folder = _copy(rubrics.assignment(assignment).skeleton_dir, tmp_path / assignment)
    with pytest.raises(CellExecutionError) as failure:
        _run(folder, assignment, request, monkeypatch)
    assert failure.value.ename == "NotImplementedError", failure.value.evalue
    assert failure.value.evalue.strip(), "the NotImplementedError carries no hint"
    modules = [path.name for path in folder.glob("*.py")]
    assert any(name in str(failure.value) for name in modules), \
        f"the first failure should come from a function in {', '.join(modules)}"
