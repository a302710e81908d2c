"""Written answers and the instructor's work in formgrader, through regrades (grading.record_one).

In a copy of the course whose Task 2 gets a written answer (a manually graded markdown cell,
2 points) and ends with the 0-point `self_checks` cell:

- the written answer waits for the instructor ("needs manual grading" in the gradebook, grades.csv
  and items.csv), an untouched one scores 0 as "no response", the 0-point cell leaves no row;
- manual scores, extra credit and comments given as formgrader gives them survive a regrade (no
  "needs manual grading" again) and appear in grades.csv, items.csv, the text and the HTML feedback;
- every total is exact to the cent and the same in the gradebook and the reports.
"""

import csv
import re
import subprocess
import sys
import warnings

import nbformat
import pytest
from course_copy import copy_course, course_env

from autograder import course
from autograder.results import cents

ASSIGNMENT = "task2_backward"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
WRITTEN = "explain_dw"
ANSWER = "dW is averaged over the batch, so the step size does not grow with the batch size."
pytestmark = pytest.mark.xdist_group("manual_grading")


def meta(grade_id, **flags):
    return {"nbgrader": {"grade_id": grade_id, "schema_version": 3, "grade": False, "solution": False,
                         "locked": False, "task": False, **flags}}


def add_written_answer(clone):
    """The copy's Task 2 source with a written answer after test_linear and a 0-point last cell."""
    path = course.notebook_path(ASSIGNMENT, clone / "source")
    notebook = nbformat.read(path, as_version=4)
    at = next(i for i, c in enumerate(notebook.cells)
              if c.metadata.get("nbgrader", {}).get("grade_id") == "test_linear")
    question = nbformat.v4.new_markdown_cell("**Question (2 points).** Why is `dW` averaged over the batch?",
                                             metadata=meta("explain_dw_question", locked=True))
    answer = nbformat.v4.new_markdown_cell("A model answer: the mean keeps the gradient's scale independent of m.",
                                           metadata=meta(WRITTEN, grade=True, solution=True, points=2))
    notebook.cells[at + 1:at + 1] = [question, answer]
    if not any(c.metadata.get("nbgrader", {}).get("grade_id") == "self_checks" for c in notebook.cells):
        notebook.cells.append(nbformat.v4.new_code_cell(
            "print('All checks passed.')", metadata=meta("self_checks", grade=True, locked=True, points=0)))
    nbformat.write(notebook, path)


def submission(clone, written=None):
    """The copy's release notebook with the reference code, `written` as the added written answer and
    the notebook's own written answers (if it has any) left as released ("no response")."""
    from autograder.screening import is_manual_cell

    release = nbformat.read(course.notebook_path(ASSIGNMENT, clone / "release"), as_version=4)
    reference = course.answer_cells(nbformat.read(course.notebook_path(ASSIGNMENT), as_version=4))
    for grade_id, cell in course.answer_cells(release).items():
        if grade_id == WRITTEN:
            cell.source = written if written is not None else cell.source
        elif not is_manual_cell(cell):
            cell.source = course.solution_source(reference[grade_id].source)
    return release


