"""Intake (autograder/screening.py): what is not the student's own regular file is refused with
a reason, malformed metadata never stops the class, and every folder gets a row."""

import copy
import csv
import json
import os

import pytest

from autograder import course
from autograder.grading import grade
from autograder.screening import Refused, normalize, read_own_file
from autograder.submissions import build_submission, write_submission

ASSIGNMENT = "task2_backward"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
pytestmark = pytest.mark.xdist_group("intake")


def test_renamed_copies_are_found():
    from autograder.screening import renamed_copy

    name = NOTEBOOK
    assert renamed_copy(name, ["task2_backward (1).ipynb", "other.ipynb"]) == "task2_backward (1).ipynb"
    assert renamed_copy(name, ["task2_backward-1.ipynb", "task2_backward-2.ipynb"]) == "task2_backward-2.ipynb"
    assert renamed_copy(name, ["task2_backward-Copy1.ipynb"]) == "task2_backward-Copy1.ipynb"
    assert renamed_copy(name, ["task2_backward-1.ipynb"]) == "task2_backward-1.ipynb"  # Canvas's resubmission
    assert renamed_copy(name, ["task2_backward_old.ipynb", "task1_forward.ipynb", "task2_backward.py"]) is None
    # Canvas's re-upload of a browser-renamed file, a second download of a download, macOS, a case change
    reuploaded = "task2_backward (1)-1.ipynb"
    assert renamed_copy(name, ["task2_backward (1).ipynb", reuploaded]) == reuploaded
    assert renamed_copy(name, ["task2_backward (1) (1).ipynb"]) == "task2_backward (1) (1).ipynb"
    assert renamed_copy(name, ["task2_backward copy.ipynb"]) == "task2_backward copy.ipynb"
    assert renamed_copy(name, ["Task2_Backward.ipynb"]) == "Task2_Backward.ipynb"


def test_the_submission_time_is_read_as_nbgrader_reads_it(tmp_path):
    """timestamp.txt (written by collect and zip_collect): any zone nbgrader reads, naive UTC back;
    a link, an unreadable or a nonsense time is a note, never a crash and never a time."""
    import datetime

    from autograder.screening import read_timestamp

    assert read_timestamp(tmp_path) == (None, None)
    for text, expected in (("2025-03-01 13:00:00.5 Europe/Berlin\n", datetime.datetime(2025, 3, 1, 12, 0, 0, 500000)),
                           ("2025-03-01T12:00:00+00:00", datetime.datetime(2025, 3, 1, 12)),
                           ("2025-03-01 12:00:00", datetime.datetime(2025, 3, 1, 12))):
        (tmp_path / "timestamp.txt").write_text(text)
        assert read_timestamp(tmp_path) == (expected, None)
    for text, why in (("", "empty"), ("yesterday-ish", "holds no time"), ("9" * 300, "larger"),
                      (b"\xff\xfe", "could not be read")):
        path = tmp_path / "timestamp.txt"
        path.write_bytes(text) if isinstance(text, bytes) else path.write_text(text)
        timestamp, note = read_timestamp(tmp_path)
        assert timestamp is None and why in note, (text, note)
    (tmp_path / "timestamp.txt").unlink()
    (tmp_path / "timestamp.txt").symlink_to(tmp_path / "elsewhere.txt")
    assert read_timestamp(tmp_path)[1].startswith("timestamp.txt is a symbolic link")


def test_read_own_file_refuses_links_and_special_files(tmp_path):
    real = tmp_path / "real.ipynb"
    real.write_text("{}")
    assert read_own_file(real) == b"{}"
    (tmp_path / "link.ipynb").symlink_to(real)
    os.link(real, tmp_path / "hard.ipynb")
    os.mkfifo(tmp_path / "fifo.ipynb")
    for name, why in [("link.ipynb", "symbolic link"), ("hard.ipynb", "hard link"), ("fifo.ipynb", "regular file")]:
        with pytest.raises(Refused, match=why):
            read_own_file(tmp_path / name)
    big = tmp_path / "big.ipynb"
    big.write_bytes(b" " * 2048)
    with pytest.raises(Refused, match="larger"):
        read_own_file(big, limit=1024)


