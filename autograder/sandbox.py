"""Run a student's notebook in an isolated, limited process: the only place student code runs.

The sandbox (bubblewrap, from Debian's `bubblewrap` package) sees a scratch copy of one
student's assignment folder (read-write), the Python environment and the system
libraries (read-only), an empty /tmp, and nothing else: no `source/`, no other
student, no gradebook, no network (`--unshare-all`). Its limits:

    cell_timeout       wall seconds per cell; then the whole sandbox is killed
    notebook_timeout   wall seconds for the whole notebook
    cpu_seconds        CPU seconds (RLIMIT_CPU) of one sandbox
    memory_mb          address space (RLIMIT_AS)
    max_processes      processes and threads (a pids cgroup, where the machine has one)
    file_size_mb       largest file it may write (RLIMIT_FSIZE)
    output_kb          output kept per cell (more is cut, with a note)

When a cell hangs, crashes the process (`os._exit`, a segfault, the memory limit) or
exceeds a limit, that cell gets an error output, a fresh sandbox replays the cells
before it (outputs discarded) and grading goes on with the next cell: one class's
misbehaviour costs that class's points only. Background processes die with the
sandbox's PID namespace.
"""

import json
import os
import resource
import select
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, fields
from pathlib import Path

RUNNER = Path(__file__).resolve().with_name("runner.py")
INSIDE = "/submission"
CGROUP_PIDS = Path("/sys/fs/cgroup/pids")
MAX_REPLY = 32 * 2**20  # a reply larger than this is treated as a crash


class SandboxUnavailable(RuntimeError):
    """No way to isolate student code on this machine."""


@dataclass
class Limits:
    cell_timeout: float = 60.0
    notebook_timeout: float = 600.0
    cpu_seconds: int = 600
    memory_mb: int = 4096
    max_processes: int = 64
    file_size_mb: int = 64
    output_kb: int = 256

    @classmethod
    def from_config(cls, config):
        """Limits from nbgrader_config.py's `c.Sandbox.<name>` settings."""
        section = config.get("Sandbox", {})
        return cls(**{f.name: f.type(section[f.name]) if callable(f.type) else section[f.name]
                      for f in fields(cls) if f.name in section})


def bwrap_path():
    return shutil.which("bwrap")


def check_available(unsafe=False):
    """Raise SandboxUnavailable unless bubblewrap works (or `unsafe` was asked for)."""
    if unsafe:
        return
    path = bwrap_path()
    if path is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed, so student code cannot be isolated. Install it "
            "(`apt-get install bubblewrap`), or pass --unsafe-no-sandbox to run student code "
            "unisolated, as the grader's own user."
        )
    probe = subprocess.run([path, *_isolation_flags(), "--ro-bind", "/", "/", "true"], capture_output=True)
    if probe.returncode != 0:
        raise SandboxUnavailable(f"bubblewrap cannot create a sandbox here: {probe.stderr.decode()[:300]}")


def self_test(limits, unsafe=False):
    """Run `6 * 7` through a real sandboxed runner; raise SandboxUnavailable unless it says 42.

    Without this, a sandbox that cannot start Python (a missing mount, say) would score
    every student 0 instead of stopping the grading with a clear message.
    """
    import tempfile

    with tempfile.TemporaryDirectory(prefix="sandbox-self-test-") as folder:
        worker = Worker(folder, limits, unsafe)
        try:
            outputs = worker.run("6 * 7", timeout=max(limits.cell_timeout, 60))
        except WorkerDied as death:
            raise SandboxUnavailable(f"the sandbox cannot run Python here: {death.reason}") from None
        finally:
            worker.close()
    values = [o.get("data", {}).get("text/plain") for o in outputs if o.get("output_type") == "execute_result"]
    if values != ["42"]:
        raise SandboxUnavailable(f"the sandbox's Python does not work as expected: {outputs!r:.300}")


def _isolation_flags():
    # --cap-drop ALL matters when the grader runs as root: bubblewrap then keeps every
    # capability inside the sandbox's user namespace, and student code could remount
    # the read-only environment read-write (tested by the attack bank's probe).
    return ["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]


def _python_mounts():
    """Read-only mounts that make this Python environment work inside the sandbox."""
    paths = {"/usr", "/lib", "/lib64", "/bin", "/sbin", sys.prefix, sys.base_prefix,
             os.path.realpath(sys.executable)}
    mounts = []
    for path in sorted(paths):
        if os.path.exists(path):
            mounts += ["--ro-bind", path, path]
    return mounts


def _environment(limits):
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "MPLCONFIGDIR": "/tmp/matplotlib",
        "PYTHONDONTWRITEBYTECODE": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "RUNNER_OUTPUT_KB": str(limits.output_kb),
    }
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # older OpenBLAS builds need these here
        if name in os.environ:
            env[name] = os.environ[name]
    return env