def run(command, clone):
    done = subprocess.run(command, cwd=clone, env=course_env(clone / "home"), capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, f"{command[2:5]}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def grade_clone(clone, out, html=False):
    command = [sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--submissions", str(clone / "submitted"),
               "--out", str(out), "--no-progress", *([] if html else ["--no-html-feedback"])]
    return run(command, clone)


def gradebook(clone):
    from nbgrader.api import Gradebook

    warnings.simplefilter("ignore", category=Warning)
    return Gradebook(f"sqlite:///{clone / 'gradebook.db'}")


def give(gb, student, cell, manual_score=None, extra_credit=None, comment=None):
    """What formgrader's GradeHandler.put and CommentHandler.put do with the instructor's input."""
    if manual_score is not None or extra_credit is not None:
        grade = gb.find_grade(cell, ASSIGNMENT, ASSIGNMENT, student)
        grade.manual_score, grade.extra_credit = manual_score, extra_credit
        grade.needs_manual_grade = grade.manual_score is None and grade.auto_score is None
    if comment is not None:
        gb.find_comment(cell, ASSIGNMENT, ASSIGNMENT, student).manual_comment = comment
    gb.db.commit()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("manual")
    clone = copy_course(tmp / "course")
    add_written_answer(clone)
    with open(clone / "nbgrader_config.py", "a") as config:  # a due date set in the course's config
        config.write(f"\nc.Grader.duedates = {{{ASSIGNMENT!r}: '2099-01-01 00:00:00 UTC'}}\n")
    run([sys.executable, "-m", "autograder", "release", ASSIGNMENT], clone)
    for student, written in (("writer", ANSWER), ("blank", None)):
        path = clone / "submitted" / student / ASSIGNMENT / NOTEBOOK
        path.parent.mkdir(parents=True)
        nbformat.write(submission(clone, written), path)
        (path.parent / "timestamp.txt").write_text("2025-03-01 12:00:00.5 UTC\n")
    grade_clone(clone, tmp / "first")
    first = {r["student_id"]: r for r in rows(tmp / "first" / "grades.csv")}
    first_items = rows(tmp / "first" / "items.csv")
    with gradebook(clone) as gb:
        flagged = {(g.notebook.student.id, g.name): (g.needs_manual_grade, g.auto_score)
                   for s in gb.assignment_submissions(ASSIGNMENT) for nb in s.notebooks for g in nb.grades}
        auto_comment = gb.find_comment(WRITTEN, ASSIGNMENT, ASSIGNMENT, "blank").auto_comment
        give(gb, "writer", WRITTEN, manual_score=1.5, comment="Right idea; say *why* m must not matter.")
        give(gb, "writer", "test_linear", manual_score=3.333)  # an override of the grader's score, to the 1/1000
        give(gb, "writer", "linear", comment="Nicely vectorised.")  # the comment box of the answer cell
        give(gb, "writer", "test_sigmoid", extra_credit=0.25)
    grade_clone(clone, tmp / "second", html=True)
    return {"clone": clone, "first": first, "first_items": first_items, "flagged": flagged,
            "auto_comment": auto_comment, "second": tmp / "second"}


def test_a_written_answer_waits_for_the_instructor(graded):
    first, flagged = graded["first"], graded["flagged"]
    assert first["writer"]["needs_manual_grading"] == WRITTEN and first["blank"]["needs_manual_grading"] == ""
    assert flagged["writer", WRITTEN] == (True, None)  # nbgrader's "needs manual grade", no autograder score
    assert flagged["blank", WRITTEN] == (False, 0.0) and graded["auto_comment"] == "No response."
    items = {(r["student_id"], r["cell_id"]): r for r in graded["first_items"]}
    assert (items["writer", WRITTEN]["graded_by"], items["writer", WRITTEN]["reason"]) == ("pending",
                                                                                         "needs manual grading")
    assert (items["blank", WRITTEN]["score"], items["blank", WRITTEN]["reason"]) == ("0", "no response")
    assert float(first["writer"]["max_score"]) == float(first["blank"]["max_score"])


def test_the_due_date_of_the_config_reaches_the_gradebook(graded):
    with gradebook(graded["clone"]) as gb:
        assert str(gb.find_assignment(ASSIGNMENT).duedate) == "2099-01-01 00:00:00"
        assert gb.find_submission(ASSIGNMENT, "writer").total_seconds_late == 0
    assert graded["first"]["writer"]["submitted_at"] == "2025-03-01 12:00:00 UTC"
    assert graded["first"]["writer"]["late_penalty"] == "0"


def test_a_zero_point_cell_leaves_no_row_and_needs_no_grading(graded):
    assert not [r for r in graded["first_items"] if r["cell_id"] == "self_checks"]
    assert graded["flagged"]["writer", "self_checks"] == (False, 0.0)
    page = next((graded["second"] / "feedback" / "writer").glob("*.html")).read_text(encoding="utf-8")
    assert "/ 0.0)" not in re.sub(r"<[^>]*>", "", page)  # no "Test cell (Score: 0.0 / 0.0)" row


def test_the_instructors_work_survives_a_regrade(graded):
    with gradebook(graded["clone"]) as gb:
        written = gb.find_grade(WRITTEN, ASSIGNMENT, ASSIGNMENT, "writer")
        linear = gb.find_grade("test_linear", ASSIGNMENT, ASSIGNMENT, "writer")
        assert (written.manual_score, written.needs_manual_grade) == (1.5, False)
        assert (linear.manual_score, linear.needs_manual_grade) == (3.333, False)
        assert gb.find_grade("test_sigmoid", ASSIGNMENT, ASSIGNMENT, "writer").extra_credit == 0.25
        assert gb.find_comment("linear", ASSIGNMENT, ASSIGNMENT, "writer").manual_comment == "Nicely vectorised."
        assert not gb.find_submission(ASSIGNMENT, "writer").needs_manual_grade
        in_gradebook = cents(gb.find_submission(ASSIGNMENT, "writer").score)
    grades = {r["student_id"]: r for r in rows(graded["second"] / "grades.csv")}
    items = {r["cell_id"]: r for r in rows(graded["second"] / "items.csv") if r["student_id"] == "writer"}
    assert grades["writer"]["needs_manual_grading"] == ""
    assert (items[WRITTEN]["score"], items[WRITTEN]["graded_by"]) == ("1.5", "instructor")
    assert items[WRITTEN]["comment"] == "Right idea; say *why* m must not matter."
    assert (items["test_linear"]["score"], items["test_linear"]["graded_by"]) == ("3.33", "instructor")
    assert items["test_linear"]["reason"].startswith("score set by the instructor (the grader gave ")
    assert items["test_linear"]["comment"] == "Nicely vectorised."  # the answer's comment, on the cell grading it
    assert "0.25 extra credit" in items["test_sigmoid"]["reason"]
    # Exact to the cent: every number has at most two decimals and the total is the sum of the items.
    for value in [grades["writer"]["score"], *(r["score"] for r in items.values())]:
        assert re.fullmatch(r"\d+(\.\d{1,2})?", value), value
    total = cents(sum(float(r["score"]) for r in items.values()))
    assert float(grades["writer"]["score"]) == total == in_gradebook


def test_manual_scores_and_comments_are_in_every_feedback(graded):
    folder = graded["second"] / "feedback" / "writer"
    text = (folder / f"{ASSIGNMENT}.txt").read_text(encoding="utf-8")
    assert re.search(rf"  {WRITTEN} +1\.5 / 2\n +Comment: Right idea; say \*why\* m must not matter\.", text)
    assert re.search(r"  test_linear +3\.33 / 4  - score set by the instructor", text)
    assert "Comment: Nicely vectorised." in text and "Waiting for" not in text
    page = re.sub(r"<[^>]*>", "", (folder / f"{ASSIGNMENT}.html").read_text(encoding="utf-8"))
    assert "Written response (Score: 1.5 / 2.0)" in page and "why" in page and "Nicely vectorised." in page
    assert "Test cell (Score: 3.33 / 4.0)" in page
