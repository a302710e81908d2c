"""Real servers for the tests, on loopback, each in a temporary folder: PostgreSQL and a Dask cluster.

PostgreSQL comes from Debian's `postgresql` package (installed by `bootstrap.ensure_postgres`
before the tests when missing). Its server refuses to run as root, so as root the cluster is
made and run as Debian's `postgres` user. The Dask scheduler and workers are the `dask`
commands of the course's environment, started as an instructor starts them (README,
"Grading on a cluster").
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.bootstrap import postgres_bin  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres_user():
    """The command prefix that runs PostgreSQL's programs as a user they accept."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"]


@contextlib.contextmanager
def postgres_server(databases=("gradebook",)):
    """A fresh PostgreSQL cluster on 127.0.0.1 with `databases`; yields {name: its SQLAlchemy URL}."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        import pytest

        pytest.skip("no PostgreSQL server programs (Debian's postgresql package; bootstrap.ensure_postgres)")
    folder = Path(tempfile.mkdtemp(prefix="course-pg-"))
    data, port = folder / "data", free_port()
    prefix = _as_postgres_user()
    if prefix:
        shutil.chown(folder, "postgres", "postgres")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "check": True}
    try:
        subprocess.run([*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", "grader", "--auth=trust",
                        "-E", "UTF8", "--no-sync"], **quiet)
        subprocess.run([*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w",
                        "-o", f"-h 127.0.0.1 -p {port} -k {folder} -c fsync=off -c max_connections=200",
                        "start"], **quiet)
        for name in databases:
            subprocess.run([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "grader", name],
                           **quiet)
        yield {name: f"postgresql+psycopg://grader@127.0.0.1:{port}/{name}" for name in databases}
    finally:
        subprocess.run([*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(folder, ignore_errors=True)


class DaskCluster:
    """`dask scheduler` and `dask worker` processes on loopback, as the README starts them."""

    def __init__(self, workers=2):
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.folder = Path(tempfile.mkdtemp(prefix="course-dask-"))
        self.bin = Path(sys.executable).parent
        self.scheduler = self._start([str(self.bin / "dask"), "scheduler", "--host", "127.0.0.1",
                                      "--port", str(self.port), "--no-dashboard"], "scheduler")
        self.workers = [self.start_worker(number) for number in range(workers)]

    def _start(self, command, name):
        log = open(self.folder / f"{name}.log", "wb")  # noqa: SIM115 - open while the process runs
        env = {**os.environ, "PYTHONPATH": str(ROOT), "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
        return subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)

    def start_worker(self, number):
        """One worker process (no nanny: killing it loses it, as a machine that goes away does)."""
        return self._start([str(self.bin / "python"), "-m", "autograder", "worker", self.address,
                            "--name", f"w{number}", "--no-nanny"], f"worker{number}")

    def wait_for_workers(self, count, timeout=120):
        from distributed import Client

        with Client(self.address, timeout=30) as client:
            client.wait_for_workers(count, timeout=timeout)

    def kill_worker(self, number):
        """SIGKILL worker `number` and everything it started (its grading processes and sandboxes)."""
        process = self.workers[number]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def log(self, name):
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def close(self):
        """Workers first (a worker whose scheduler is gone waits to say goodbye), then the scheduler."""
        for group in (self.workers, [self.scheduler]):
            for process in group:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
            deadline = time.monotonic() + 5
            for process in group:
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)
