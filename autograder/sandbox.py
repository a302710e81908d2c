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
    tmp_mb             size of the sandbox's /tmp and /dev/shm (memory-backed)
    draw_figures       draw matplotlib figures (False: one line of text each)

A sandbox is long-lived (a `Slot`): its first process, the zygote (runner.py), imports
what notebooks need once and forks a fresh process for every run; between runs it kills
every other process of the sandbox's PID namespace and empties /tmp, and the grader
empties the scratch folder. When a cell hangs, crashes its process (`os._exit`, a
segfault, the memory limit) or exceeds a limit, that cell gets an error output, a fresh
process replays the cells before it (outputs discarded) and grading goes on with the
next cell: one class's misbehaviour costs that class's points only. A zygote that stops
answering is replaced by a new sandbox.
"""

import json
import os
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
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
    tmp_mb: int = 256
    draw_figures: bool = False

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
    slot = Slot([], limits, unsafe, warm=False)
    try:
        run = slot.start_run()
        outputs = run.run("6 * 7", timeout=max(limits.cell_timeout, 60))
        run.close()
    except WorkerDied as death:
        raise SandboxUnavailable(f"the sandbox cannot run Python here: {death.reason}") from None
    finally:
        slot.close()
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
        "RUNNER_DRAW_FIGURES": "1" if limits.draw_figures else "0",
    }
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # older OpenBLAS builds need these here
        if name in os.environ:
            env[name] = os.environ[name]
    return env


_SIZE_FLAG = []


def _bwrap_has_size():
    """Whether this bubblewrap can cap a tmpfs (`--size`, bubblewrap 0.7 and later)."""
    if not _SIZE_FLAG:
        try:
            help_text = subprocess.run([bwrap_path(), "--help"], capture_output=True, text=True).stdout
        except OSError:
            help_text = ""
        _SIZE_FLAG.append("--size" in help_text)
    return _SIZE_FLAG[0]


def _spawn(workdir, limits, unsafe, args):
    """Start runner.py with `args` in a sandbox over `workdir`; return (process, cgroup)."""
    cgroup = _make_cgroup(limits.max_processes)
    env = _environment(limits)
    runner = [sys.executable, "-I", str(RUNNER), *args]
    if unsafe:
        command, cwd, full_env = runner, str(workdir), {**os.environ, **env}
    else:
        # /tmp first: the environment may live below it (a clone in /tmp), and a later
        # tmpfs would hide it.
        size = ["--size", str(limits.tmp_mb * 2**20)] if _bwrap_has_size() else []
        command = [bwrap_path(), *_isolation_flags(), *size, "--tmpfs", "/tmp", *_python_mounts(),
                   "--proc", "/proc", "--dev", "/dev", *size, "--tmpfs", "/dev/shm",
                   "--ro-bind", str(RUNNER), "/opt/runner.py",
                   "--bind", str(workdir), INSIDE, "--chdir", INSIDE, "--clearenv"]
        for key, value in env.items():
            command += ["--setenv", key, value]
        command += [sys.executable, "-I", "/opt/runner.py", *args, "--contained"]
        cwd, full_env = None, {}

    def limit_child():
        """In the child, before exec: rlimits and the pids cgroup."""
        cpu = int(limits.cpu_seconds)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
        memory = limits.memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        size = limits.file_size_mb * 2**20
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if cgroup is not None:
            (cgroup / "cgroup.procs").write_text(str(os.getpid()))

    process = subprocess.Popen(
        command, cwd=cwd, env=full_env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, start_new_session=True, preexec_fn=limit_child,
    )
    return process, cgroup


def _reason(status, limits):
    """Why a run ended, from the zygote's report {"signal": n} or {"code": n}."""
    status = status if isinstance(status, dict) else {}
    number = status.get("signal")
    if isinstance(number, int):
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        if number == signal.SIGXCPU:
            return f"the notebook used up its CPU time ({limits.cpu_seconds} s; {name})"
        return f"the notebook process was killed by {name} (memory limit {limits.memory_mb} MB?)"
    return f"the notebook process exited (exit code {status.get('code')}); did the code call exit()?"