@pytest.mark.parametrize("metadata", ["x", ["grade_id"], {"grade_id": ["linear"]}, {"grade_id": 7}, None,
                                      {"grade": True}])
def test_malformed_nbgrader_metadata_makes_the_cell_the_students_own(metadata):
    raw = {"cells": [{"cell_type": "code", "source": ["a = 1\n", "b = 2"], "metadata": {"nbgrader": metadata},
                      "outputs": [], "execution_count": None}], "metadata": [], "nbformat": 4}
    normalize(raw)
    cell = raw["cells"][0]
    assert "nbgrader" not in cell["metadata"] and cell["source"] == "a = 1\nb = 2" and raw["metadata"] == {}


def _rows(path):
    with open(path, newline="") as handle:
        return {row["student_id"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("intake")
    submitted = tmp / "submitted"
    good = write_submission(build_submission(ASSIGNMENT), submitted, "good", ASSIGNMENT)
    # A symlink to the instructor's source notebook (it holds the solutions), and to another student.
    (submitted / "to_source" / ASSIGNMENT).mkdir(parents=True)
    (submitted / "to_source" / ASSIGNMENT / NOTEBOOK).symlink_to(course.notebook_path(ASSIGNMENT))
    (submitted / "to_other").mkdir()
    (submitted / "to_other" / ASSIGNMENT).symlink_to(good.parent)
    (submitted / "linked_student").symlink_to(submitted / "good")
    (submitted / "hard_link" / ASSIGNMENT).mkdir(parents=True)
    elsewhere = write_submission(build_submission(ASSIGNMENT), tmp / "elsewhere", "someone", ASSIGNMENT)
    os.link(elsewhere, submitted / "hard_link" / ASSIGNMENT / NOTEBOOK)  # (collect copies; it never links)
    (submitted / "fifo" / ASSIGNMENT).mkdir(parents=True)
    os.mkfifo(submitted / "fifo" / ASSIGNMENT / NOTEBOOK)
    # Valid nbformat whose nbgrader metadata has the wrong types.
    notebook = build_submission(ASSIGNMENT, untouched=True)
    weird = copy.deepcopy(notebook)
    for cell in weird.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_linear":
            cell.metadata["nbgrader"] = "x"
        elif cell.metadata.get("nbgrader", {}).get("grade_id") == "linear":
            cell.metadata["nbgrader"]["grade_id"] = ["linear"]
    path = submitted / "weird_metadata" / ASSIGNMENT / NOTEBOOK
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(weird))
    # Folder names the file system allows: a dot, glob characters, a formula, unicode.
    for name in (".dotted", "a [x]", "=1+1", "ünï cödé", "<img src=x onerror=alert(1)>"):
        write_submission(build_submission(ASSIGNMENT), submitted, name, ASSIGNMENT)
    # The files nbgrader's release_feedback needs beside the feedback, as links to the instructor's
    # solutions, and a timestamp too big to be one: neither is copied to the grader's folders.
    extras = write_submission(build_submission(ASSIGNMENT), submitted, "linked_extras", ASSIGNMENT).parent
    (extras / "submission_secret.txt").symlink_to(course.notebook_path(ASSIGNMENT))
    (extras / "timestamp.txt").write_text("2026-01-01 00:00:00\n" + "x" * 10_000)
    (submitted / "README.txt").write_text("not a student")
    results = grade(ASSIGNMENT, submitted, tmp / "out", workspace=tmp / "w", progress=False, html_feedback=False)
    return {r.student: r for r in results}, tmp


def test_links_and_special_files_are_refused_with_a_reason(hostile_class):
    results, _ = hostile_class
    for student, why in [("to_source", "symbolic link"), ("to_other", "symbolic link"),
                         ("linked_student", "symbolic link"), ("hard_link", "hard link"), ("fifo", "regular file")]:
        assert results[student].score == 0, f"{student} earned {results[student].score}"
        assert why in results[student].reason, (student, results[student].reason)
        assert not results[student].notebooks


def test_linked_or_oversized_extra_files_never_reach_the_graders_folders(hostile_class):
    results, tmp = hostile_class
    assert results["linked_extras"].items, results["linked_extras"].reason  # the notebook itself is graded
    copied = [path for folder in (tmp / "out", tmp / "w") for path in folder.rglob("*")
              if "linked_extras" in str(path) and path.name in ("submission_secret.txt", "timestamp.txt")]
    assert not copied, copied
    solution = course.BEGIN_SOLUTION
    leaked = [path for folder in (tmp / "out", tmp / "w") for path in folder.rglob("*")
              if path.is_file() and "linked_extras" in str(path) and solution in path.read_text(errors="ignore")]
    assert not leaked, leaked


def test_malformed_metadata_is_graded_from_the_source(hostile_class):
    results, _ = hostile_class
    weird = results["weird_metadata"]
    assert weird.items and weird.score == 0 and not weird.grader_failed
    assert "linear" in weird.reason  # the release's answer cell was put back, and said so


def test_every_folder_gets_a_row_and_odd_names_are_graded(hostile_class):
    results, tmp = hostile_class
    rows = _rows(tmp / "out" / "grades.csv")
    expected = {"good", "to_source", "to_other", "linked_student", "hard_link", "fifo", "weird_metadata",
                ".dotted", "a [x]", "=1+1", "ünï cödé", "<img src=x onerror=alert(1)>", "linked_extras"}
    assert set(results) == expected and len(rows) == len(expected)
    for name in (".dotted", "a [x]", "=1+1", "ünï cödé", "good"):
        result = results[name]
        assert result.score == result.max_score - result.pending_points == results["good"].score > 0, (
            name, result.reason)
    # formgrader shows student ids unescaped: a name that is HTML is refused, with a row and a reason.
    html = results["<img src=x onerror=alert(1)>"]
    assert html.score == 0 and "cannot be used as a student id" in html.reason
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{tmp / 'w' / 'gradebook.db'}") as gb:
        ids = {student.id for student in gb.students}
    assert "good" in ids and not any("<" in student for student in ids)


def test_a_worker_that_dies_costs_only_its_student(tmp_path, monkeypatch):
    """A grading worker killed while it holds one student (as the OOM killer would): that student
    is retried once in a fresh worker, then recorded as "the grader failed"; the others are graded."""
    from autograder import grading

    original = grading._grade_in_worker

    def dies_for_the_victim(state, task):
        if task.student == "victim":
            os.kill(os.getpid(), 9)
        return original(state, task)

    monkeypatch.setattr(grading, "_grade_in_worker", dies_for_the_victim)
    submitted = tmp_path / "submitted"
    for student in ("before", "victim", "after"):
        write_submission(build_submission(ASSIGNMENT), submitted, student, ASSIGNMENT)
    results = {r.student: r for r in grade(ASSIGNMENT, submitted, tmp_path / "out", workspace=tmp_path / "w",
                                           progress=False, html_feedback=False, jobs=1)}
    full = results["before"].max_score - results["before"].pending_points
    assert results["before"].score == results["after"].score == full > 0
    victim = results["victim"]
    assert victim.grader_failed and victim.score == 0 and "the grader failed" in victim.reason
    # (a written answer still waits for the instructor: it does not depend on the run)
    assert all("the grader failed" in item.reason for item in victim.items if not item.pending)


def test_the_exit_code_says_when_the_grader_failed(monkeypatch):
    from autograder import __main__ as cli
    from autograder import grading
    from autograder.results import Item, Result

    ok = Result("ok", [Item("test_linear", 4.0, 4.0)])
    failed = Result("failed", [Item("test_linear", 0.0, 4.0, "the grader failed")], grader_failed=True)
    for results, code in (([ok], 0), ([ok, failed], 1)):
        monkeypatch.setattr(grading, "grade", lambda *args, results=results, **kwargs: results)
        args = cli.argparse.Namespace(assignment=ASSIGNMENT, submissions=None, out=None, no_progress=True,
                                      no_html_feedback=True, jobs=None, unsafe_no_sandbox=False,
                                      reveal_hidden_tests=False)
        assert cli._grade(args) == code
