"""`python -m autograder grade`: bad input gets a clear message and a recorded outcome."""

import copy
import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import course
from autograder.grading import GradingError, grade
from autograder.submissions import build_submission, write_submission

ASSIGNMENT = "task2_backward"
pytestmark = pytest.mark.xdist_group("grading")


def read_csv(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def class_folder(tmp_path_factory):
    """A class with one good student and every kind of broken submission."""
    tmp = tmp_path_factory.mktemp("class")
    submitted = tmp / "submitted"
    write_submission(build_submission(ASSIGNMENT), submitted, "good", ASSIGNMENT)
    broken = submitted / "broken_json" / ASSIGNMENT
    broken.mkdir(parents=True)
    (broken / f"{ASSIGNMENT}.ipynb").write_text('{"cells": [')
    wrong_name = write_submission(build_submission(ASSIGNMENT), submitted, "renamed", ASSIGNMENT)
    wrong_name.rename(wrong_name.with_name(f"{ASSIGNMENT}-Copy1.ipynb"))
    (submitted / "no_assignment_folder" / "something_else").mkdir(parents=True)
    (submitted / "empty_folder" / ASSIGNMENT).mkdir(parents=True)
    notebook = build_submission(ASSIGNMENT)
    notebook.cells = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "test_linear"]
    write_submission(notebook, submitted, "deleted_test_cell", ASSIGNMENT)
    notebook = build_submission(ASSIGNMENT)
    first_answer = next(i for i, c in enumerate(notebook.cells) if c.metadata["nbgrader"].get("solution"))
    notebook.cells.insert(first_answer, copy.deepcopy(notebook.cells[first_answer]))
    write_submission(notebook, submitted, "duplicated_cell", ASSIGNMENT)
    not_a_notebook = submitted / "not_a_notebook" / ASSIGNMENT
    not_a_notebook.mkdir(parents=True)
    (not_a_notebook / f"{ASSIGNMENT}.ipynb").write_text('{"hello": "world"}')
    return tmp


@pytest.fixture(scope="module")
def graded(class_folder):
    results = grade(ASSIGNMENT, class_folder / "submitted", class_folder / "out",
                    workspace=class_folder / "workspace", progress=False)
    return {r.student: r for r in results}, class_folder / "out"


def test_every_student_has_a_recorded_result(graded):
    results, out = graded
    assert set(results) == {"good", "broken_json", "renamed", "no_assignment_folder", "empty_folder",
                            "not_a_notebook", "deleted_test_cell", "duplicated_cell"}
    rows = {row["student_id"]: row for row in read_csv(out / "grades.csv")}
    assert set(rows) == set(results)
    good = results["good"]  # full marks, but for the written answers that wait for the instructor
    assert float(rows["good"]["score"]) == good.max_score - good.pending_points > 0
    assert rows["good"]["needs_manual_grading"] == " ".join(good.pending)
    # A deleted test cell is put back at autograde and graded, not left for manual grading.
    assert rows["deleted_test_cell"]["score"] == rows["good"]["score"]
    assert "test_linear" in rows["deleted_test_cell"]["reason"]
    assert rows["duplicated_cell"]["score"] == rows["good"]["score"]
    assert "duplicated" in rows["duplicated_cell"]["reason"]
    for student in set(results) - {"good", "deleted_test_cell", "duplicated_cell", "renamed"}:
        assert float(rows[student]["score"]) == 0
        assert rows[student]["reason"], f"{student} has no reason"
    assert "not valid JSON" in rows["broken_json"]["reason"] or "not a valid notebook" in rows["broken_json"]["reason"]
    # A renamed copy (Jupyter's Duplicate here) is graded, with a note.
    assert rows["renamed"]["score"] == rows["good"]["score"]
    assert f"{ASSIGNMENT}-Copy1.ipynb" in rows["renamed"]["reason"]
    assert "no folder" in rows["no_assignment_folder"]["reason"]
    assert "missing" in rows["empty_folder"]["reason"]
    assert "not a valid notebook" in rows["not_a_notebook"]["reason"]


