"""A JupyterHub course on one machine, with nbgrader's own commands: release, fetch, submit,
collect, the course's grader, release and fetch feedback (docs/EXCHANGE.md).

The instructor works in a copy of the course root; each student is a separate home folder
(their own nbgrader cache) whose only nbgrader set-up is what a hub admin gives every user
(/etc/jupyter/nbgrader_config.py there, ~/.jupyter/nbgrader_config.py here): the exchange and the
course id. On a hub each student is a Unix user; here all are one user, so `--student` names them.
"""

import csv
import html
import re
import stat
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from course_copy import copy_course, course_env, hidden_test_lines

from autograder.submissions import build_submission, read_answers

ASSIGNMENT = "task1_forward"
COURSE = "backprop-from-scratch"
EXAMPLES = Path(__file__).resolve().parents[1] / "autograder" / "examples" / ASSIGNMENT
pytestmark = pytest.mark.xdist_group("exchange")


def run(command, cwd, env):
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{command} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout + done.stderr


def files(folder):
    """{relative path: bytes} of every file below `folder`."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(Path(folder).rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """The course copy, the exchange (made by the 'admin', mode 777) and the students' homes."""
    tmp = tmp_path_factory.mktemp("hub")
    exchange = tmp / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)
    course = copy_course(tmp / "course")
    instructor = course_env(tmp / "instructor", NBGRADER_EXCHANGE_ROOT=str(exchange))

    def student_env(name):
        home = tmp / "home" / name
        (home / ".jupyter").mkdir(parents=True)
        (home / ".jupyter" / "nbgrader_config.py").write_text(
            f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\nc.CourseDirectory.course_id = {COURSE!r}\n")
        return home, course_env(home)

    return course, exchange, instructor, student_env


@pytest.fixture(scope="module")
def round_trip(hub):
    """Release; ada and ben fetch, work and submit; collect; grade; release feedback; ada fetches it."""
    course, exchange, instructor, student_env = hub
    log = {"release": run(["nbgrader", "release_assignment", ASSIGNMENT], course, instructor)}
    homes = {}
    for student, answers, name in (("ada", {}, f"{ASSIGNMENT}.ipynb"),
                                   ("ben", read_answers(EXAMPLES / "ben_two_bugs"), f"{ASSIGNMENT} (1).ipynb")):
        home, env = student_env(student)
        homes[student] = home
        run(["nbgrader", "fetch_assignment", ASSIGNMENT], home, env)
        folder = home / ASSIGNMENT
        (folder / f"{ASSIGNMENT}.ipynb").unlink()  # ben's work comes back from a browser download, renamed
        nbformat.write(build_submission(ASSIGNMENT, answers), folder / name)
        log[f"submit {student}"] = run(["nbgrader", "submit", ASSIGNMENT, f"--student={student}"], home, env)
    log["collect"] = run(["nbgrader", "collect", ASSIGNMENT], course, instructor)
    log["grade"] = run([sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--no-progress"], course, instructor)
    log["release_feedback"] = run(["nbgrader", "release_feedback", ASSIGNMENT], course, instructor)
    log["fetch_feedback"] = run(["nbgrader", "fetch_feedback", ASSIGNMENT, "--student=ada"], homes["ada"],
                                course_env(homes["ada"]))
    return course, exchange, homes, log


def test_release_assignment_publishes_exactly_the_committed_release(round_trip):
    course, exchange, homes, _ = round_trip
    outbound = exchange / COURSE / "outbound" / ASSIGNMENT
    assert files(outbound) == files(course / "release" / ASSIGNMENT)
    assert not {"source", "autograder", "tests", "gradebook.db"} & {p.name for p in outbound.rglob("*")}
    assert all(p.stat().st_mode & stat.S_IROTH for p in outbound.rglob("*"))  # every student may read it
    fetched = {name: data for name, data in files(homes["ada"] / ASSIGNMENT).items() if "feedback" not in name}
    released = files(outbound)
    assert set(fetched) == set(released)
    assert {name for name in released if fetched[name] != released[name]} == {f"{ASSIGNMENT}.ipynb"}  # her work


def test_collect_files_each_submission_with_its_timestamp(round_trip):
    course, _, homes, log = round_trip
    for student, name in (("ada", f"{ASSIGNMENT}.ipynb"), ("ben", f"{ASSIGNMENT} (1).ipynb")):
        folder = course / "submitted" / student / ASSIGNMENT
        assert (folder / name).read_bytes() == (homes[student] / ASSIGNMENT / name).read_bytes()
        assert (folder / "timestamp.txt").read_text().strip()
    assert "Possible missing notebooks" in log["submit ben"]  # nbgrader warns ben, and takes his work


def test_the_course_grader_grades_what_was_collected(round_trip):
    course, *_ = round_trip
    reports = course / "reports" / ASSIGNMENT
    with open(reports / "grades.csv", newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    with open(reports / "items.csv", newline="") as handle:
        items = [row for row in csv.DictReader(handle) if row["graded_by"] == "grader"]  # not the written answers
    assert set(rows) == {"ada", "ben"}
    lost = {row["student_id"] for row in items if float(row["score"]) < float(row["max_score"])}
    assert lost == {"ben"}  # ada's code earns every point; ben's two bugs cost points ...
    assert 0 < float(rows["ben"]["score"]) < float(rows["ada"]["score"])  # ... not everything
    # ben's renamed notebook was graded, with a note
    assert f"handed in as '{ASSIGNMENT} (1).ipynb'" in rows["ben"]["reason"]


def test_feedback_goes_back_through_the_exchange_without_hidden_tests(round_trip):
    course, exchange, homes, _ = round_trip
    released = sorted((exchange / COURSE / "feedback").glob("*.html"))
    assert len(released) == 2  # one page per student, named by a hash only that student can compute
    fetched = sorted((homes["ada"] / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html"))
    assert len(fetched) == 1
    page = fetched[0].read_text(encoding="utf-8")
    assert page in {p.read_text(encoding="utf-8") for p in released}
    text = html.unescape(re.sub(r"<[^>]+>", "", page))  # what the student reads, highlighting undone
    assert "BEGIN HIDDEN TESTS" not in text and "ada" in text
    hidden = hidden_test_lines(ASSIGNMENT)
    assert hidden and not [line for line in hidden if line in text]
