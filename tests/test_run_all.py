"""Run All reaches the end of every notebook, as JupyterLab's Run All does (it stops at the first error).

- The untouched release (a copy of release/<assignment>/ in a temporary folder): every code cell
  runs, the only cell that fails is the last one, the 0-point `self_checks` summary, and no output
  shows a traceback into the course's files. Its summary names every self-check (none "not run
  yet": the notebook's SELF_CHECKS are the titles its self-check cells report).
- The source notebook (the reference solutions, in source/<assignment>/): no cell fails, the
  summary says every self-check passes, no demo cell reports a failure, and no graded cell
  writes to stderr.

One kernel per notebook.
"""

import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from autograder import course

RELEASED = [a for a in course.assignments() if course.notebook_path(a, course.RELEASE).exists()]
SOURCES = [a for a in course.assignments() if course.notebook_path(a).exists()]
SUMMARY_METADATA = {"grade": True, "solution": False, "locked": True, "points": 0, "grade_id": "self_checks"}
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# A frame of a traceback, in Python's form (File "x.py", line 3) or IPython's (File /x.py:3).
FRAME = re.compile(r'File "?([^",:\s]+\.py)"?(?:, line |:)\d+')
DEMO_FAILED = "then run this cell again."  # the end of the line a demo cell prints for a failing answer


def run_all(notebook, folder):
    """Execute `notebook` in `folder` cell by cell, stopping at the first error, as Run All does."""
    client = NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}})
    try:
        client.execute()
    except CellExecutionError:
        pass  # the failing cell holds the error output
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def errors(cell):
    return [output for output in cell.get("outputs", []) if output.get("output_type") == "error"]


def text(cell, name=None):
    """Everything `cell` printed (its `name` stream only, if given) and its tracebacks, without colours."""
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and name in (None, output.get("name")):
            parts.append(output.get("text", ""))
        elif output.get("output_type") == "error" and name is None:
            parts.append("\n".join(output.get("traceback", [])))
    return ANSI.sub("", "".join(parts))


def course_frames(cell, assignment):
    """The course's files (shipped next to the notebook) that a traceback in `cell`'s outputs runs through."""
    shipped = set(course.shipped_files(assignment))
    return sorted({Path(path).name for path in FRAME.findall(text(cell)) if Path(path).name in shipped})


@pytest.mark.parametrize("assignment", RELEASED)
def test_run_all_on_the_untouched_release_reaches_the_summary(assignment, tmp_path):
    folder = tmp_path / assignment
    shutil.copytree(course.RELEASE / assignment, folder)
    notebook = nbformat.read(folder / f"{assignment}.ipynb", as_version=4)
    cells = run_all(notebook, folder)
    last = cells[-1]
    assert {k: last.metadata.get("nbgrader", {}).get(k) for k in SUMMARY_METADATA} == SUMMARY_METADATA, (
        f"the last code cell of {assignment} is not the 0-point self_checks summary: {grade_id(last)}")
    failed = [grade_id(cell) or f"cell {i}" for i, cell in enumerate(cells) if errors(cell)]
    assert failed == ["self_checks"], f"Run All on the untouched release stops at {failed[:1]}, not at the summary"
    not_run = [grade_id(cell) or f"cell {i}" for i, cell in enumerate(cells) if cell.get("execution_count") is None]
    assert not not_run, f"cells that never ran: {not_run}"
    leaks = {grade_id(cell): course_frames(cell, assignment) for cell in cells if course_frames(cell, assignment)}
    assert not leaks, f"tracebacks into the course's files (cell: files): {leaks}"
    summary = text(last, "stdout")
    assert "self-checks still fail" in summary, summary
    assert "not run yet" not in summary, f"SELF_CHECKS names a title no self-check cell reports:\n{summary}"


@pytest.mark.parametrize("assignment", SOURCES)
def test_run_all_on_the_source_notebook_passes_every_self_check(assignment):
    course.sync_assignment(assignment)
    path = course.notebook_path(assignment)
    cells = run_all(nbformat.read(path, as_version=4), path.parent)
    failed = [cell for cell in cells if errors(cell)]
    assert not failed, f"the source notebook fails in {grade_id(failed[0])}:\n{text(failed[0])[-3000:]}"
    summary = text(cells[-1], "stdout")
    assert grade_id(cells[-1]) == "self_checks" and re.match(r"All \d+ self-checks pass\.", summary), summary
    demo_failures = {grade_id(cell): text(cell) for cell in cells if DEMO_FAILED in text(cell)}
    assert not demo_failures, f"demo cells report a failure of the reference solutions: {demo_failures}"
    stderr = {grade_id(cell): text(cell, "stderr") for cell in cells
              if cell.metadata.get("nbgrader", {}).get("grade") and text(cell, "stderr")}
    assert not stderr, f"graded cells wrote to stderr: {stderr}"
