"""The student package (`python -m autograder package`): exactly the release, pinned requirements,
a README; and the notebook runs top to bottom from the unzipped folder alone."""

import re
import subprocess
import sys
import zipfile

import nbformat
import pytest
from course_copy import run_all_assignments
from nbclient import NotebookClient

from autograder import package
from autograder.course import RELEASE, ROOT, spec_files


def pinned(path):
    return {re.split(r"==", line)[0].lower(): line for line in path.read_text().splitlines() if "==" in line}


@pytest.mark.parametrize("assignment", package.released_assignments())
def test_the_zip_holds_exactly_the_release_its_requirements_and_a_readme(assignment, tmp_path):
    path = package.build_package(assignment, tmp_path)
    with zipfile.ZipFile(path) as archive:
        contents = {info.filename: archive.read(info) for info in archive.infolist()}
    release = {f"{assignment}/{p.relative_to(RELEASE / assignment)}": p.read_bytes()
               for p in sorted((RELEASE / assignment).rglob("*")) if p.is_file() and "__pycache__" not in p.parts}
    extra = {f"{assignment}/README.md", f"{assignment}/requirements.txt"}
    assert set(contents) == set(release) | extra
    assert all(contents[name] == data for name, data in release.items())
    # nothing of the instructor's side, whatever release/ held
    forbidden = {"source", "autograder", "specs", "bank", "tests", "gradebook.db"} | {p.name for p in spec_files()}
    assert not forbidden & {part for name in contents for part in name.split("/")}
    notebook = contents[f"{assignment}/{assignment}.ipynb"].decode("utf-8")
    assert "start of solution" not in notebook and "BEGIN HIDDEN TESTS" not in notebook
    # requirements: every line pinned exactly as the course pins it; Jupyter, nbgrader and every import covered
    (tmp_path / "requirements.txt").write_bytes(contents[f"{assignment}/requirements.txt"])
    wanted, course = pinned(tmp_path / "requirements.txt"), pinned(ROOT / "requirements.txt")
    assert all(course.get(name, line) == line for name, line in wanted.items())
    assert {"jupyterlab", "ipykernel", "nbgrader", "numpy", "matplotlib"} <= set(wanted)
    assert not {"pytest", "hypothesis", "ruff", "selenium", "nh3"} & set(wanted)  # grader and test tools stay home
    readme = contents[f"{assignment}/README.md"].decode("utf-8")
    for words in (f"jupyter lab {assignment}.ipynb", "pip install -r requirements.txt", "Validate", "Assignment List"):
        assert words in readme
    assert package.build_package(assignment, tmp_path / "again").read_bytes() == path.read_bytes()  # reproducible


def test_every_import_of_a_package_is_in_its_requirements():
    files = package.released_files(RELEASE / "task3_training")
    wanted = "\n".join(package.requirements(files))
    assert {"tqdm", "numpy", "matplotlib"} <= package.imported_modules(files)  # framework.py and the notebook
    assert "tqdm==" in wanted and "framework" not in wanted  # a helper file is no package


def test_the_command_writes_a_zip_whose_notebook_runs_to_the_end(tmp_path):
    """Run All from the unzipped folder alone: every cell runs; only the last, the self_checks summary, fails
    (by design, on an untouched release)."""
    ready = run_all_assignments()
    if not ready:
        pytest.skip("no release notebook ends with the self_checks cell yet (the Run-All convention)")
    assignment = ready[0]
    done = subprocess.run([sys.executable, "-m", "autograder", "package", assignment, "--out", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(tmp_path / f"{assignment}.zip") as archive:
        archive.extractall(tmp_path / "student")
    folder = tmp_path / "student" / assignment
    notebook = nbformat.read(folder / f"{assignment}.ipynb", as_version=4)
    NotebookClient(notebook, timeout=300, allow_errors=True, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute()
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code)
    failed = [i for i, cell in enumerate(code) if any(out.output_type == "error" for out in cell.outputs)]
    assert failed in ([], [len(code) - 1]), [code[i].source[:200] for i in failed]
    assert code[-1].metadata["nbgrader"]["grade_id"] == "self_checks"
