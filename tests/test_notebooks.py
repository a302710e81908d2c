"""Every learner notebook (notebooks/) runs top to bottom in a fresh kernel, without an error.

The assignments' source and release notebooks are run by tests/test_run_all.py.
"""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from autograder import course

ROOT = course.ROOT
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[str(p.relative_to(ROOT)) for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path: Path):
    if path.parent.parent == course.SOURCE:
        course.sync_assignment(path.parent.name)
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # raises CellExecutionError, naming the cell, on the first error
    for cell in notebook.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
            stderr = [o for o in cell.get("outputs", []) if o.get("name") == "stderr"]
            assert not stderr, f"graded cell {cell.metadata.nbgrader['grade_id']} wrote to stderr: {stderr}"
