"""`python -m autograder export`: the gradebook's grades in the CSV forms Canvas and Moodle import.

A copy of the course gets a roster through nbgrader's own `nbgrader db student import` and a
gradebook of two assignments (scores as the grader records them, a manual score given later, a
late submission, a student with no submission); the export has one row per student, their id
columns and one column per assignment, with the late penalty worked out from the current score.
"""

import csv
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from course_copy import copy_course, course_env

pytestmark = pytest.mark.xdist_group("export")
NBGRADER = str(Path(sys.executable).parent / "nbgrader")
ROSTER = """id,first_name,last_name,email,lms_user_id
ada,Ada,Lovelace,ada@example.org,101
ben,Ben,Bitdiddle,ben@example.org,102
cy,=cmd|' /C calc'!A0,Hacker,cy@example.org,103
"""


def run(command, clone):
    done = subprocess.run(command, cwd=clone, env=course_env(clone / "home"), capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, f"{command[:4]}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done


def read(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    from nbgrader.api import Gradebook

    tmp = tmp_path_factory.mktemp("export")
    clone = copy_course(tmp / "course")
    (tmp / "students.csv").write_text(ROSTER)
    run([NBGRADER, "db", "student", "import", str(tmp / "students.csv")], clone)
    warnings.simplefilter("ignore", category=Warning)
    with Gradebook(f"sqlite:///{clone / 'gradebook.db'}") as gb:
        for name, cells, due in (("task1_forward", {"test_a": 4, "test_b": 6}, "2025-03-01 12:00:00 UTC"),
                                 ("task2_backward", {"test_c": 2, "explain": 1, "self_checks": 0}, None)):
            gb.update_or_create_assignment(name, duedate=due)
            gb.update_or_create_notebook(name, name)
            for cell, points in cells.items():
                gb.update_or_create_grade_cell(cell, name, name, max_score=points, cell_type="code")
        # ada: 4 + 1/3 of 6 (as a check's partial credit), a day and a bit late; ben: on time, and a
        # manual score given in formgrader after grading; cy: Task 1 only.
        for student, assignment, timestamp, scores in (
                ("ada", "task1_forward", "2025-03-02 13:00:00 UTC", {"test_a": 4.0, "test_b": 2.0 / 3 * 3}),
                ("ada", "task2_backward", None, {"test_c": 2.0, "explain": None, "self_checks": 0.0}),
                ("ben", "task1_forward", "2025-03-01 11:00:00 UTC", {"test_a": 4.0, "test_b": 6.0}),
                ("ben", "task2_backward", None, {"test_c": 1.0, "explain": None, "self_checks": 0.0}),
                ("cy", "task1_forward", None, {"test_a": 1.0 / 3, "test_b": 0.0})):
            gb.update_or_create_submission(assignment, student, **({"timestamp": timestamp} if timestamp else {}))
            for cell, score in scores.items():
                grade = gb.find_grade(cell, assignment, assignment, student)
                grade.auto_score, grade.needs_manual_grade = score, score is None
        gb.find_submission_notebook("task1_forward", "task1_forward", "ada").late_submission_penalty = 0.0  # stale
        grade = gb.find_grade("explain", "task2_backward", "task2_backward", "ben")
        grade.manual_score, grade.needs_manual_grade = 0.5, False
        gb.db.commit()
    return clone


def test_canvas_export(clone):
    out = clone / "canvas.csv"
    done = run([sys.executable, "-m", "autograder", "export", "--format", "canvas", "--out", str(out),
                "--column", "task1_forward=Task 1 (12345)"], clone)
    assert "need manual grading" in done.stdout  # ada's written answer
    rows = read(out)
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Task 1 (12345)", "task2_backward"]
    assert rows[1] == ["    Points Possible", "", "", "", "", "10", "3"]
    students = {row[3]: row for row in rows[2:]}
    assert set(students) == {"ada", "ben", "cy"} and len(rows) == 5  # one row per student of the roster
    # ada: 6 points, 25 h late: two started days at 10% a day -> 4.8; Task 2: 2 (the written answer waits).
    assert students["ada"] == ["Lovelace, Ada", "101", "", "ada", "", "4.8", "2"]
    assert students["ben"][5:] == ["10", "1.5"]  # on time; the manual 0.5 counts
    assert students["cy"][0] == "Hacker, =cmd|' /C calc'!A0" and students["cy"][5:] == ["0.33", "0"]


def test_moodle_export_and_the_penalties_agree_with_nbgrader_export(clone):
    from autograder.export import export

    db = {"CourseDirectory.db_url": f"sqlite:///{clone / 'gradebook.db'}"}
    export(["task1_forward"], "moodle", clone / "moodle.csv", overrides=db, log=lambda message: None)
    rows = read(clone / "moodle.csv")
    assert rows[0] == ["First name", "Last name", "ID number", "Username", "Email address", "task1_forward"]
    moodle = {row[3]: row for row in rows[1:]}
    assert moodle["ada"] == ["Ada", "Lovelace", "101", "ada", "ada@example.org", "4.8"]
    assert moodle["cy"][0] == "'=cmd|' /C calc'!A0"  # a spreadsheet does not run it
    run([NBGRADER, "export", f"--to={clone / 'nbgrader.csv'}"], clone)
    with open(clone / "nbgrader.csv", newline="") as handle:
        theirs = {(r["student_id"], r["assignment"]): r for r in csv.DictReader(handle)}
    assert (theirs["ada", "task1_forward"]["late_submission_penalty"], theirs["ada", "task1_forward"]["score"]) == (
        "1.2", "4.8")
    assert theirs["ben", "task2_backward"]["score"] == "1.5"