class Worker:
    """One sandboxed runner process serving cell-execution requests."""

    def __init__(self, workdir, limits, unsafe=False, objects=False):
        self.limits = limits
        self.cgroup = _make_cgroup(limits.max_processes)
        env = _environment(limits)
        mode = ["--objects"] if objects else []
        runner = [sys.executable, "-I", str(RUNNER), *mode]
        if unsafe:
            command, cwd, full_env = runner, str(workdir), {**os.environ, **env}
        else:
            # /tmp first: the environment may live below it (a clone in /tmp), and a later
            # tmpfs would hide it.
            command = [bwrap_path(), *_isolation_flags(), "--tmpfs", "/tmp", *_python_mounts(),
                       "--proc", "/proc", "--dev", "/dev",
                       "--ro-bind", str(RUNNER), "/opt/runner.py",
                       "--bind", str(workdir), INSIDE, "--chdir", INSIDE, "--clearenv"]
            for key, value in env.items():
                command += ["--setenv", key, value]
            command += [sys.executable, "-I", "/opt/runner.py", *mode]
            cwd, full_env = None, {}
        self.process = subprocess.Popen(
            command, cwd=cwd, env=full_env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, start_new_session=True, preexec_fn=self._limit_child,
        )

    def _limit_child(self):
        """In the child, before exec: rlimits and the pids cgroup."""
        cpu = int(self.limits.cpu_seconds)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
        memory = self.limits.memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        size = self.limits.file_size_mb * 2**20
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if self.cgroup is not None:
            (self.cgroup / "cgroup.procs").write_text(str(os.getpid()))

    def request(self, message, timeout):
        """Send one request; return the reply (a dict), or raise WorkerDied with the reason."""
        try:
            self.process.stdin.write(json.dumps(message).encode() + b"\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            raise WorkerDied(self._death_reason()) from None
        try:
            reply = json.loads(self._read_line(timeout))
            if not isinstance(reply, dict):
                raise TypeError
        except (ValueError, TypeError):
            raise WorkerDied("the notebook process sent a reply the grader could not read") from None
        return reply

    def run(self, source, timeout):
        """Execute one cell; return its outputs, or raise WorkerDied with the reason."""
        outputs = self.request({"op": "run", "source": source}, timeout).get("outputs")
        if not isinstance(outputs, list):
            raise WorkerDied("the notebook process sent a reply the grader could not read")
        return outputs

    def _read_line(self, timeout):
        deadline = time.monotonic() + timeout
        stream = self.process.stdout
        chunks, size = [], 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WorkerDied(f"the cell did not finish within {timeout:g} s (time limit)", timed_out=True)
            ready, _, _ = select.select([stream], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(stream.fileno(), 1 << 20)
            if not chunk:
                raise WorkerDied(self._death_reason())
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_REPLY:
                raise WorkerDied("the cell produced more output than the grader accepts")
            if chunk.endswith(b"\n"):
                return b"".join(chunks).decode("utf-8", errors="replace")

    def _death_reason(self):
        try:
            code = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "the notebook process stopped answering"
        if code < 0:
            name = signal.Signals(-code).name
            if -code == signal.SIGXCPU:
                return f"the notebook used up its CPU time ({self.limits.cpu_seconds} s; {name})"
            return f"the notebook process was killed by {name} (memory limit {self.limits.memory_mb} MB?)"
        return f"the notebook process exited (exit code {code}); did the code call exit()?"

    def close(self):
        """Kill the sandbox and everything it started."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        _remove_cgroup(self.cgroup)


class WorkerDied(Exception):
    def __init__(self, reason, timed_out=False):
        super().__init__(reason)
        self.reason, self.timed_out = reason, timed_out


def _make_cgroup(max_processes):
    """A pids cgroup capping the sandbox's processes, or None where the machine has none."""
    if not os.access(CGROUP_PIDS, os.W_OK):
        return None
    path = CGROUP_PIDS / f"autograder-{uuid.uuid4().hex[:12]}"
    try:
        path.mkdir()
        (path / "pids.max").write_text(str(max_processes))
        return path
    except OSError:
        return None


def _remove_cgroup(path):
    if path is None:
        return
    for _ in range(50):
        try:
            for pid in (path / "cgroup.procs").read_text().split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass
            path.rmdir()
            return
        except OSError:
            time.sleep(0.05)


def error_output(ename, message):
    return {"output_type": "error", "ename": ename, "evalue": message, "traceback": [f"{ename}: {message}"]}


def execute_cells(sources, workdir, limits, unsafe=False):
    """Execute code cells in order in one sandbox; return one list of outputs per cell.

    A cell that kills or hangs the sandbox gets an error output; a fresh sandbox then
    replays the cells that ran before it (their outputs discarded) and goes on.
    """
    results = [None] * len(sources)
    done = []  # indices of cells that ran, to replay after a restart
    start = time.monotonic()
    worker = Worker(workdir, limits, unsafe)
    try:
        index = 0
        while index < len(sources):
            left = limits.notebook_timeout - (time.monotonic() - start)
            if left <= 0:
                message = f"not run: the notebook's time limit ({limits.notebook_timeout:g} s) ran out"
                for rest in range(index, len(sources)):
                    results[rest] = [error_output("NotebookTimeout", message)]
                break
            try:
                results[index] = worker.run(sources[index], min(limits.cell_timeout, left))
                done.append(index)
            except WorkerDied as death:
                results[index] = [error_output("CellTimeout" if death.timed_out else "KernelDied", death.reason)]
                worker.close()
                worker = Worker(workdir, limits, unsafe)
                try:
                    for previous in done:  # rebuild the state the next cells expect
                        worker.run(sources[previous], min(limits.cell_timeout, max(left, 1)))
                except WorkerDied:
                    pass  # the next cells will say what went wrong
            index += 1
    finally:
        worker.close()
    return results
