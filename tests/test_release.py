"""release/ is exactly what nbgrader generates from source/, and shared files are never hand copies."""

import ast
import filecmp
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder import course

ASSIGNMENTS = course.assignments()


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """Every assignment generated afresh into a temporary release folder."""
    tmp = tmp_path_factory.mktemp("release")
    db_url = f"sqlite:///{tmp / 'gradebook.db'}"
    return {name: course.generate_release(name, tmp / "release", db_url) for name in ASSIGNMENTS}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_is_in_sync_with_source(generated, assignment):
    fresh, committed = generated[assignment], course.RELEASE / assignment
    assert committed.is_dir(), f"release/{assignment} is missing: run `python -m autograder release`"
    fresh_files = sorted(p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file())
    committed_files = sorted(p.relative_to(committed) for p in committed.rglob("*")
                             if p.is_file() and "__pycache__" not in p.parts)
    assert fresh_files == committed_files
    stale = [str(p) for p in fresh_files if not filecmp.cmp(fresh / p, committed / p, shallow=False)]
    assert not stale, f"release/{assignment} differs from source for {stale}: run `python -m autograder release`"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_shared_files_are_links_and_release_copies_are_exact(assignment):
    for name, target in course.linked_files(assignment).items():
        link = course.SOURCE / assignment / name
        assert link.is_symlink(), f"source/{assignment}/{name} must be a symlink to {target}"
        assert Path(os.path.realpath(link)) == (course.ROOT / target).resolve()
    for name, target in course.shipped_files(assignment).items():
        copy = course.RELEASE / assignment / name
        assert filecmp.cmp(copy, course.ROOT / target, shallow=False), f"release/{assignment}/{name} is stale"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_holds_the_notebook_and_the_shipped_files_only(assignment):
    released = {p.name for p in (course.RELEASE / assignment).rglob("*") if p.is_file()}
    assert released == set(course.shipped_files(assignment)) | {f"{assignment}.ipynb"}
    links = {p.name for p in (course.SOURCE / assignment).iterdir() if p.is_symlink()}
    assert links == set(course.linked_files(assignment)), "source/ links a file that is not shipped"


def test_release_notebooks_contain_no_solutions():
    for assignment in ASSIGNMENTS:
        assert not list((course.RELEASE / assignment).glob("*_hidden.py")), "grader-only code was released"
        text = course.notebook_path(assignment, course.RELEASE).read_text()
        assert course.BEGIN_SOLUTION not in text and course.END_SOLUTION not in text
        assert "BEGIN HIDDEN TESTS" not in text


# Runs in a fresh interpreter (-I: no folder of this repository on sys.path; -B: no __pycache__ left
# in release/) with only the assignment's release folder importable: what a notebook sees next to it.
EXEC_ALONE = """
import json, sys
sys.path.insert(0, sys.argv[1])
names = {}
for name in sys.argv[2:]:
    namespace = {"__name__": name[:-3]}
    with open(name, encoding="utf-8") as file:
        exec(compile(file.read(), name, "exec"), namespace)
    names[name] = sorted(namespace)
print(json.dumps(names))
"""


def test_generated_given_code_matches_its_origin():
    for assignment, files in course.GENERATED_FILES.items():
        release = course.RELEASE / assignment
        for name, (origin, grade_ids) in files.items():
            text = course.generate_given_code(origin, grade_ids)
            assert (release / name).read_text() == text, f"release/{assignment}/{name} is stale"
            imported = {node.module if isinstance(node, ast.ImportFrom) else alias.name
                        for node in ast.walk(ast.parse(text)) if isinstance(node, (ast.Import, ast.ImportFrom))
                        for alias in node.names}
            assert not [m for m in imported if course.never_given(m)], f"{name} imports checks: {imported}"
            course_imports = {m.split(".")[0] for m in imported} & course.course_modules()
            assert course_imports <= {Path(f).stem for f in course.shipped_files(assignment)}, (
                f"{assignment}/{name} imports a course module the assignment does not ship")
        run = subprocess.run([sys.executable, "-I", "-B", "-c", EXEC_ALONE, str(release), *files],
                             cwd=release, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, f"the given code of {assignment} does not run on its own:\n{run.stderr}"
        defined = json.loads(run.stdout.splitlines()[-1])
        for name, (origin, grade_ids) in files.items():
            expected = course.given_names(origin, grade_ids)
            assert expected, f"{origin}'s answer cells {grade_ids} define nothing"
            absent = [n for n in expected if n not in defined[name]]
            assert not absent, f"{assignment}/{name} lacks what {origin}'s answer cells define: {absent}"


def test_generated_imports_are_the_used_names_of_the_notebooks_imports():
    statements = ast.parse("import time\nimport numpy as np\nimport matplotlib.pyplot as plt\n"
                           "from tqdm.auto import tqdm, trange\nfrom framework import Linear, Model, ReLU\n"
                           "from task9_checks import check_it, BUDGET\nfrom utils import Module, parameters_of\n").body
    code = "class Net(Module):\n    def f(self, time):\n        return np.zeros(time), Linear, tqdm\n"
    assert course._imports_used(statements, code, set(), "origin") == (
        "import numpy as np\nfrom tqdm.auto import tqdm\n\nfrom framework import Linear\nfrom utils import Module")
    with pytest.raises(ValueError, match="BUDGET .from task9_checks: checks are never given code"):
        course._imports_used(statements, "def f():\n    return BUDGET\n", set(), "origin")
    with pytest.raises(ValueError, match="make_mlp .defined in a given cell"):
        course._imports_used(statements, "def f():\n    return make_mlp\n", {"make_mlp"}, "origin")
    assert course._imports_used(statements, "def f():\n    return len(time.time())\n", set(), "o") == "import time"


@pytest.mark.parametrize("assignment", course.assignments())
def test_every_nbgrader_cell_is_graded_an_answer_or_read_only(assignment):
    """A cell with nbgrader metadata that is none of these is unknown to the gradebook: stock nbgrader's
    OverwriteCells strips its metadata and then fails on it (KeyError: 'grade_id')."""
    notebook = nbformat.read(course.notebook_path(assignment), as_version=4)
    odd = [cell.metadata.nbgrader.get("grade_id") for cell in notebook.cells if "nbgrader" in cell.metadata
           and not any(cell.metadata.nbgrader.get(key) for key in ("grade", "solution", "locked", "task"))]
    assert not odd, f"cells with nbgrader metadata that grade, answer and lock nothing: {odd}"
