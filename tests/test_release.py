"""release/ is exactly what nbgrader generates from source/, and shared files are never hand copies."""

import filecmp
import os
from pathlib import Path

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


def test_generated_given_code_matches_its_origin(tmp_path):
    for assignment, files in course.GENERATED_FILES.items():
        for name, (origin, grade_ids) in files.items():
            text = course.generate_given_code(origin, grade_ids)
            assert (course.RELEASE / assignment / name).read_text() == text
            namespace = {}
            exec(compile(text, name, "exec"), namespace)  # the given code is importable on its own
            for cls in ("Linear", "Sigmoid", "Tanh", "ReLU", "MSELoss", "BCELoss", "Model"):
                assert cls in namespace
