"""An LMS-only course: `nbgrader zip_collect` on Canvas and Moodle downloads (docs/EXCHANGE.md).

The zips are made here with the file names each LMS writes (autograder/exchange.py cites them);
each notebook must land in submitted/<student>/<assignment>/ under its own name, and the
course's intake must then find every renamed one (`name (1).ipynb`, Canvas's `name-1.ipynb`).
"""

import subprocess
import zipfile

import nbformat
import pytest
from course_copy import copy_course, course_env

from autograder.course import ROOT
from autograder.exchange import parse_download_name, roster_match
from autograder.screening import screen

CANVAS_ASSIGNMENT = "task2_backward"
MOODLE_ASSIGNMENT = "task1_forward"
# The roster in the gradebook (`nbgrader db student import`): Ada is known to both LMSs.
ROSTER = "id,first_name,last_name,email,lms_user_id\nada,Ada,Lovelace,ada@example.org,12345\n"
pytestmark = pytest.mark.xdist_group("zip_collect")  # one course copy for the module


def notebook_bytes(assignment, marker):
    """The release notebook with a marker in its metadata, so each copy can be told apart."""
    notebook = nbformat.read(ROOT / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    notebook.metadata["marker"] = marker
    return nbformat.writes(notebook).encode("utf-8")


def canvas_zip(assignment):
    """{name in the zip: bytes} of a Canvas "Download Submissions" zip."""
    nb = f"{assignment}.ipynb"
    return {
        f"lovelaceada_12345_900001_{nb}": notebook_bytes(assignment, "ada"),
        f"babbagecharles_LATE_23456_900002_{assignment}-1.ipynb": notebook_bytes(assignment, "charles"),
        f"hoppergrace_34567_900003_{assignment} (1).ipynb": notebook_bytes(assignment, "grace"),
        f"anon_Xy12z_900004_{nb}": notebook_bytes(assignment, "anonymous"),
        "lovelaceada_12345_900005_notes.pdf": b"%PDF-1.4 not a notebook",
    }


def moodle_zip(assignment):
    """{name in the zip: bytes} of a Moodle "Download all submissions" zip (folders, and one flat file)."""
    nb = f"{assignment}.ipynb"
    return {
        f"Ada Lovelace_4711_assignsubmission_file/{nb}": notebook_bytes(assignment, "ada"),
        f"Grace Hopper_4712_assignsubmission_file/{assignment}-1.ipynb": notebook_bytes(assignment, "grace"),
        "Charles Babbage_4713_assignsubmission_onlinetext/onlinetext.html": b"<p>see attached</p>",
        f"Alan Turing_4714_assignsubmission_file_{assignment} (1).ipynb": notebook_bytes(assignment, "alan"),
    }


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course copy with the roster imported, each LMS's zip in downloaded/<assignment>/archive/."""
    tmp = tmp_path_factory.mktemp("lms")
    root = copy_course(tmp / "course")
    env = course_env(tmp)
    (tmp / "roster.csv").write_text(ROSTER)
    subprocess.run(["nbgrader", "db", "student", "import", str(tmp / "roster.csv")], cwd=root, env=env,
                   check=True, capture_output=True)
    for assignment, entries, name in ((CANVAS_ASSIGNMENT, canvas_zip, "submissions.zip"),
                                      (MOODLE_ASSIGNMENT, moodle_zip, "COURSE-Task 1-42.zip")):
        archive = root / "downloaded" / assignment / "archive"
        archive.mkdir(parents=True)
        with zipfile.ZipFile(archive / name, "w") as handle:
            for entry, data in entries(assignment).items():
                handle.writestr(entry, data)
    return root, env


def zip_collect(root, env, assignment):
    """Run nbgrader's zip_collect; {student: {file name: marker}} of what landed in submitted/."""
    subprocess.run(["nbgrader", "zip_collect", assignment], cwd=root, env=env, check=True, capture_output=True)
    landed = {}
    for path in sorted((root / "submitted").glob(f"*/{assignment}/*")):
        marker = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4).metadata.get("marker")
        landed.setdefault(path.parent.parent.name, {})[path.name] = marker
    return landed


def intake(root, assignment, student):
    """What the course's intake (screening.screen) makes of one collected submission."""
    notebooks = {}
    for stage in ("release", "source"):
        path = ROOT / stage / assignment / f"{assignment}.ipynb"
        notebooks[stage] = {path.name: nbformat.read(path, as_version=4)}
    return screen(student, assignment, root / "submitted", notebooks["release"], notebooks["source"])


def test_canvas_download(course):
    root, env = course
    a = CANVAS_ASSIGNMENT
    assert zip_collect(root, env, a) == {
        "ada": {f"{a}.ipynb": "ada"},  # the roster's id for Canvas user 12345
        "23456": {f"{a}-1.ipynb": "charles"},  # late, and uploaded twice: Canvas's -1
        "34567": {f"{a} (1).ipynb": "grace"},  # a browser's second download
        "anon_Xy12z": {f"{a}.ipynb": "anonymous"},  # anonymous grading
    }
    for student, renamed in (("23456", f"{a}-1.ipynb"), ("34567", f"{a} (1).ipynb")):
        result = intake(root, a, student)
        assert list(result.notebooks) == [f"{a}.ipynb"], result.reason
        assert f"handed in as {renamed!r}" in result.reason
    assert list(intake(root, a, "ada").notebooks) == [f"{a}.ipynb"]


def test_moodle_download(course):
    root, env = course
    a = MOODLE_ASSIGNMENT
    assert zip_collect(root, env, a) == {
        "ada": {f"{a}.ipynb": "ada"},  # the roster's id for Moodle's "Ada Lovelace"
        "4712": {f"{a}-1.ipynb": "grace"},  # Moodle's participant id
        "4714": {f"{a} (1).ipynb": "alan"},  # "Download submissions in folders" off
    }
    for student in ("4712", "4714"):
        result = intake(root, a, student)
        assert list(result.notebooks) == [f"{a}.ipynb"] and "was handed in as" in result.reason


@pytest.mark.parametrize("path, expected", [
    ("x/lovelaceada_LATE_12345_678901_task2_backward.ipynb", ("canvas", "12345", "task2_backward.ipynb")),
    ("smith2john_late_2_3_task2_backward.ipynb", ("canvas", "2", "task2_backward.ipynb")),  # older Canvas
    ("LATE_anon_Ab3xY_678901_task2_backward.ipynb", ("canvas", "anon_Ab3xY", "task2_backward.ipynb")),
    ("Ada Lovelace_4711_assignsubmission_file/sub/task2_backward.ipynb", ("moodle", "4711", "task2_backward.ipynb")),
    ("Participant_4711_assignsubmission_file/task2_backward.ipynb", ("moodle", "4711", "task2_backward.ipynb")),
    ("ada/task2_backward.ipynb", None),  # neither LMS: left to named_regexp
])
def test_download_names(path, expected):
    found = parse_download_name(path)
    assert (found and (found["lms"], found["lms_id"], found["file_id"])) == expected


def test_roster_match_needs_exactly_one_student():
    students = [("ada", "Ada", "Lovelace", "12345"), ("w1", "Wei", "Zhang", None), ("w2", "Wei", "Zhang", None)]
    assert roster_match({"lms": "moodle", "name": "lovelace  ada"}, students) == "ada"  # "last first" sites
    assert roster_match({"lms": "moodle", "name": "Wei Zhang"}, students) is None  # two of them: the LMS id
    assert roster_match({"lms": "canvas", "lms_id": "12345"}, students) == "ada"
    assert roster_match({"lms": "canvas", "lms_id": "99"}, students) is None
