"""a2_losses: the reference notebook runs top to bottom and is stored without outputs."""

import pytest

from autograder.rubrics import assignment

NOTEBOOK = assignment("a2").notebook


def test_notebook_committed_without_outputs():
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_notebook_solution_cells_are_marked_for_nbgrader():
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    ids = []
    for cell in nb.cells:
        if "### BEGIN SOLUTION" in cell.source:
            assert "### END SOLUTION" in cell.source
            meta = cell.metadata.get("nbgrader", {})
            assert meta.get("solution") is True
            ids.append(meta["grade_id"])
    assert ids and len(ids) == len(set(ids))


@pytest.mark.slow
def test_notebook_runs(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if "image/png" in o.get("data", {})]
    assert len(images) >= 8
