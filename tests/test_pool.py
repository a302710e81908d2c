"""The grading workers (autograder/pool.py): a worker that dies costs only the task it held."""

import os
import signal

from autograder.pool import Failure, Pool


class _State:
    def __init__(self):
        self.pid = os.getpid()


def _start():
    return _State()


def _work(state, task):
    kind, value = task
    if kind == "die":
        os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's OOM killer would
    if kind == "die_once":
        marker = value
        if not os.path.exists(marker):
            open(marker, "w").close()
            os._exit(3)
        return "survived"
    if kind == "raise":
        raise RuntimeError("the grader's own bug")
    if kind == "hog":
        return len(bytearray(value))  # more than the worker's memory cap: MemoryError, caught
    if kind == "hang":
        import time

        time.sleep(value)
    return (value, state.pid)


def test_a_dead_worker_costs_only_its_task_and_is_replaced(tmp_path):
    pool = Pool(2, _work, _start, memory_mb=1024)
    try:
        tasks = [("ok", i) for i in range(6)] + [("die", 0)] + [("ok", i) for i in range(6, 12)]
        results = dict(pool.map(tasks, retries=1))
    finally:
        pool.close()
    assert set(results) == set(range(len(tasks)))
    assert isinstance(results[6], Failure) and "died" in results[6].reason and "SIGKILL" in results[6].reason
    assert [results[i][0] for i in range(len(tasks)) if i != 6] == list(range(12))
    assert pool.replaced == 2  # the first death and its retry


def test_a_task_whose_worker_died_once_is_retried(tmp_path):
    pool = Pool(1, _work, _start)
    try:
        results = dict(pool.map([("die_once", str(tmp_path / "marker")), ("ok", 1)], retries=1))
    finally:
        pool.close()
    assert results[0] == "survived" and results[1][0] == 1


def test_the_graders_own_error_and_memory_are_bounded_per_task():
    pool = Pool(1, _work, _start, memory_mb=1024)
    try:
        results = dict(pool.map([("raise", 0), ("hog", 4 * 2**30), ("ok", 7)]))
    finally:
        pool.close()
    assert isinstance(results[0], Failure) and "the grader's own bug" in results[0].reason
    assert isinstance(results[1], Failure) and "MemoryError" in results[1].reason
    assert results[2][0] == 7


def test_a_task_over_its_time_is_ended_and_the_queue_goes_on():
    pool = Pool(1, _work, _start)
    try:
        results = dict(pool.map([("hang", 60), ("ok", 1)], timeout=1.5, retries=0))
    finally:
        pool.close()
    assert isinstance(results[0], Failure) and "ran out of time" in results[0].reason
    assert results[1][0] == 1
