"""nbgrader's own entry points, used as an instructor would (autograder/nbgrader_plugin.py):

- `nbgrader autograde` and formgrader's Autograde button (NbGraderAPI.autograde) run the course's
  sandboxed, trusted grader: a student who rebinds a check gains nothing, no student code runs
  outside the sandbox, and the gradebook, `nbgrader export` and `python -m autograder grade` agree
  (renamed notebooks, submission times, due dates and late penalties included);
- `nbgrader generate_assignment` and formgrader's Generate make exactly the committed release/,
  also in a fresh clone (no generated given code yet), and refuse a release with a stray file;
- `nbgrader generate_feedback` (formgrader's feedback button) shows no hidden test;
- `nbgrader validate` fails while a self-check fails and passes when all pass (the 0-point
  `self_checks` cell).
"""

import csv
import json
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import nbformat
import pytest

from autograder import course
from autograder.results import cents
from autograder.submissions import BANK, build_submission, read_answers, write_submission

ASSIGNMENT = "task2_backward"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
BIN = Path(sys.executable).parent
DUE = "2025-03-01 12:00:00 UTC"
LATE = "2025-03-02 20:00:00 UTC"  # 32 h after the due date: two started days, 20% off (c.LatePenalty)
WRONG_LINEAR = read_answers(BANK / ASSIGNMENT / "bugs" / "linear_dW_summed")["linear"]
pytestmark = pytest.mark.xdist_group("nbgrader_tools")


def run(command, cwd=course.ROOT, check=True):
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if check:
        assert done.returncode == 0, f"{command[:3]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def paths(folder):
    """nbgrader's command-line settings for a class kept in `folder` (never the course's own gradebook)."""
    return {"CourseDirectory.db_url": f"sqlite:///{folder / 'gradebook.db'}",
            "CourseDirectory.submitted_directory": str(folder / "submitted"),
            "CourseDirectory.autograded_directory": str(folder / "autograded"),
            "CourseDirectory.feedback_directory": str(folder / "feedback"),
            "CourseDirectory.release_directory": str(folder / "release")}


def flags(settings):
    return [f"--{key}={value}" for key, value in settings.items()]


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def gradebook(folder):
    from nbgrader.api import Gradebook

    warnings.simplefilter("ignore", category=Warning)
    return Gradebook(f"sqlite:///{folder / 'gradebook.db'}")


def scores_in(folder):
    """{student: {cell: score}} and {student: total} as the gradebook (formgrader) has them."""
    cells, totals = {}, {}
    with gradebook(folder) as gb:
        for submission in gb.assignment_submissions(ASSIGNMENT):
            student = submission.student.id
            totals[student] = round(submission.score, 2)
            cells[student] = {g.name: g.score for nb in submission.notebooks for g in nb.grades if g.max_score}
    return cells, totals


@pytest.fixture(scope="module")
def stock(tmp_path_factory):
    """A class set up in formgrader (Generate, a due date) and graded with `nbgrader autograde`."""
    tmp = tmp_path_factory.mktemp("nbgrader_tools")
    theirs, submitted, marker = tmp / "theirs", tmp / "submitted", tmp / "escaped.txt"
    write_submission(build_submission(ASSIGNMENT, {"linear": WRONG_LINEAR}), submitted, "honest_wrong", ASSIGNMENT)
    # The same wrong Linear, and the check its hidden test calls rebound (stock nbgrader then gave the
    # cell its 4 points), and a write to a path of the grading machine (stock nbgrader ran it as you).
    rebound = WRONG_LINEAR + ("\ncheck_linear = lambda *args, **kwargs: None  # the hidden test cannot fail now\n"
                              f"try:\n    open({str(marker)!r}, 'w').write('student code ran here')\n"
                              "except OSError:\n    pass\n")
    write_submission(build_submission(ASSIGNMENT, {"linear": rebound}), submitted, "rebinder", ASSIGNMENT)
    renamed = write_submission(build_submission(ASSIGNMENT), submitted, "renamed", ASSIGNMENT)
    renamed.rename(renamed.with_name(f"{ASSIGNMENT}-1.ipynb"))  # Canvas's resubmission suffix
    late = write_submission(build_submission(ASSIGNMENT), submitted, "late", ASSIGNMENT)
    (late.parent / "timestamp.txt").write_text(LATE + "\n")  # as collect / zip_collect write it
    theirs.mkdir()
    settings = {**paths(theirs), "CourseDirectory.submitted_directory": str(submitted)}
    api = course.nbgrader_api(**settings)
    assert api.generate_assignment(ASSIGNMENT)["success"]
    api.gradebook.update_or_create_assignment(ASSIGNMENT, duedate=DUE)  # what formgrader's AssignmentHandler does
    api.gradebook.close()
    autograde = run([BIN / "nbgrader", "autograde", ASSIGNMENT, "--force", *flags(settings)], check=False)
    reports = theirs / "reports" / ASSIGNMENT / "last_autograde"  # the course grader's reports of that run
    grades = {row["student_id"]: row for row in read_csv(reports / "grades.csv")} if autograde.returncode == 0 else {}
    items = {}
    for row in read_csv(reports / "items.csv") if grades else []:
        items.setdefault(row["student_id"], {})[row["cell_id"]] = float(row["score"])
    return {"theirs": theirs, "settings": settings, "marker": marker, "autograde": autograde, "reports": reports,
            "grades": grades, "items": items}


