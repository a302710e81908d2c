"""Run a student's notebook in an isolated, limited process: the only place student code runs.

The sandbox (bubblewrap, from Debian's `bubblewrap` package) sees the Python environment and
the system libraries (read-only), the course's files (read-only, in /opt/course), a scratch
folder, /tmp and /dev/shm, and nothing else: no `source/`, no other student, no gradebook,
no network (`--unshare-all`). Its whole file tree is read-only except the scratch folder,
/tmp and /dev/shm, each a size-capped file system in memory that exists only inside the
sandbox: the grader shares no writable folder with student code. Its limits:

    cell_timeout        wall seconds per cell; then the whole sandbox is killed
    notebook_timeout    wall seconds for the whole notebook
    cpu_seconds         CPU seconds (RLIMIT_CPU) of one sandbox
    memory_mb           address space (RLIMIT_AS)
    max_processes       processes and threads (a pids cgroup, where the machine has one)
    file_size_mb        largest file it may write (RLIMIT_FSIZE)
    output_kb           output kept per cell, all kinds together (more is cut, with a note)
    notebook_output_kb  output kept per notebook (later outputs are cut; errors and scores stay)
    tmp_mb              size of the sandbox's /tmp and of its /dev/shm (memory-backed)
    scratch_mb          size of the scratch folder (memory-backed)
    draw_figures        draw matplotlib figures (False: one line of text each)

A sandbox is long-lived (a `Slot`): its first process, the zygote (runner.py), imports
what notebooks need once and forks a fresh process for every run. Between runs it kills
every other process of the sandbox's PID namespace and empties /tmp and /dev/shm; before
a run it refills the scratch folder with the course's files and checks that the sandbox
is still as it started (mounts, folders, IPC, the environment). A sandbox that is not is
replaced before the run. When a cell hangs, crashes its process (`os._exit`, a segfault,
the memory limit) or exceeds a limit, that cell gets an error output, a fresh process
replays the cells before it (outputs discarded) and grading goes on with the next cell:
one class's misbehaviour costs that class's points only. A zygote that stops answering
is replaced by a new sandbox. The lines between the grader and the zygote, and their
limits, are protocol.py's.
"""

import errno
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

from . import protocol

RUNNER = Path(__file__).resolve().with_name("runner.py")
PROTOCOL = Path(__file__).resolve().with_name("protocol.py")
GRADER_INSIDE = "/opt/grader"  # runner.py and protocol.py, read-only
COURSE_INSIDE = "/opt/course"  # the course's files, read-only; the zygote copies them into INSIDE
INSIDE = "/submission"  # the scratch folder, the notebook's working folder
CGROUP_PIDS = Path("/sys/fs/cgroup/pids")


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
    notebook_output_kb: int = 2048
    tmp_mb: int = 256
    scratch_mb: int = 256
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
    # --as-pid-1: the runner itself is the sandbox's init. Otherwise bubblewrap's own init
    # process is pid 1, dumpable, and holds the grader's pipes as its fds 0 and 1: a run could
    # read the grader's requests through /proc/1/fd/0 and write lines that skip the zygote.
    return ["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--as-pid-1"]


def _proc_covers():
    """Read-only covers for /proc's global knobs. As root, the sandbox's uid 0 is the host's,
    and the kernel lets uid 0 write most of /proc/sys (kernel.core_pattern would run a
    program of its choice as root on the host) whatever capabilities it lacks; bubblewrap
    covers /proc/sys only when the folder itself is writable, which it never is."""
    covers = []
    for path in ("/proc/sys", "/proc/sysrq-trigger", "/proc/mtrr", "/proc/pressure", "/proc/acpi"):
        covers += ["--ro-bind-try", path, path]
    return covers


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


def _seccomp_program():
    """A seccomp filter (classic BPF, as bubblewrap's --seccomp reads it), or None on an
    unknown machine: the kernel keyring and POSIX message queues outlive the process that
    filled them, in a place the zygote cannot see or empty, so a run may not use them
    (EPERM), as Docker's default profile does. Other architectures' calls (x32, i386) too."""
    import platform
    import struct

    known = {"x86_64": (0xC000003E, (248, 249, 250, 240), True),  # add_key, request_key, keyctl, mq_open
             "aarch64": (0xC00000B7, (217, 218, 219, 180), False)}
    if platform.machine() not in known:
        return None
    arch, denied, x32 = known[platform.machine()]
    load, equal, at_least, ret = 0x20, 0x15, 0x35, 0x06  # BPF_LD|W|ABS, BPF_JMP|JEQ|K, BPF_JMP|JGE|K, BPF_RET|K
    allow, deny = 0x7FFF0000, 0x00050000 | errno.EPERM  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO
    program = [[load, 0, 0, 4], [equal, 0, "deny", arch], [load, 0, 0, 0]]  # seccomp_data.arch, .nr
    if x32:
        program.append([at_least, "deny", 0, 0x40000000])  # __X32_SYSCALL_BIT
    program += [[equal, "deny", 0, number] for number in denied]
    program += [[ret, 0, 0, allow], [ret, 0, 0, deny]]
    end = len(program) - 1
    code = b""
    for index, (op, yes, no, k) in enumerate(program):
        yes, no = (end - index - 1 if jump == "deny" else jump for jump in (yes, no))
        code += struct.pack("=HBBI", op, yes, no, k)
    return code


