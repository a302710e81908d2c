"""Grading on a Dask cluster: `python -m autograder grade ASSIGNMENT --scheduler tcp://HOST:PORT`.

Each student is one Dask task; the rest of the pipeline (screening, scores, gradebook, reports)
stays on the instructor's machine. A Dask worker process keeps, per assignment, grading
processes of its own (`pool.Pool`, one per worker thread), each with a warm sandbox, the memory
cap and the per-student time-out of a local run: the trusted checks run on the worker's side
of the wall exactly as they do locally, and a student who makes a grading process die costs a
fresh grading process there, never the Dask worker. A Dask worker lost mid-task (its machine
gone, killed) costs a retry of that student on another worker: the scheduler reruns its tasks
(up to `distributed.scheduler.allowed-failures` times, then the student is recorded as failed).

Every worker must run the same course: before the first student, each worker compares the
fingerprint of its own checkout (`course.fingerprint`) with the instructor's, and a worker
that differs stops the command with a message naming it.

Start a cluster with Dask's own commands, from the course's folder and environment:

    dask scheduler --host 10.0.0.1                 # or any machine the graders reach
    python -m autograder worker tcp://10.0.0.1:8786 --nworkers 2   # on each grading machine
"""

import contextlib
import fcntl
import os
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from .pool import Failure, Pool


class ClusterError(Exception):
    """The cluster cannot grade this class (unreachable scheduler, no workers, another course version)."""


@dataclass
class Setup:
    """What a Dask worker needs to grade students of one assignment (plain data)."""

    assignment: str
    fingerprint: str
    limits: object  # sandbox.Limits of the instructor's run
    unsafe: bool
    memory_mb: int


# ------------------------------------------------------------ worker side
_IDLE = OrderedDict()  # repr(Setup) -> [Pool, ...] not grading right now, the most recently used last
_LOCK = threading.Lock()
KEPT = 2  # setups whose grading processes a worker keeps warm (two classes graded in turn, say)


def _sync(assignment):
    """`course.sync_assignment` once at a time on this machine (several workers share one checkout)."""
    from .course import ROOT, sync_assignment

    lock = Path(tempfile.gettempdir()) / f"course-sync-{abs(hash(str(ROOT)))}.lock"
    with open(lock, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        sync_assignment(assignment)


def _checked(setup, worker=None):
    from .course import fingerprint

    _sync(setup.assignment)
    mine = fingerprint(setup.assignment)
    if mine != setup.fingerprint:
        raise ClusterError(f"the Dask worker {_me(worker)} has another version of the course ({mine}, the "
                           f"instructor's is {setup.fingerprint}): update its checkout and environment to the "
                           "same commit")


def _me(worker=None):
    """This Dask worker's name and address (for messages)."""
    try:
        from distributed import get_worker

        worker = worker or get_worker()
        return f"{worker.name} ({worker.address})"
    except (ImportError, ValueError):
        return "(not in a Dask worker)"


def _new_pool(setup):
    from .course import ROOT, shipped_files
    from .grading import _grade_in_worker, _worker_start

    files = [ROOT / path for path in shipped_files(setup.assignment).values()]
    return Pool(1, _grade_in_worker, _worker_start, (setup.assignment, files, setup.limits, setup.unsafe),
                memory_mb=setup.memory_mb, start_method="forkserver")


def _take(setup, worker=None):
    with _LOCK:
        idle = _IDLE.setdefault(repr(setup), [])
        _IDLE.move_to_end(repr(setup))
        if idle:
            return idle.pop()
    _checked(setup, worker)
    return _new_pool(setup)


def _give_back(setup, pool):
    """Keep `pool` warm for the next student; close the grading processes of setups long unused (an
    older commit of the course, another assignment), so a worker never piles up sandboxes."""
    with _LOCK:
        _IDLE.setdefault(repr(setup), []).append(pool)
        _IDLE.move_to_end(repr(setup))
        stale = [_IDLE.popitem(last=False)[1] for _ in range(max(0, len(_IDLE) - KEPT))]
    for pools in stale:
        for old in pools:
            old.close()


def warm(setup, dask_worker=None):
    """Run on every worker before the class (`Client.run` passes `dask_worker`): check the course, start a
    grading process (its sandbox warms while the first students are sent). Returns the fingerprint."""
    _give_back(setup, _take(setup, dask_worker))
    return setup.fingerprint


def grade_student(setup, task, timeout, retries):
    """One student, in a grading process of this worker; the StudentRun, or a Failure with the reason."""
    pool = _take(setup)
    try:
        for _index, reply in pool.map([task], timeout=timeout, retries=retries):
            return reply
        return Failure("the grading process returned nothing")
    finally:
        _give_back(setup, pool)


# ------------------------------------------------------------ instructor side
class ClusterPool:
    """The run stage's pool (same `map` and `close` as `pool.Pool`) on a Dask cluster at `address`."""

    def __init__(self, address, setup):
        from distributed import Client

        self.setup, self.replaced = setup, 0
        try:  # (waits as long as Dask's distributed.comm.timeouts.connect says, 30 s by default)
            self.client = Client(address, set_as_default=False)
        except (OSError, TimeoutError) as error:
            raise ClusterError(f"cannot reach the Dask scheduler at {address} ({type(error).__name__}: "
                               f"{str(error)[:200]}); start it with `dask scheduler`") from None
        self._warm()

    def _warm(self):
        """Check every worker's course and start its grading process, while the grader sets up."""
        workers = self.client.scheduler_info(n_workers=-1)["workers"]
        self.threads = sum(int(info.get("nthreads", 1)) for info in workers.values())
        if not workers:
            self.close()
            raise ClusterError("the Dask scheduler has no workers; start some with "
                               "`python -m autograder worker SCHEDULER_ADDRESS`")
        try:
            self.client.run(warm, self.setup)
        except ClusterError as error:
            self.close()
            raise ClusterError(str(error)) from None

    def map(self, tasks, timeout=None, retries=1):
        """Yield (index, StudentRun or Failure) as the cluster finishes each student.

        A few more students than the cluster has threads are in flight at once (the next one is
        sent as one comes back), so neither side holds the whole class.
        """
        from distributed import as_completed

        source, futures = enumerate(tasks), {}
        done = as_completed([], loop=self.client.loop)

        def send_next():
            index, task = next(source, (None, None))
            if index is None:
                return
            key = f"grade-{self.setup.assignment}-{task.student}-{os.urandom(4).hex()}"
            future = self.client.submit(grade_student, self.setup, task, timeout, retries, pure=False, key=key)
            futures[future] = index
            done.add(future)

        for _ in range(2 * self.threads + 2):
            send_next()
        for future in done:
            index = futures.pop(future)
            try:
                reply = future.result()
            except Exception as error:  # KilledWorker (lost too often), a grader error on the worker
                reply = Failure(_why(error))
            finally:
                future.release()
            send_next()
            yield index, reply

    def close(self):
        with contextlib.suppress(Exception):
            self.client.close()


def _why(error):
    name = type(error).__name__
    if name == "KilledWorker":
        return "the Dask workers running this student were lost too many times; regrade this student"
    return f"{name} on the Dask worker: {str(error)[:300]}"