class Slot:
    """A long-lived sandbox (the "zygote") in which runs happen one after another.

    The zygote imports numpy, IPython, matplotlib and the assignment's modules once;
    each run (`start_run`) is a fresh process forked from it, so a student's notebook
    starts in milliseconds instead of seconds. Between runs the zygote kills every
    process the run started and empties /tmp, and the grader empties the scratch
    folder and copies the course's `files` back into it: nothing of one student is
    left for the next. If the zygote itself stops answering (student code may kill
    it; it runs as the same user), the whole sandbox is thrown away and a new one
    started.
    """

    def __init__(self, files, limits, unsafe=False, warm=True):
        self.files = [Path(p) for p in files]
        self.limits, self.unsafe = limits, unsafe
        self.arguments = ["--zygote"] if warm else ["--zygote", "--cold"]
        self.folder = Path(tempfile.mkdtemp(prefix="sandbox-"))
        self.process = self.cgroup = None
        self.buffer = b""
        self.starts = 0

    # -- the zygote
    def start(self):
        """Start (or restart) the zygote now rather than at the first run."""
        self._start()

    def _start(self):
        self._stop()
        self._reset_folder()
        self.process, self.cgroup = _spawn(self.folder, self.limits, self.unsafe, self.arguments)
        self.starts += 1
        self._expect("ready", timeout=max(120.0, self.limits.cell_timeout))

    def _stop(self):
        if self.process is not None:
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
        self.process = self.cgroup = None
        self.buffer = b""

    def close(self):
        """Kill the sandbox and everything in it; remove its folder."""
        self._stop()
        _empty(self.folder)
        shutil.rmtree(self.folder, ignore_errors=True)

    def _reset_folder(self):
        _empty(self.folder)
        for path in self.files:
            shutil.copy(path, self.folder / path.name)

    # -- talking to it
    def send(self, line):
        try:
            self.process.stdin.write(line + b"\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError, AttributeError):
            self._stop()
            raise WorkerDied(_GONE) from None

    def read_line(self, timeout):
        """One line from the zygote; raise WorkerDied on time-out, death or an oversized line."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WorkerDied(f"the cell did not finish within {timeout:g} s (time limit)", timed_out=True)
            ready, _, _ = select.select([self.process.stdout], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(self.process.stdout.fileno(), 1 << 20)
            if not chunk:
                self._stop()
                raise WorkerDied(_GONE)
            self.buffer += chunk
            if len(self.buffer) > MAX_REPLY and b"\n" not in self.buffer:
                self._stop()
                raise WorkerDied("the cell produced more output than the grader accepts")
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line

    def _expect(self, key, timeout):
        """Skip to the zygote's next `Z{key: ...}` line (a dead run's late replies are dropped)."""
        deadline = time.monotonic() + timeout
        while True:
            line = self.read_line(max(deadline - time.monotonic(), 0.001))
            if line.startswith(b"Z"):
                message = json.loads(line[1:])
                if key in message:
                    return message[key]

    def alive(self):
        return self.process is not None and self.process.poll() is None

    # -- runs
    def start_run(self, mode="cells", keep_files=False):
        """A fresh process forked from the zygote: `cells` runs notebook cells, `objects` serves trusted checks.

        `keep_files` leaves the scratch folder as the previous run left it (replaying a
        notebook after a crash); otherwise it holds only the course's files again.
        """
        for attempt in (1, 2):
            try:
                if not self.alive():
                    self._start()
                elif not keep_files:
                    self._reset_folder()
                self.send(f"Zfork {mode}".encode())
                self._expect("forked", timeout=30)
                return Run(self)
            except WorkerDied:
                self._stop()
                if attempt == 2:
                    raise

    def end_run(self):
        """Kill the current run and everything it started; wait until the zygote says it is done."""
        if not self.alive():
            return
        try:
            self.send(b"Zend")
            self._expect("ended", timeout=15)
        except WorkerDied:
            self._stop()  # a zygote that cannot clean up is replaced, never trusted


_GONE = "the sandbox stopped (did the code kill its own process or its parent?)"


class Run:
    """One forked process of a Slot, driven request by request (what a Worker was)."""

    def __init__(self, slot):
        self.slot, self.limits = slot, slot.limits
        self.over = None  # why the run ended early, once it did

    def request(self, message, timeout):
        """Send one request; return the reply (a dict), or raise WorkerDied with the reason."""
        if self.over:
            raise WorkerDied(self.over)
        try:
            self.slot.send(b"C" + json.dumps(message).encode())
            while True:
                line = self.slot.read_line(timeout)
                if line.startswith(b"C"):
                    break
                if line.startswith(b"Z"):
                    report = json.loads(line[1:])
                    if "exited" in report:
                        raise WorkerDied(_reason(report["exited"], self.limits))
        except WorkerDied as death:
            self.over = death.reason
            if death.timed_out:
                self.slot.end_run()
            raise
        try:
            reply = json.loads(line[1:])
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

    def close(self):
        if not self.over:
            self.over = "the run was closed"
            self.slot.end_run()


def _empty(folder):
    """Remove everything below `folder`, whatever permissions student code gave it."""
    folder = Path(folder)
    if not folder.is_dir():
        return
    os.chmod(folder, 0o700)  # student code may have taken away our own permissions
    for path in folder.iterdir():
        try:
            if path.is_dir() and not path.is_symlink():
                for root, dirs, _ in os.walk(path):
                    for name in dirs:
                        os.chmod(os.path.join(root, name), 0o700)
                os.chmod(path, 0o700)
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink()
        except OSError:
            pass


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


def execute_cells(sources, slot, fetch=(), values=None, after=None):
    """Execute code cells in order in one fresh run of `slot`; return one list of outputs per cell.

    A cell that kills or hangs its process gets an error output; a fresh run then
    replays the cells that ran before it (their outputs discarded) and goes on.
    Afterwards, each variable named in `fetch` is put into the dict `values` as plain
    data (None when it is missing or holds anything but JSON-like data), and `after`,
    if given, is called with the run before it ends (trusted checks of its objects).
    """
    limits = slot.limits
    results = [None] * len(sources)
    done = []  # indices of cells that ran, to replay after a restart
    start = time.monotonic()
    run = slot.start_run("cells")
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
                results[index] = run.run(sources[index], min(limits.cell_timeout, left))
                done.append(index)
            except WorkerDied as death:
                results[index] = [error_output("CellTimeout" if death.timed_out else "KernelDied", death.reason)]
                run.close()
                run = slot.start_run("cells", keep_files=True)
                try:
                    for previous in done:  # rebuild the state the next cells expect
                        run.run(sources[previous], min(limits.cell_timeout, max(left, 1)))
                except WorkerDied:
                    pass  # the next cells will say what went wrong
            index += 1
        for name in fetch:
            try:
                values[name] = run.request({"op": "value", "name": name}, min(limits.cell_timeout, 30)).get("value")
            except WorkerDied:
                values[name] = None
        if after is not None:
            after(run)
    finally:
        run.close()
    return results