def _spawn(course, scratch, limits, unsafe, args):
    """Start runner.py with `args` (its course folder, scratch folder and mode); return (process, cgroup)."""
    cgroup = _make_cgroup(limits.max_processes)
    env = _environment(limits)
    pass_fds, seccomp = (), _seccomp_program()
    if unsafe:
        command = [sys.executable, "-I", str(RUNNER), *args, "--course", str(course), "--scratch", str(scratch)]
        cwd, full_env = str(scratch), {**os.environ, **env}
    else:
        def size(megabytes):
            return ["--size", str(megabytes * 2**20)] if _bwrap_has_size() else []

        # /tmp first: the environment may live below it (a clone in /tmp), and a later
        # tmpfs would hide it. The root and /dev are made read-only last, so that only the
        # scratch folder, /tmp and /dev/shm (each capped) can be written.
        command = [bwrap_path(), *_isolation_flags(), *size(limits.tmp_mb), "--tmpfs", "/tmp", *_python_mounts(),
                   "--proc", "/proc", *_proc_covers(), "--dev", "/dev", *size(limits.tmp_mb), "--tmpfs", "/dev/shm",
                   "--ro-bind", str(RUNNER), f"{GRADER_INSIDE}/runner.py",
                   "--ro-bind", str(PROTOCOL), f"{GRADER_INSIDE}/protocol.py",
                   "--ro-bind", str(course), COURSE_INSIDE, *size(limits.scratch_mb), "--tmpfs", INSIDE,
                   "--remount-ro", "/dev", "--remount-ro", "/", "--chdir", INSIDE, "--clearenv"]
        for key, value in env.items():
            command += ["--setenv", key, value]
        if seccomp is not None:
            reader, writer = os.pipe()
            os.write(writer, seccomp)  # a few dozen bytes: the pipe holds them
            os.close(writer)
            command += ["--seccomp", str(reader)]
            pass_fds = (reader,)
        command += [sys.executable, "-I", f"{GRADER_INSIDE}/runner.py", *args,
                    "--course", COURSE_INSIDE, "--scratch", INSIDE, "--contained"]
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

    try:
        process = subprocess.Popen(
            command, cwd=cwd, env=full_env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, start_new_session=True, preexec_fn=limit_child, pass_fds=pass_fds,
        )
    finally:
        for fd in pass_fds:
            os.close(fd)
    return process, cgroup


