"""Grading beyond one machine, with real servers on loopback (tests/servers.py):

- a class graded on a Dask cluster (a scheduler and two `python -m autograder worker`s) into a
  PostgreSQL gradebook scores every cell as a local run into SQLite does, and formgrader's API and
  `nbgrader export` read it from the server;
- a worker killed while it grades a student costs only a retry of that student: every student
  ends with the right score;
- two grade commands for two assignments of the same students run at once into one PostgreSQL
  gradebook without losing a write;
- a cluster that cannot grade (no scheduler there, a worker with another version of the course)
  stops the command with a clear message before anything is recorded.
"""

import csv
import os
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import pytest
from servers import DaskCluster, postgres_server

from autograder import course
from autograder.course import EXAMPLES
from autograder.grading import GradingError, grade
from autograder.submissions import BANK, build_submission, write_from_folder, write_submission

pytestmark = pytest.mark.xdist_group("servers")
FIRST, SECOND = "task1_forward", "task2_backward"
BUGS = ("bce_sign",)
BIN = Path(sys.executable).parent


def _class(folder, assignment, bugs=()):
    """The course's example students of `assignment`, and one student per bank bug."""
    for student in sorted(p for p in (EXAMPLES / assignment).iterdir() if p.is_dir()):
        write_from_folder(student, folder, student.name, assignment)
    for bug in bugs:
        write_from_folder(BANK / assignment / "bugs" / bug, folder, bug, assignment)
    return folder