def number(row, column):
    return float(row[column] or 0)


def test_nbgrader_autograde_is_the_course_grader(stock):
    done, grades = stock["autograde"], stock["grades"]
    assert done.returncode == 0, done.stderr[-3000:]
    assert "graded by the course's sandboxed grader" in done.stderr
    cells, totals = scores_in(stock["theirs"])
    # The gradebook (formgrader) holds exactly what the course's grader reported, cell by cell.
    assert set(grades) == set(cells) == {"honest_wrong", "rebinder", "renamed", "late"}
    assert cells == stock["items"]  # (a written answer waiting for the instructor: 0 in both)
    assert totals == {student: number(row, "raw_score") for student, row in grades.items()}
    # Rebinding the check the hidden test calls gains nothing (stock nbgrader gave it the cell's 4 points).
    assert cells["rebinder"] == cells["honest_wrong"]
    assert cells["rebinder"]["test_linear"] < 4 and totals["rebinder"] < totals["late"]
    with gradebook(stock["theirs"]) as gb:
        assert gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "rebinder").flagged
        assert not gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "honest_wrong").flagged
    assert "possible tampering" in done.stderr and "rebinder" in (stock["reports"] / "flags.csv").read_text()
    # The graded notebook formgrader shows is the course grader's: the verdict is the test cell's output.
    graded = nbformat.read(stock["theirs"] / "autograded" / "rebinder" / ASSIGNMENT / NOTEBOOK, 4)
    test_linear = next(c for c in graded.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_linear")
    assert re.search(r"\d+(\.\d+)? / 4 points", "".join(o.get("text", "") for o in test_linear.outputs))
    # The renamed notebook was graded (as the same answers under the right name) and noted.
    assert totals["renamed"] == totals["late"] > 15 and f"{ASSIGNMENT}-1.ipynb" in grades["renamed"]["reason"]


def test_no_student_code_runs_outside_the_sandbox(stock):
    """The rebinder's answer cell writes to a path of the grading machine: in the sandbox that path
    does not exist (nbgrader's own autograde would have written it, as the instructor)."""
    assert stock["autograde"].returncode == 0
    assert not stock["marker"].exists()


def test_formgraders_autograde_button_runs_the_course_grader(stock):
    """NbGraderAPI.autograde is what formgrader's Autograde button calls, for one student."""
    api = course.nbgrader_api(**stock["settings"])
    before = scores_in(stock["theirs"])
    reply = api.autograde(ASSIGNMENT, "rebinder")
    assert reply["success"], reply.get("error", "")[-2000:]
    assert "graded by the course's sandboxed grader" in reply["log"]
    assert scores_in(stock["theirs"]) == before


def test_timestamps_due_dates_and_late_penalties(stock):
    late, renamed = stock["grades"]["late"], stock["grades"]["renamed"]
    raw = number(late, "raw_score")
    penalty = cents(0.2 * raw)  # 32 h: two started days at c.LatePenalty.percent_per_day = 10
    assert (number(late, "late_penalty"), number(late, "score")) == (penalty, cents(raw - penalty)) and penalty > 0
    assert late["submitted_at"] == "2025-03-02 20:00:00 UTC"
    assert (renamed["submitted_at"], number(renamed, "late_penalty")) == ("", 0)
    feedback = (stock["reports"] / "feedback" / "late" / f"{ASSIGNMENT}.txt").read_text()
    assert feedback.startswith(f"{ASSIGNMENT}: {cents(raw - penalty):g} / {number(late, 'max_score'):g} points\n"
                               f"Submitted 2025-03-02 20:00:00 UTC, 1 day 8 h after the due date: late penalty "
                               f"{penalty:g} points ({raw:g} before it)\n")
    with gradebook(stock["theirs"]) as gb:  # the same time and penalty in the gradebook
        submission = gb.find_submission(ASSIGNMENT, "late")
        assert str(submission.timestamp) == "2025-03-02 20:00:00" and submission.late_submission_penalty == penalty


def test_nbgrader_export_agrees_and_keeps_renamed_students(stock, tmp_path):
    out = tmp_path / "grades.csv"
    run([BIN / "nbgrader", "export", f"--to={out}", *flags(stock["settings"])])
    rows = {row["student_id"]: row for row in read_csv(out)}
    assert set(rows) == set(stock["grades"])  # the renamed student too
    for student, ours in stock["grades"].items():
        theirs = rows[student]
        assert [number(theirs, c) for c in ("raw_score", "late_submission_penalty", "score", "max_score")] == [
            number(ours, c) for c in ("raw_score", "late_penalty", "score", "max_score")], student
        assert re.fullmatch(r"\d+(\.\d{1,2})?", theirs["score"]), theirs  # to the cent


def test_stock_autograde_refuses_with_what_to_run_when_the_grader_cannot(tmp_path, monkeypatch):
    """When the course's grader cannot run (no sandbox, say: grading.GradingError), nbgrader's
    autograde fails with a message that says why and what to run; it never falls back to its own."""
    from types import SimpleNamespace

    from nbgrader.converters.base import NbGraderException
    from nbgrader.coursedir import CourseDirectory

    from autograder import nbgrader_plugin

    reply = nbgrader_plugin._serve({"assignment": "task9_nothing", "submissions": str(tmp_path), "students": [],
                                    "out": str(tmp_path / "out"), "overrides": {}})
    assert reply == {"error": reply["error"]} and "no assignment 'task9_nothing'" in reply["error"]
    done = subprocess.CompletedProcess([], 2, json.dumps(reply) + "\n", "")
    monkeypatch.setattr(nbgrader_plugin.subprocess, "run", lambda *args, **kwargs: done)
    coursedir = CourseDirectory(root=str(tmp_path), db_url=f"sqlite:///{tmp_path / 'gb.db'}")
    converter = SimpleNamespace(coursedir=coursedir, log=SimpleNamespace(info=lambda *a: None))
    with pytest.raises(NbGraderException, match=r"no assignment .*python3 -m autograder grade task9_nothing"):
        nbgrader_plugin._run_course_grader(converter, "task9_nothing", ["someone"])


# ------------------------------------------------------------------ feedback
def hidden_test_lines():
    source = nbformat.read(course.notebook_path(ASSIGNMENT), as_version=4)
    hidden = [block for cell in source.cells
              for block in re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", cell.source, re.DOTALL)]
    return [line.strip() for block in hidden for line in block.splitlines() if len(line.strip()) > 20]


def test_formgraders_feedback_button_never_shows_hidden_tests(stock):
    api = course.nbgrader_api(**stock["settings"])
    reply = api.generate_feedback(ASSIGNMENT, "late")
    assert reply["success"], reply.get("error", "")[-2000:]
    page = (stock["theirs"] / "feedback" / "late" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]*>", "", page)
    assert hidden_test_lines() and not [line for line in hidden_test_lines() if line in text]
    assert "BEGIN HIDDEN TESTS" not in page
    late = stock["grades"]["late"]
    assert "Late submission penalty" in text
    assert f"(Score: {number(late, 'score')} / {number(late, 'max_score')})" in text
    assert "/ 0.0)" not in text  # no 0-point cell listed as a test cell


# ------------------------------------------------------------ generate_assignment
def tree(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def course_release(assignment, tmp):
    """What `python -m autograder release` makes of `assignment` now (tests/test_release.py checks that
    it is the committed release/), made into `tmp`."""
    return tree(course.generate_release(assignment, tmp, db_url=f"sqlite:///{tmp / 'gb.db'}"))


def test_formgraders_generate_button_makes_the_committed_release(tmp_path):
    """NbGraderAPI.generate_assignment (formgrader's Generate) for Task 4: two generated given-code files."""
    api = course.nbgrader_api(**{"CourseDirectory.release_directory": str(tmp_path / "button"),
                                 "CourseDirectory.db_url": f"sqlite:///{tmp_path / 'gb.db'}"})
    reply = api.generate_assignment("task4_optimizers")
    assert reply["success"], reply.get("error", "")[-2000:]
    assert tree(tmp_path / "button" / "task4_optimizers") == course_release("task4_optimizers", tmp_path / "ours")


def test_generate_assignment_in_a_fresh_clone_and_with_a_stray_file(tmp_path):
    """`nbgrader generate_assignment` in a clone, which has no generated given code yet (and here a
    stale link to grader-only code): the committed release all the same. A release holding a file
    the course does not ship (an instructor's scratch file left in source/) is refused, with what to run."""
    from types import SimpleNamespace

    from course_copy import copy_course
    from nbgrader.converters.base import NbGraderException

    from autograder.nbgrader_plugin import ReleaseIsExact

    clone = copy_course(tmp_path / "clone")
    folder = clone / "source" / "task3_training"
    (folder / "framework.py").unlink()
    (folder / "reference.py").symlink_to("../../autograder/specs/task3_training.py")
    settings = {"CourseDirectory.release_directory": str(tmp_path / "release"),
                "CourseDirectory.db_url": f"sqlite:///{tmp_path / 'gb.db'}"}
    run([BIN / "nbgrader", "generate_assignment", "task3_training", "--force", *flags(settings)], cwd=clone)
    released = tmp_path / "release" / "task3_training"
    assert tree(released) == course_release("task3_training", tmp_path / "ours")
    (released / "notes.py").write_text("ANSWER = 42  # the instructor's scratch file\n")
    # The last GenerateAssignment preprocessor, as nbgrader runs it on that release folder.
    generating = SimpleNamespace(parent=SimpleNamespace(parent=SimpleNamespace(_format_dest=lambda a, s: released)))
    with pytest.raises(NbGraderException, match=r"notes.py is not shipped by the course.*"
                                                r"python3 -m autograder release task3_training"):
        ReleaseIsExact.preprocess(generating, None, {"nbgrader": {"assignment": "task3_training"}})


# ------------------------------------------------------------------ validate
SELF_CHECKS = "self_checks"


def with_self_checks():
    """The assignments whose release ends with the 0-point `self_checks` cell, Task 1 and 4 first."""
    found = []
    for assignment in sorted(course.assignments(), key=lambda a: (a[:5] not in ("task1", "task4"), a)):
        notebook = nbformat.read(course.notebook_path(assignment, course.RELEASE), as_version=4)
        cells = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == SELF_CHECKS]
        if cells and not cells[0].metadata["nbgrader"].get("points"):
            found.append(assignment)
    return found


def test_validate_fails_exactly_when_a_self_check_fails(tmp_path):
    """`nbgrader validate` (the command line) on the untouched release, nbgrader's Validator (what the
    Validate button runs) on the reference answers, of the first assignment with a `self_checks` cell."""
    from nbgrader.validator import Validator

    found = with_self_checks()
    if not found:
        pytest.skip("no release notebook has the 0-point `self_checks` cell yet")
    assignment = found[0]
    folder = tmp_path / assignment
    import shutil

    shutil.copytree(course.RELEASE / assignment, folder)
    done = run([BIN / "nbgrader", "validate", folder / f"{assignment}.ipynb"], cwd=folder, check=False)
    assert "VALIDATION FAILED" in done.stdout and "self-check(s) still fail" in done.stdout, done.stdout[-2000:]
    nbformat.write(build_submission(assignment), folder / "reference.ipynb")
    validator = Validator(config=course.nbgrader_config())
    results = validator.validate(str(folder / "reference.ipynb"))
    assert not results.get("failed"), json.dumps(results)[:2000]


def test_validate_reads_a_zero_point_cell_that_raises(tmp_path):
    """The convention itself: nbgrader's validator fails a 0-point graded cell that raises."""
    from nbgrader.validator import Validator

    def notebook(failing):
        cells = [nbformat.v4.new_code_cell(f"still_failing = {failing!r}"),
                 nbformat.v4.new_code_cell("assert not still_failing, f'{len(still_failing)} self-check(s) still "
                                           "fail: {still_failing}'")]
        cells[1].metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": 0,
                                         "grade_id": SELF_CHECKS, "schema_version": 3}
        return nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3",
                                                                                "display_name": "Python 3"}})

    for name, failing in (("failing", ["check_linear"]), ("passing", [])):
        nbformat.write(notebook(failing), tmp_path / f"{name}.ipynb")
    validator = Validator(config=course.nbgrader_config())
    assert validator.validate(str(tmp_path / "failing.ipynb")).get("failed")
    assert not validator.validate(str(tmp_path / "passing.ipynb")).get("failed")