def test_items_csv_has_a_row_per_student_and_graded_cell(graded):
    results, out = graded
    rows = read_csv(out / "items.csv")
    cells = {row["cell_id"] for row in rows}
    assert {"test_linear", "test_sigmoid", "test_tanh", "test_relu", "test_mse_loss", "test_bce_loss",
            "test_model"} <= cells
    assert len(rows) == len(results) * len(cells)
    assert list(rows[0]) == ["student_id", "assignment", "cell_id", "score", "max_score", "graded_by", "reason",
                             "comment"]


def test_feedback_is_written_for_every_student(graded):
    results, out = graded
    for student in results:
        text = (out / "feedback" / student / f"{ASSIGNMENT}.txt").read_text()
        assert text.startswith(ASSIGNMENT)
    assert list((out / "feedback" / "good").glob("*.html")), "nbgrader's HTML feedback is missing"


def test_stock_generate_feedback_never_shows_hidden_tests(graded, class_folder):
    """formgrader's Generate Feedback button runs `nbgrader generate_feedback`: with the course's
    nbgrader_config.py it renders the graded notebook without the hidden tests' source."""
    workspace = class_folder / "workspace"
    command = [str(Path(sys.executable).parent / "nbgrader"), "generate_feedback", ASSIGNMENT, "--student", "good",
               "--force", f"--CourseDirectory.db_url=sqlite:///{workspace / 'gradebook.db'}",
               f"--CourseDirectory.autograded_directory={workspace / 'autograded'}",
               f"--CourseDirectory.feedback_directory={workspace / 'stock_feedback'}"]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(command, cwd=course.ROOT, env=env, capture_output=True, text=True, timeout=300)
    pages = list((workspace / "stock_feedback").rglob("*.html"))
    assert pages, done.stderr[-2000:]
    html = pages[0].read_text()
    assert "check_linear(Linear, points=" not in html and "BEGIN HIDDEN TESTS" not in html
    graded_notebook = next((workspace / "autograded" / "good").rglob("*.ipynb")).read_text()
    assert "BEGIN HIDDEN TESTS" in graded_notebook  # the instructor's copy keeps them


def test_regrading_keeps_what_the_gradebook_already_has(graded, class_folder):
    """A later batch with only a broken notebook leaves earlier scores in the gradebook."""
    from nbgrader.api import Gradebook

    later = class_folder / "later"
    broken = later / "good" / ASSIGNMENT
    broken.mkdir(parents=True)
    (broken / f"{ASSIGNMENT}.ipynb").write_text("not json")
    results = grade(ASSIGNMENT, later, class_folder / "out2", workspace=class_folder / "workspace",
                    progress=False)
    assert results[0].score == 0 and "not" in results[0].reason
    with Gradebook(f"sqlite:///{class_folder / 'workspace' / 'gradebook.db'}") as gb:
        submission = gb.find_submission(ASSIGNMENT, "good")
        first = graded[0]["good"]
        assert submission.score == first.score == first.max_score - first.pending_points > 0


def test_unknown_assignment_and_missing_folder_are_clear_errors(tmp_path):
    with pytest.raises(GradingError, match="no assignment 'task9'"):
        grade("task9", tmp_path, tmp_path / "out", workspace=tmp_path / "w", progress=False)
    with pytest.raises(GradingError, match="does not exist"):
        grade(ASSIGNMENT, tmp_path / "nowhere", tmp_path / "out", workspace=tmp_path / "w", progress=False)


def test_empty_submissions_folder_is_reported_not_crashed(tmp_path):
    (tmp_path / "submitted").mkdir()
    assert grade(ASSIGNMENT, tmp_path / "submitted", tmp_path / "out", workspace=tmp_path / "w",
                 progress=False) == []
    assert read_csv(tmp_path / "out" / "grades.csv") == []


def test_command_line_exit_codes(tmp_path):
    command = [sys.executable, "-m", "autograder", "grade"]
    missing = subprocess.run([*command, "task9", "--submissions", str(tmp_path)], capture_output=True,
                             text=True, cwd=course.ROOT)
    assert missing.returncode == 2 and "no assignment 'task9'" in missing.stderr
    shutil.rmtree(tmp_path)
