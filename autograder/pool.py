"""Grading workers: processes that each own one warm sandbox, replaced when they die.

`ProcessPoolExecutor` breaks for good when one worker dies (every queued student then
fails), so the grader keeps its own small pool: the parent knows which student each
worker holds, and when a worker dies (the kernel's OOM killer, a crash in the grader's
own code, a time-out of the whole student) only that student is affected: retried once
in a fresh worker, then recorded with the reason. A fresh worker replaces the dead one
and the rest of the queue goes on.

Each worker runs trusted code only (the grader's checks); student code runs in the
sandbox the worker drives. The worker's own memory is capped (RLIMIT_AS), so a
grader-side computation that student input makes huge fails with MemoryError in that
check instead of taking the machine down.
"""

import multiprocessing
import os
import resource
import time
import traceback
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import wait


@dataclass
class Failure:
    """A task the grader could not finish (its worker died or timed out twice, or raised)."""

    reason: str


def _worker_main(connection, function, initializer, initargs, memory_mb):
    if memory_mb:
        limit = int(memory_mb) * 2**20
        try:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ValueError, OSError):
            pass
    state = initializer(*initargs) if initializer else None
    try:
        _serve(connection, function, state)
    finally:
        if hasattr(state, "close"):
            state.close()


def _serve(connection, function, state):
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        try:
            reply = function(state, message)
        except BaseException as error:  # noqa: B036 - the grader's own failure, reported to the parent
            reply = Failure(f"{type(error).__name__}: {error}"[:500] + "\n" + traceback.format_exc()[-2000:])
        try:
            connection.send(reply)
        except (OSError, ValueError, TypeError) as error:
            connection.send(Failure(f"the result could not be sent back ({type(error).__name__})"))


class _Worker:
    def __init__(self, context, function, initializer, initargs, memory_mb):
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_worker_main,
                                       args=(child, function, initializer, initargs, memory_mb),
                                       daemon=True)
        self.process.start()
        child.close()
        self.task = None  # (index, task, attempt, started)

    def stop(self):
        try:
            self.connection.send(None)
        except (OSError, ValueError):
            pass
        self.process.join(timeout=5)
        self.kill()

    def kill(self):
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.connection.close()


class Pool:
    """`workers` processes, each set up once by `initializer(*initargs)` (its state), then running
    `function(state, task)` for each task it is given (module-level functions: inherited or, with
    another start method, imported by name)."""

    def __init__(self, workers, function, initializer=None, initargs=(), memory_mb=None, start_method="fork"):
        # "fork" inherits the function and the grader's imports (fast); a process with threads of its
        # own (a Dask worker) starts its workers with "forkserver" instead, as forking it is unsafe.
        self.context = multiprocessing.get_context(start_method)
        self.function = function
        self.size, self.initializer, self.initargs, self.memory_mb = workers, initializer, initargs, memory_mb
        self.workers = [self._new() for _ in range(workers)]
        self.replaced = 0

    def _new(self):
        return _Worker(self.context, self.function, self.initializer, self.initargs, self.memory_mb)

    def map(self, tasks, timeout=None, retries=1):
        """Run the function for every task; yield (index, result or Failure) as they finish.

        A task whose worker dies, or that runs longer than `timeout` seconds, is retried
        `retries` times in a fresh worker, then yields a Failure with the reason.
        """
        source = enumerate(tasks)  # taken one at a time, as workers free up (a class need not fit in memory)
        queue = deque()  # tasks to retry, before the next new one
        busy = 0

        def take():
            if queue:
                return queue.popleft()
            index, task = next(source, (None, None))
            return None if index is None else (index, task, 0)

        while True:
            for position, worker in enumerate(self.workers):
                if worker.task is None:
                    taken = take()
                    if taken is None:
                        break
                    index, task, attempt = taken
                    if not worker.process.is_alive():  # it died between tasks
                        worker.kill()
                        self.workers[position] = worker = self._new()
                        self.replaced += 1
                    try:
                        worker.connection.send(task)
                    except (OSError, ValueError):
                        worker.kill()
                        self.workers[position] = worker = self._new()
                        worker.connection.send(task)
                    worker.task = (index, task, attempt, time.monotonic())
                    busy += 1
            if not busy:
                return
            watched = {w.connection: w for w in self.workers if w.task is not None}
            watched.update({w.process.sentinel: w for w in self.workers if w.task is not None})
            ready = wait(list(watched), timeout=1.0)
            now = time.monotonic()
            finished = []
            for handle in ready:
                worker = watched[handle]
                if worker in finished or worker.task is None:
                    continue
                if handle is worker.connection:
                    try:
                        reply = worker.connection.recv()
                    except (EOFError, OSError):
                        continue  # it died: its sentinel says so
                    index = worker.task[0]
                    worker.task = None
                    busy -= 1
                    finished.append(worker)
                    yield index, reply
            for position, worker in enumerate(self.workers):
                if worker.task is None:
                    continue
                index, task, attempt, started = worker.task
                dead = not worker.process.is_alive()
                late = timeout is not None and now - started > timeout
                if not (dead or late):
                    continue
                if dead and worker.connection.poll():  # it may have answered just before it ended
                    try:
                        reply = worker.connection.recv()
                    except (EOFError, OSError):
                        pass
                    else:
                        worker.task = None
                        busy -= 1
                        yield index, reply
                        continue
                why = (f"the grader's worker ran out of time ({timeout:g} s for one student)" if late and not dead
                       else f"the grader's worker died ({_exit_reason(worker.process.exitcode)})")
                worker.task = None
                busy -= 1
                worker.kill()
                self.workers[position] = self._new()
                self.replaced += 1
                if attempt < retries:
                    queue.appendleft((index, task, attempt + 1))
                else:
                    yield index, Failure(f"{why}, twice; regrade this student")

    def close(self):
        for worker in self.workers:
            worker.stop()


def _exit_reason(code):
    if code is None:
        return "killed"
    if code < 0:
        import signal

        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


def default_workers(jobs, tasks):
    return max(1, min(jobs or os.cpu_count() or 1, max(tasks, 1)))