def _reason(status, limits):
    """Why a run ended, from the zygote's report {"signal": n}, {"code": n} or {"oversized": n}."""
    status = status if isinstance(status, dict) else {}
    if "oversized" in status:
        return (f"the notebook process sent more than {protocol.MAX_LINE // 2**20} MB at once "
                "(more than the grader accepts)")
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
    process the run started and empties /tmp and /dev/shm; before a run it refills the
    scratch folder with the course's `files` only and checks that nothing else of the
    sandbox changed. If something did (`altered`), or the zygote stops answering (student
    code may kill it; it runs as the same user), the whole sandbox is thrown away and a
    new one started: nothing of one student is left for the next.
    """

    def __init__(self, files, limits, unsafe=False, warm=True):
        self.files = [Path(p) for p in files]
        self.limits, self.unsafe = limits, unsafe
        self.arguments = ["--zygote"] if warm else ["--zygote", "--cold"]
        self.folder = Path(tempfile.mkdtemp(prefix="sandbox-"))
        self.course = self.folder / "course"  # the course's files, mounted read-only inside
        self.scratch = self.folder / "scratch"  # the scratch folder when there is no sandbox (unsafe)
        self.process = self.cgroup = None
        self.copied = None  # the `files` in the running sandbox's course folder
        self.buffer = bytearray()
        self.starts = 0
        self.replaced = []  # why sandboxes were found altered and replaced

    # -- the zygote
    def start(self):
        """Start (or restart) the zygote now rather than at the first run."""
        self._start()

    def _start(self):
        self._stop()
        self._fill_course()
        self.process, self.cgroup = _spawn(self.course, self.scratch, self.limits, self.unsafe, self.arguments)
        self.starts += 1
        self._expect(protocol.READY, timeout=max(120.0, self.limits.cell_timeout))

    def _fill_course(self):
        for folder in (self.course, self.scratch):
            _empty(folder)
            folder.mkdir(exist_ok=True)
        for path in self.files:
            shutil.copy(path, self.course / path.name)
        self.copied = list(self.files)

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
        self.buffer = bytearray()

    def close(self):
        """Kill the sandbox and everything in it; remove its folder."""
        self._stop()
        _empty(self.folder)
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- talking to it
    def send(self, line, timeout=30.0):
        """Send one whole line (protocol.frame's) within `timeout` seconds.

        The write never blocks for longer: a zygote that does not read (say its run floods
        the grader with callback requests while the grader answers) would otherwise hold
        both sides, each waiting to write to the other. Then the sandbox is replaced.
        """
        deadline = time.monotonic() + timeout
        try:
            fd = self.process.stdin.fileno()
            os.set_blocking(fd, False)
            view = memoryview(line)
            while view:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._stop()
                    raise WorkerDied(f"the sandbox stopped reading for {timeout:g} s (time limit)", timed_out=True)
                select.select([], [fd], [], min(remaining, 1.0))
                try:
                    view = view[os.write(fd, view):]
                except BlockingIOError:
                    continue
        except (BrokenPipeError, OSError, AttributeError, ValueError):
            self._stop()
            raise WorkerDied(_GONE) from None

    def read_line(self, timeout):
        """One line from the zygote; raise WorkerDied on time-out, death or an oversized line.

        The zygote never relays a line longer than protocol.MAX_LINE (it ends the run
        instead), so a longer one means the zygote is not what it should be: the sandbox is
        replaced.
        """
        deadline = time.monotonic() + timeout
        searched = 0
        while True:
            newline = self.buffer.find(b"\n", searched)
            if newline >= 0:
                line = bytes(self.buffer[:newline])
                del self.buffer[:newline + 1]
                return line
            searched = len(self.buffer)
            if len(self.buffer) > protocol.MAX_LINE + 1:
                self._stop()
                raise WorkerDied("the cell produced more output than the grader accepts")
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

    def _expect(self, *keys, timeout):
        """The zygote's next `Z` message holding one of `keys` (a dead run's late replies are dropped)."""
        deadline = time.monotonic() + timeout
        while True:
            line = self.read_line(max(deadline - time.monotonic(), 0.001))
            if not line.startswith(protocol.ZYGOTE):
                continue
            try:
                _, message = protocol.parse_frame(line)
            except protocol.ProtocolError:
                self._stop()
                raise WorkerDied("the sandbox sent a line the grader could not read") from None
            if any(key in message for key in keys):
                return message

    def alive(self):
        return self.process is not None and self.process.poll() is None

    # -- runs
    def start_run(self, mode="cells", keep_files=False):
        """A fresh process forked from the zygote: `cells` runs notebook cells, `objects` serves trusted checks.

        `keep_files` leaves the scratch folder as the previous run left it (replaying a
        notebook after a crash); otherwise it holds only the course's files again. A
        sandbox that is no longer as it started is replaced first (its scratch folder
        then holds only the course's files, whatever `keep_files` says).
        """
        deaths = alterations = 0
        while True:
            try:
                if self.alive() and self.copied != self.files:
                    self._stop()  # the course's files changed: a sandbox that has the new ones
                if not self.alive():
                    self._start()
                self.send(protocol.frame(protocol.ZYGOTE, {protocol.FORK: mode, "keep": bool(keep_files)}))
                reply = self._expect(protocol.FORKED, protocol.ALTERED, timeout=30)
            except WorkerDied:
                self._stop()
                deaths += 1
                if deaths == 2:
                    raise
                continue
            if protocol.ALTERED not in reply:
                return Run(self)
            reason = str(reply[protocol.ALTERED])[:300]
            self.replaced.append(reason)
            self._stop()
            alterations += 1
            if alterations == 3:  # even a fresh sandbox is not as it started: never run in it
                raise WorkerDied(f"the sandbox could not be reset ({reason})")

    def end_run(self):
        """Kill the current run and everything it started; wait until the zygote says it is done."""
        if not self.alive():
            return
        try:
            # A healthy zygote ends a run in milliseconds (a huge tree of files is not emptied
            # but replaced); one that does not answer soon is stuck, e.g. writing to a run that
            # stopped reading, and is replaced.
            self.send(protocol.frame(protocol.ZYGOTE, {protocol.END: True}), timeout=5)
            self._expect(protocol.ENDED, timeout=5)
        except WorkerDied:
            self._stop()  # a zygote that cannot clean up is replaced, never trusted


_GONE = "the sandbox stopped (did the code kill its own process or its parent?)"
_UNREADABLE = "the notebook process sent a reply the grader could not read"


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
            line = protocol.frame(protocol.CHILD, message, allow_nonfinite=True)  # ours: NaN may go in
        except protocol.ProtocolError as error:
            self._give_up()
            raise WorkerDied(f"the grader's request could not be sent ({error})") from None
        try:
            self.slot.send(line, max(timeout, 1.0))
            while True:
                line = self.slot.read_line(timeout)
                if line.startswith(protocol.CHILD):
                    break
                if line.startswith(protocol.ZYGOTE):
                    try:
                        _, report = protocol.parse_frame(line)
                    except protocol.ProtocolError:
                        self.slot._stop()
                        raise WorkerDied("the sandbox sent a line the grader could not read") from None
                    if protocol.EXITED in report:
                        raise WorkerDied(_reason(report[protocol.EXITED], self.limits))
        except WorkerDied as death:
            self.over = death.reason
            if death.timed_out:
                self.slot.end_run()
            raise
        try:
            return protocol.loads(line[1:])
        except protocol.ProtocolError:
            self._give_up()
            raise WorkerDied(_UNREADABLE) from None

    def _give_up(self):
        """End the run: what it says next cannot be trusted to answer what was asked."""
        self.slot.end_run()
        self.over = _UNREADABLE

    def run(self, source, timeout):
        """Execute one cell; return its outputs, or raise WorkerDied with the reason."""
        outputs = self.request({"op": protocol.RUN, "source": source}, timeout).get("outputs")
        if not isinstance(outputs, list):
            self._give_up()
            raise WorkerDied(_UNREADABLE)
        return outputs

    def close(self):
        if not self.over:
            self.over = "the run was closed"
            self.slot.end_run()

    def kill(self, reason):
        """End the run at once by replacing the whole sandbox (it misbehaved: no clean end)."""
        self.over = self.over or reason
        self.slot._stop()


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
    replays the cells that ran before it (their outputs discarded) and goes on. Each
    cell's outputs are cut to `output_kb`, and all of them to `notebook_output_kb`
    (errors and short results, a test cell's score, always stay; protocol.cap_outputs).
    Afterwards, each variable named in `fetch` is put into the dict `values` as plain
    data (None when it is missing or holds anything but JSON-like data), and `after`,
    if given, is called with the run before it ends (trusted checks of its objects).
    """
    limits = slot.limits
    results = [None] * len(sources)
    done = []  # indices of cells that ran, to replay after a restart
    start = time.monotonic()
    left = [limits.notebook_output_kb * 1024]
    cell_note = f"... (output cut: more than {limits.output_kb} KB in this cell)"
    notebook_note = f"... (output not kept: this notebook's outputs passed {limits.notebook_output_kb} KB)"

    def kept(outputs):
        outputs = protocol.cap_outputs(outputs, limits.output_kb * 1024, cell_note)
        if protocol.outputs_size(outputs) > left[0]:
            outputs = protocol.cap_outputs(outputs, max(left[0], 0), notebook_note)
        left[0] -= protocol.outputs_size(outputs)
        return outputs

    run = slot.start_run("cells")
    try:
        index = 0
        while index < len(sources):
            remaining = limits.notebook_timeout - (time.monotonic() - start)
            if remaining <= 0:
                message = f"not run: the notebook's time limit ({limits.notebook_timeout:g} s) ran out"
                for rest in range(index, len(sources)):
                    results[rest] = [error_output("NotebookTimeout", message)]
                break
            try:
                results[index] = kept(run.run(sources[index], min(limits.cell_timeout, remaining)))
                done.append(index)
            except WorkerDied as death:
                results[index] = [error_output("CellTimeout" if death.timed_out else "KernelDied", death.reason)]
                run.close()
                run = slot.start_run("cells", keep_files=True)
                try:
                    for previous in done:  # rebuild the state the next cells expect
                        run.run(sources[previous], min(limits.cell_timeout, max(remaining, 1)))
                except WorkerDied:
                    pass  # the next cells will say what went wrong
            index += 1
        for name in fetch:
            try:
                reply = run.request({"op": protocol.VALUE, "name": name}, min(limits.cell_timeout, 30))
                values[name] = protocol.decode_plain(reply.get("value"), what=name)
            except (WorkerDied, protocol.ProtocolError):
                values[name] = None
        if after is not None:
            after(run)
    finally:
        run.close()
    return results