def _slow_student(folder, assignment, seconds):
    """A correct student with a cell of their own that takes `seconds` (time to lose a worker under it)."""
    from nbformat.v4 import new_code_cell

    notebook = build_submission(assignment)
    notebook.cells.insert(len(notebook.cells) // 2, new_code_cell(f"import time\ntime.sleep({seconds})"))
    write_submission(notebook, folder, "slow", assignment)


def _cells(results):
    return {r.student: {item.cell_id: (item.score, item.reason) for item in r.items} for r in results}


def _csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def servers():
    with postgres_server(("cluster", "shared")) as databases:
        cluster = DaskCluster(workers=2)
        try:
            cluster.wait_for_workers(2)
            yield cluster, databases
        finally:
            cluster.close()


@pytest.fixture(scope="module")
def submissions(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class") / "submitted"
    _class(folder, FIRST, BUGS)
    _class(folder, SECOND)
    _slow_student(folder, FIRST, 4)
    return folder


@pytest.fixture(scope="module")
def local(submissions, tmp_path_factory):
    """The class graded on this machine into SQLite: what every other way must give."""
    out = tmp_path_factory.mktemp("local")
    results = grade(FIRST, submissions, out / "reports", workspace=out / "workspace", progress=False,
                    html_feedback=False, log=lambda *_: None)
    return _cells(results)


def test_a_cluster_into_postgresql_grades_every_cell_as_a_local_run(servers, submissions, local, tmp_path):
    cluster, databases = servers
    copy = course_copy(tmp_path)
    done = subprocess.run([BIN / "python", "-m", "autograder", "grade", FIRST, "--submissions", submissions,
                           "--out", tmp_path / "out", "--scheduler", cluster.address, "--db", databases["cluster"],
                           "--no-progress", "--no-html-feedback"], cwd=copy, capture_output=True, text=True,
                          timeout=600, env=_env())
    assert done.returncode == 0, done.stderr[-3000:]
    items = {}
    for row in _csv(tmp_path / "out" / "items.csv"):
        items.setdefault(row["student_id"], {})[row["cell_id"]] = (float(row["score"]), row["reason"])
    assert items == local
    assert len(local) == 5 and local["ada_correct"] != local["cy_untouched"]
    # formgrader's API and nbgrader's own export read the scores from the server.
    api = course.nbgrader_api(**{"CourseDirectory.db_url": databases["cluster"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=Warning)
        shown = {s["student"]: s["score"] for s in api.get_submissions(FIRST)}
    assert shown == {student: pytest.approx(sum(score for score, _ in cells.values()))
                     for student, cells in local.items()}
    subprocess.run([BIN / "nbgrader", "export", f"--CourseDirectory.db_url={databases['cluster']}",
                    "--to", tmp_path / "export.csv"], cwd=copy, check=True, capture_output=True, env=_env())
    assert {row["student_id"] for row in _csv(tmp_path / "export.csv")} == set(local)


def test_a_worker_lost_mid_student_costs_only_a_retry(servers, submissions, local, tmp_path):
    cluster, _ = servers
    killed = []

    def kill_the_slow_students_worker():
        """Wait until a worker is grading `slow`, then kill it (no nanny: it stays dead)."""
        from distributed import Client

        with Client(cluster.address, timeout=30) as client:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not killed:
                names = {address: info["name"] for address, info in client.scheduler_info(n_workers=-1)
                         ["workers"].items()}
                for address, keys in client.processing().items():
                    if any("-slow-" in str(key) for key in keys):
                        time.sleep(1.5)  # inside the student's notebook now
                        number = int(str(names[address])[1:])
                        cluster.kill_worker(number)
                        killed.append(number)
                        break
                time.sleep(0.1)

    killer = threading.Thread(target=kill_the_slow_students_worker)
    killer.start()
    results = grade(FIRST, submissions, tmp_path / "reports", workspace=tmp_path / "workspace", progress=False,
                    html_feedback=False, log=lambda *_: None, scheduler=cluster.address)
    killer.join()
    assert killed, "no worker was grading the slow student"
    assert _cells(results) == local
    assert not any(r.grader_failed for r in results)
    cluster.workers[killed[0]] = cluster.start_worker(killed[0])  # back to two, for the tests after this one


def test_two_assignments_graded_at_once_into_one_postgresql_gradebook(servers, submissions, tmp_path):
    _, databases = servers
    copy = course_copy(tmp_path)
    commands = {assignment: subprocess.Popen(
        [BIN / "python", "-m", "autograder", "grade", assignment, "--submissions", submissions, "--out",
         tmp_path / assignment, "--db", databases["shared"], "--jobs", "1", "--no-progress", "--no-html-feedback"],
        cwd=copy, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
        for assignment in (FIRST, SECOND)}
    for assignment, command in commands.items():
        _, stderr = command.communicate(timeout=600)
        assert command.returncode == 0, f"{assignment}: {stderr[-3000:]}"
    from nbgrader.api import Gradebook

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=Warning)
        with Gradebook(databases["shared"]) as gb:
            for assignment in (FIRST, SECOND):
                reported = {row["student_id"]: float(row["raw_score"]) for row in _csv(tmp_path / assignment /
                                                                                         "grades.csv")
                            if (submissions / row["student_id"] / assignment).is_dir()}
                recorded = {s.student.id: round(s.score, 2) for s in gb.assignment_submissions(assignment)}
                assert recorded == reported and len(recorded) >= 3
            assert {s.id for s in gb.students} >= {"ada_correct", "ben_two_bugs", "cy_untouched", *BUGS}


def test_a_cluster_that_cannot_grade_says_why(servers, submissions, tmp_path, monkeypatch):
    cluster, _ = servers
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}), \
            pytest.raises(GradingError, match="cannot reach the Dask scheduler"):
        grade(FIRST, submissions, tmp_path / "a", workspace=tmp_path / "wa", progress=False, log=lambda *_: None,
              scheduler=f"tcp://127.0.0.1:{_closed_port()}")
    monkeypatch.setattr(course, "fingerprint", lambda assignment: "0" * 16)  # the instructor's course differs
    with pytest.raises(GradingError, match=r"the Dask worker w\d \(tcp://127.0.0.1:\d+\) has another version"):
        grade(FIRST, submissions, tmp_path / "b", workspace=tmp_path / "wb", progress=False, log=lambda *_: None,
              scheduler=cluster.address)
    assert not (tmp_path / "b" / "grades.csv").exists()


def test_a_student_graded_on_the_cluster_reaches_neither_the_scheduler_nor_the_gradebook(servers, tmp_path,
                                                                                          monkeypatch):
    """A hostile student who knows the ports tries to talk to the Dask scheduler (which runs whatever
    it is sent) and to PostgreSQL from their notebook: the sandbox has no network, so both are refused,
    and the honest student graded next on the same workers is untouched."""
    from nbformat.v4 import new_code_cell

    cluster, databases = servers
    pg_port = int(databases["shared"].rsplit(":", 1)[1].split("/")[0])
    probe = (f"import socket\nfor port in ({cluster.port}, {pg_port}):\n    try:\n"
             "        socket.create_connection(('127.0.0.1', port), timeout=3).close()\n"
             "        print('REACHED', port)\n    except OSError as error:\n        print('REFUSED', port)\n")
    folder = tmp_path / "submitted"
    notebook = build_submission(FIRST)
    notebook.cells.insert(1, new_code_cell(probe))
    write_submission(notebook, folder, "attacker", FIRST)
    write_submission(build_submission(FIRST), folder, "honest", FIRST)
    from autograder import cluster as cluster_module

    used = []
    monkeypatch.setattr(cluster_module.ClusterPool, "map", lambda self, *a, _map=cluster_module.ClusterPool.map,
                        **k: used.append(self) or _map(self, *a, **k))
    results = {r.student: r for r in grade(FIRST, folder, tmp_path / "out", workspace=tmp_path / "ws",
                                           progress=False, html_feedback=False, log=lambda *_: None,
                                           overrides={"Grader.scheduler": cluster.address})}  # (config)
    printed = "".join(o.get("text", "") for o in results["attacker"].notebooks[f"{FIRST}.ipynb"].cells[1].outputs)
    assert "REFUSED" in printed and "REACHED" not in printed, printed
    assert used, "c.Grader.scheduler did not send the class to the cluster"
    assert results["attacker"].score <= results["honest"].score == results["honest"].max_score - \
        results["honest"].pending_points
    cluster.wait_for_workers(2, timeout=10)  # both workers still there


def _closed_port():
    from servers import free_port

    return free_port()


def _env():
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}


def course_copy(tmp_path):
    from course_copy import copy_course

    return copy_course(tmp_path / "course")


def test_a_worker_keeps_warm_only_the_setups_it_used_last(monkeypatch):
    """Grading processes of an older commit or another class are closed, not piled up (no servers)."""
    from autograder import cluster as worker_side

    class FakePool:
        def __init__(self, name):
            self.name, self.closed = name, False

        def close(self):
            self.closed = True

    monkeypatch.setattr(worker_side, "_IDLE", worker_side.OrderedDict())
    monkeypatch.setattr(worker_side, "_checked", lambda setup, worker=None: None)
    monkeypatch.setattr(worker_side, "_new_pool", lambda setup: FakePool(setup.assignment))
    setups = [worker_side.Setup(name, "f", None, False, 1) for name in ("a", "b", "c")]
    pools = {}
    for setup in setups:
        pools[setup.assignment] = worker_side._take(setup)
        worker_side._give_back(setup, pools[setup.assignment])
    assert [p.closed for p in pools.values()] == [True, False, False]
    assert worker_side._take(setups[2]) is pools["c"]  # the warm one is reused
