"""The sandbox itself: limits, clear refusals when it cannot work, and a hostile student who
tries to leave something behind for the next run."""

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from autograder import protocol, sandbox
from autograder.grading import GradingError, grade
from autograder.submissions import build_submission, write_submission

ROOT = Path(__file__).resolve().parents[1]
LIMITS = sandbox.Limits(cell_timeout=5, notebook_timeout=60, cpu_seconds=30, memory_mb=1024)


def test_self_test_passes_here():
    sandbox.self_test(LIMITS)


def test_a_sandbox_without_python_is_refused_clearly(monkeypatch):
    monkeypatch.setattr(sandbox, "_python_mounts", lambda: [])
    with pytest.raises(sandbox.SandboxUnavailable, match="cannot run Python"):
        sandbox.self_test(LIMITS)


def test_grading_refuses_without_bubblewrap_unless_told(monkeypatch, tmp_path):
    write_submission(build_submission("task2_backward"), tmp_path / "sub", "s", "task2_backward")
    monkeypatch.setattr(sandbox, "bwrap_path", lambda: None)
    with pytest.raises(GradingError, match="--unsafe-no-sandbox"):
        grade("task2_backward", tmp_path / "sub", tmp_path / "out", workspace=tmp_path / "w", progress=False)


@pytest.fixture
def slot():
    slot = sandbox.Slot([], sandbox.Limits(cell_timeout=5, notebook_timeout=60, file_size_mb=16, memory_mb=1024))
    yield slot
    slot.close()


def test_cells_run_in_order_with_state_and_limits(slot):
    outputs = sandbox.execute_cells(
        ["x = 6", "x * 7", "import os; os._exit(3)", "x + 1", "open('big', 'wb').write(b'0' * 2**27)",
         "import numpy as np; len(np.ones(2**28))"], slot)
    value = [o["data"]["text/plain"] for o in outputs[1] if o["output_type"] == "execute_result"]
    assert value == ["42"]
    assert outputs[2][0]["ename"] == "KernelDied" and "exit code 3" in outputs[2][0]["evalue"]
    assert [o["data"]["text/plain"] for o in outputs[3] if o["output_type"] == "execute_result"] == ["7"]
    assert any(o["output_type"] == "error" for o in outputs[4]), "a 128 MB file got past a 16 MB limit"
    assert any(o["output_type"] == "error" and o["ename"] == "MemoryError" for o in outputs[5])


def values(outputs):
    return [o["data"]["text/plain"] for o in outputs if o["output_type"] == "execute_result"]


LEAVE_TRACES = """
import os, subprocess
open('/tmp/secret', 'w').write('answers')
if os.path.isdir('/dev/shm'):
    open('/dev/shm/secret', 'w').write('answers')
open('left_behind.txt', 'w').write('answers')
os.makedirs('locked/inner', exist_ok=True)
os.chmod('locked', 0)
subprocess.Popen(['sh', '-c', 'trap "" TERM HUP INT; sleep 600'], start_new_session=True)
"""

# The processes a run sees: init (bubblewrap's), the zygote (its parent), the template the runs
# are forked from and the spare that will be the next run (named so in /proc/<pid>/comm; see
# runner.py), itself, and whatever it started.
NOT_OURS = """
def _comm(pid):
    try:
        return open(f'/proc/{pid}/comm').read().strip()
    except OSError:
        return None
def _others():
    # (a spare on its way; None: a process gone between the listing and the read, such as the template's
    # intermediate fork, reaped as it makes the next run's spare while this run looks: not one left behind)
    return [p for p in os.listdir('/proc') if p.isdigit() and int(p) not in (1, os.getpid(), os.getppid())
            and _comm(p) not in ('runner-template', 'runner-spare', 'runner-fork', None)]
"""

LOOK_AROUND = """
import os
""" + NOT_OURS + """
(sorted(os.listdir('.')), os.listdir('/tmp'), os.path.exists('/dev/shm/secret'), _others())
"""


def test_nothing_of_one_run_reaches_the_next(slot, tmp_path):
    course_file = tmp_path / "utils.py"
    course_file.write_text("X = 1\n")
    slot.files = [course_file]
    sandbox.execute_cells(["1"], slot)  # the zygote's own start-up files are gone after a first run
    fresh = values(sandbox.execute_cells([LOOK_AROUND], slot)[0])  # (/tmp may hold the environment's mount point)
    same_run = sandbox.execute_cells([LEAVE_TRACES, LOOK_AROUND], slot)
    assert not [o for o in same_run[0] if o["output_type"] == "error"], same_run[0]
    files, in_tmp, in_shm, processes = eval(values(same_run[1])[0])  # noqa: S307 - our own cell's repr
    assert "left_behind.txt" in files and "secret" in in_tmp and in_shm and processes  # the traces are there
    outputs = sandbox.execute_cells([LOOK_AROUND], slot)
    assert values(outputs[0]) == fresh and fresh[0].startswith("(['utils.py'],") and fresh[0].endswith(", False, [])")


REACH = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
buffer = ctypes.create_string_buffer(64)
def vm_read(pid, address):
    local = (ctypes.c_void_p * 2)(ctypes.cast(buffer, ctypes.c_void_p), 64)
    remote = (ctypes.c_void_p * 2)(address, 64)
    return libc.process_vm_readv(pid, local, 1, remote, 1, 0)
def _state(pid):
    try:
        return open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()[0]
    except (OSError, IndexError):
        return 'X'
def reach(pid):
    reached = []
    if _state(pid) in 'ZX':  # an exited process (the template's short-lived fork) has no memory left to read
        return reached
    for path in (f'/proc/{pid}/fd/0', f'/proc/{pid}/fd/1', f'/proc/{pid}/fd/3', f'/proc/{pid}/mem',
                 f'/proc/{pid}/environ', f'/proc/{pid}/maps'):
        try:
            open(path, 'rb').close()
            reached.append(path)
        except OSError:
            pass
    if libc.ptrace(16, pid, None, None) == 0:  # PTRACE_ATTACH
        reached.append(f'ptrace {pid}')
        libc.ptrace(17, pid, None, None)  # PTRACE_DETACH
    if vm_read(pid, 0x400000) >= 0 or ctypes.get_errno() not in (1, 3, 13):  # EPERM, ESRCH, EACCES (EFAULT: it could)
        reached.append(f'process_vm_readv {pid}')
    if _state(pid) in 'ZX':  # it exited meanwhile: what it "reached" was a process without memory
        return []
    return reached
"""


def test_a_run_cannot_reach_the_zygote(slot):
    """Neither its parent (the zygote, which holds earlier runs' traffic) nor the template the
    runs are forked from, nor any other process of the sandbox but bubblewrap's init (below):
    no /proc file, ptrace or process_vm_readv gets at their memory or descriptors."""
    probe = REACH + """
me, pids = os.getpid(), [int(p) for p in os.listdir('/proc') if p.isdigit()]
(len(pids) >= 4, os.getppid() in pids, [r for pid in pids if pid not in (1, me) for r in reach(pid)])
"""
    assert values(sandbox.execute_cells([probe], slot)[0]) == ["(True, True, [])"]  # init, zygote, template, run


def test_a_run_cannot_reach_bubblewraps_init(slot):
    assert values(sandbox.execute_cells([REACH + "reach(1)"], slot)[0]) == ["[]"]


def test_a_run_cannot_kill_or_stop_the_zygote(slot):
    """The zygote is the sandbox's init (bubblewrap --as-pid-1): signals from inside the sandbox
    to it are dropped by the kernel, so a run can neither kill nor stop it."""
    outputs = sandbox.execute_cells(
        ["import os; x = 6; os.getppid()", "import os, signal; os.kill(os.getppid(), signal.SIGKILL)", "x * 7",
         "import os, signal; os.kill(os.getppid(), signal.SIGSTOP); 'still here'", "x + 1"], slot)
    assert values(outputs[0]) == ["1"]  # the run's parent is the zygote, pid 1
    assert not [o for o in outputs[1] if o["output_type"] == "error"], outputs[1]
    assert values(outputs[2]) == ["42"]
    assert values(outputs[3]) == ["'still here'"]
    assert values(outputs[4]) == ["7"]
    assert values(sandbox.execute_cells(["6 * 7"], slot)[0]) == ["42"]


@pytest.mark.parametrize("draw", [False, True])
def test_figures_are_drawn_only_when_asked(draw):
    limits = sandbox.Limits(cell_timeout=30, notebook_timeout=60, draw_figures=draw)
    slot = sandbox.Slot([], limits)
    try:
        outputs = sandbox.execute_cells(
            ["%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()"], slot)
    finally:
        slot.close()
    shown = [o["data"] for o in outputs[0] if o["output_type"] == "display_data"]
    assert len(shown) == 1, outputs
    assert ("image/png" in shown[0]) == draw
    if not draw:
        assert "not drawn while grading" in shown[0]["text/plain"]


def test_fonts_opened_at_warm_up_close_cleanly_in_a_run(slot):
    """The zygote's matplotlib holds its fonts' files open; a run that frees them (a new figure with
    text, garbage collection) must not print "Bad file descriptor" into the student's cell."""
    code = ("import gc, matplotlib.pyplot as plt, matplotlib.font_manager as fm\n"
            "fm._get_font.cache_clear()\nfig, ax = plt.subplots()\nax.set_title('z')\nax.set_xlabel('a = f(z)')\n"
            "plt.tight_layout()\nplt.close(fig)\ngc.collect()\nprint('done')")
    outputs = sandbox.execute_cells([code], slot)
    text = "".join(o.get("text", "") for o in outputs[0] if o["output_type"] == "stream")
    assert "done" in text and "Bad file descriptor" not in text and "Exception ignored" not in text, outputs


def test_tmp_is_capped():
    slot = sandbox.Slot([], sandbox.Limits(cell_timeout=30, notebook_timeout=60, tmp_mb=16, file_size_mb=64))
    try:
        outputs = sandbox.execute_cells(["open('/tmp/big', 'wb').write(b'0' * 2**25)"], slot)
    finally:
        slot.close()
    assert any(o["output_type"] == "error" and "No space left" in o["evalue"] for o in outputs[0]), outputs


# ---------------------------------------------------------------- a hostile student, run after run
# Each attack runs in the same warm sandbox (one Slot for the module, as one grading worker
# has), and the NEXT run must see exactly what a fresh sandbox shows, and work.

PROBE = r"""
import json, os, resource
""" + NOT_OURS + r"""
def mode(path):
    try:
        return oct(os.lstat(path).st_mode)
    except OSError as error:
        return error.errno
def listing(path):
    try:
        return sorted(os.listdir(path))
    except OSError as error:
        return error.errno
def tree(root):
    found, device = [], os.stat(root).st_dev
    for folder, dirs, files in os.walk(root):
        # Not into other file systems: the environment is mounted below /tmp when the
        # repository lives there (a clone in /tmp), and it is read-only anyway.
        names = sorted(dirs + files)
        dirs[:] = [d for d in dirs if os.lstat(os.path.join(folder, d)).st_dev == device]
        for name in names:
            path = os.path.join(folder, name)
            found.append([path, mode(path), os.lstat(path).st_size if name in files else 0,
                          open(path).read() if name in files and path.startswith('./') else None])
    return sorted(found)
def xattrs(path):
    try:
        return os.listxattr(path)
    except OSError as error:
        return error.errno
seen = {"cwd": os.getcwd(), "mounts": [line.split()[4:] for line in open("/proc/self/mountinfo")],
        "others": _others(),
        "ipc": [len(open("/proc/sysvipc/" + kind).readlines()) for kind in ("shm", "msg", "sem")],
        "root": listing("/"), "opt": listing("/opt"), "dev": listing("/dev"), "umask": os.umask(0o22),
        "process": [[name, resource.getrlimit(getattr(resource, name))] for name in dir(resource)
                    if name.startswith("RLIMIT_")] + [os.getpriority(os.PRIO_PROCESS, 0),
                    sorted(os.sched_getaffinity(0)), open("/proc/self/oom_score_adj").read(),
                    open("/proc/self/comm").read()]}
for name, path in (("scratch", "."), ("tmp", "/tmp"), ("shm", "/dev/shm")):
    seen[name] = [mode(path), xattrs(path), tree(path)]
print("PROBE" + json.dumps(seen))
"""


def probe(slot):
    outputs = sandbox.execute_cells([PROBE], slot)[0]
    text = "".join(o.get("text", "") for o in outputs if o["output_type"] == "stream")
    assert "PROBE" in text, outputs
    return json.loads(text.split("PROBE", 1)[1])


def printed(outputs, marker="RESULT"):
    text = "".join(o.get("text", "") for o in outputs if o["output_type"] == "stream")
    assert marker in text, outputs
    return json.loads(text.split(marker, 1)[1].splitlines()[0])


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """One warm sandbox for all attacks, with a course file and, as when the repository and its
    environment live in /tmp, a read-only mount below /tmp (/tmp/env/lib)."""
    folder = tmp_path_factory.mktemp("hostile")
    (folder / "course.py").write_text("ANSWER = 42\n")
    (folder / "env").mkdir()
    (folder / "env" / "site.py").write_text("# the environment\n")
    patch = pytest.MonkeyPatch()
    mounts = sandbox._python_mounts
    patch.setattr(sandbox, "_python_mounts", lambda: mounts() + ["--ro-bind", str(folder / "env"), "/tmp/env/lib"])
    limits = sandbox.Limits(cell_timeout=20, notebook_timeout=120, memory_mb=1024, scratch_mb=8, tmp_mb=8)
    slot = sandbox.Slot([folder / "course.py"], limits)
    try:
        sandbox.execute_cells(["1"], slot)
        fresh = probe(slot)
        assert fresh["scratch"][2] == [["./course.py", "0o100644", 12, "ANSWER = 42\n"]], fresh["scratch"]
        # (When the repository lives in /tmp, the folders leading to its environment's mount are there too.)
        ours = {str(parent) for path in (sys.prefix, sys.base_prefix, os.path.realpath(sys.executable))
                for parent in [Path(path), *Path(path).parents] if str(parent).startswith("/tmp/")}
        assert [p for p, *_ in fresh["tmp"][2] if p not in ours] == ["/tmp/env", "/tmp/env/lib"]
        yield slot, fresh
    finally:
        slot.close()
        patch.undo()


WRITE_EVERYWHERE = r"""
import json, os
result = {}
for path in ["/x", "/opt/x", "/opt/course/x", "/opt/course/course.py", "/opt/grader/runner.py", "/root/x",
             "/usr/x", "/dev/x", "/dev/null2", "/proc/sys/kernel/hostname", "/submission/../x"]:
    try:
        open(path, "a").write("x")
        result[path] = "WROTE"
    except OSError as error:
        result[path] = error.strerror
for path in ["/var", "/etc", "/home", "/opt/new", "/dev/new", "/tmp2"]:
    try:
        os.mkdir(path)
        result[path] = "WROTE"
    except OSError as error:
        result[path] = error.strerror
for source, target in [("/opt", "/opt2"), ("/usr", "/usr2"), ("/tmp", "/tmp2"), ("/submission", "/s2"),
                       ("/dev/shm", "/dev/shm2"), ("/opt/course", "/opt/c2"), ("/dev", "/dev2"), ("/proc", "/p2")]:
    try:
        os.rename(source, target)
        result[source] = "WROTE"
    except OSError as error:
        result[source] = error.strerror
result["core_pattern"] = "WROTE" if os.access("/proc/sys/kernel/core_pattern", os.W_OK) else "no"
open("/dev/null", "w").write("still works")
print("RESULT" + json.dumps(result))
"""

KEYS_AND_QUEUES = r"""
import ctypes, json, platform
libc = ctypes.CDLL(None, use_errno=True)
calls = {"x86_64": (248, 240), "aarch64": (217, 180)}[platform.machine()]
key = libc.syscall(calls[0], b"user", b"left_behind", b"answers", 7, -4)  # add_key to the user keyring
queue = libc.syscall(calls[1], b"left_behind", 0o100 | 2, 0o600, None)  # mq_open(O_CREAT | O_RDWR)
print("RESULT" + json.dumps([key, queue]))
"""

MOUNT_POINT_MOVED = "import os; os.rename('/tmp/env', '/tmp/moved'); os.makedirs('/tmp/env/lib')"
FIND_REPLY_PIPE = """
import fcntl, os, stat
def reply_pipes():
    for fd in range(3, 256):
        try:
            if stat.S_ISFIFO(os.fstat(fd).st_mode) and fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY:
                yield fd
        except OSError:
            pass
"""

FIND_TEMPLATE = """
import os, resource, signal
def _comm(pid):
    try:
        return open(f'/proc/{pid}/comm').read().strip()
    except OSError:
        return None
def _named(name):
    import time
    for _ in range(500):  # the spare is made while the run starts
        found = [int(p) for p in os.listdir('/proc') if p.isdigit() and _comm(p) == name]
        if found:
            return found
        time.sleep(0.01)
template, = _named('runner-template')
spare, = _named('runner-spare')
"""

# name -> (cells, whether the sandbox must be replaced (True) or cleaned (False))
ATTACKS = {
    "write_into_root_opt_usr_dev": ([WRITE_EVERYWHERE], False),
    "chmod_scratch_tmp_shm": (["import os\nfor p in ('.', '/tmp', '/dev/shm'): os.chmod(p, 0)"], False),
    "chmod_folder_holding_a_mount_point": (["import os; os.chmod('/tmp/env', 0); os.chmod('/tmp', 0)"], False),
    "leave_files_everywhere_writable": (["import os\nfor d in ('.', '/tmp', '/dev/shm', '/tmp/env'):\n"
                                         "    os.makedirs(d + '/a/b', exist_ok=True)\n"
                                         "    open(d + '/a/b/secret', 'w').write('answers')\n"
                                         "    os.symlink('/opt/course', d + '/link'); os.mkfifo(d + '/fifo')\n"
                                         "    os.chmod(d + '/a', 0)\n"
                                         "os.remove('course.py'); os.symlink('/tmp/a', 'course.py')"], False),
    "replace_a_course_file": (["open('course.py', 'w').write('ANSWER = 0\\n')"], False),
    "very_deep_folders": (["import os\nos.chdir('/tmp')\nfor _ in range(2500):\n    os.mkdir('d' * 200)\n"
                           "    os.chdir('d' * 200)\nopen('leaf', 'w').write('x')"], False),
    "too_many_files": (["for i in range(30_000): open(f'/tmp/{i}', 'w').close()"], True),
    "fill_the_scratch_folder": (["open('big', 'wb').write(b'0' * 2**24)"], False),
    "fill_tmp_and_shm": (["for p in ('/tmp/big', '/dev/shm/big'):\n    try:\n"
                          "        open(p, 'wb').write(b'0' * 2**24)\n    except OSError:\n        pass"], False),
    "rename_a_folder_holding_a_mount_point": ([MOUNT_POINT_MOVED], True),
    "extended_attribute_on_tmp": (["import os; os.setxattr('/tmp', 'user.secret', b'answers')"], True),
    "sysv_shared_memory_left_behind": (["import ctypes; ctypes.CDLL(None).shmget(1234, 4096, 0o1666)"], True),
    "keyring_and_message_queue": ([KEYS_AND_QUEUES], False),
    "background_process": (["import subprocess; subprocess.Popen(['sleep', '600'], start_new_session=True)"], False),
    "reply_line_longer_than_the_limit": ([FIND_REPLY_PIPE + "for fd in reply_pipes(): os.write(fd, b'x' * "
                                          f"({protocol.MAX_LINE} + 10))"], False),
    # The template the runs are forked from: a run can signal it and change what a fork inherits.
    "kill_the_template": ([FIND_TEMPLATE + "os.kill(template, signal.SIGKILL)"], True),
    "interrupt_the_template": ([FIND_TEMPLATE + "os.kill(template, signal.SIGINT)"], True),
    "stop_the_template": ([FIND_TEMPLATE + "os.kill(template, signal.SIGSTOP)"], False),
    "lower_the_templates_limits": ([FIND_TEMPLATE + "resource.prlimit(template, resource.RLIMIT_NOFILE, (64, 64))"],
                                   True),
    "renice_and_pin_the_template": ([FIND_TEMPLATE + "os.setpriority(os.PRIO_PROCESS, template, 19)\n"
                                     "os.sched_setaffinity(template, {min(os.sched_getaffinity(0))})"], True),
    "raise_the_templates_oom_score": ([FIND_TEMPLATE + "open(f'/proc/{template}/oom_score_adj', 'w').write('900')"],
                                      True),
    # ... and the spare (the next run, waiting): the next run is a fresh spare instead.
    "kill_the_spare": ([FIND_TEMPLATE + "os.kill(spare, signal.SIGKILL)"], False),
    "stop_the_spare": ([FIND_TEMPLATE + "os.kill(spare, signal.SIGSTOP)"], False),
    "interrupt_the_spare": ([FIND_TEMPLATE + "os.kill(spare, signal.SIGINT)"], False),
    "change_the_spare": ([FIND_TEMPLATE + "resource.prlimit(spare, resource.RLIMIT_NOFILE, (64, 64))\n"
                          "os.setpriority(os.PRIO_PROCESS, spare, 19)\n"
                          "open(f'/proc/{spare}/oom_score_adj', 'w').write('900')"], False),
}


STOPPED_PARENT = """
import json, os, signal, sys, time
sys.path.insert(0, sys.argv[1])
import runner
done, told = os.pipe()
template = os.fork()
if template == 0:  # as the template is when a run stops it before it reaps its intermediate
    intermediate = os.fork()
    if intermediate == 0:
        os._exit(0)
    os.kill(os.getpid(), signal.SIGSTOP)
    os.waitpid(intermediate, 0)
    os.write(told, b"reaped")
    os._exit(0)
os.close(told)  # the template's alone: killed, it tells nothing
run = os.fork()
if run == 0:  # the run's own process, to be killed
    time.sleep(600)
    os._exit(0)
def state(pid):
    return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
children = []
while not children or state(template) != "T" or state(children[0]) != "Z":
    time.sleep(0.01)
    children = open(f"/proc/{template}/task/{template}/children").read().split()
reaped = runner._kill_everything(True, [template])
print(json.dumps({"reaped": sorted(reaped), "template": template, "run": run, "told": os.read(done, 16).decode()}))
"""


def test_killing_a_run_spares_a_stopped_templates_zombie_child():
    """A run that stops the template between its intermediate's exit and its reaping leaves a
    zombie only the template can reap: the kill loop must not wait for it and, after 1,000
    tries, kill the template too (a clean-clone CI run lost its template so: stop_the_template)."""
    import subprocess

    command = [sandbox.bwrap_path(), *sandbox._isolation_flags(), "--ro-bind", "/", "/", "--proc", "/proc",
               "--dev", "/dev", sys.executable, "-I", "-c", STOPPED_PARENT, str(ROOT / "autograder")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["run"] in found["reaped"] and found["template"] not in found["reaped"], found
    assert found["told"] == "reaped", found  # continued, it reaped its own child


@pytest.mark.parametrize("name", list(ATTACKS))
def test_the_next_run_sees_a_pristine_sandbox(hostile, name):
    slot, fresh = hostile
    cells, replaced = ATTACKS[name]
    before = len(slot.replaced)
    outputs = sandbox.execute_cells(cells, slot)
    errors = [o["evalue"] for cell in outputs for o in cell if o["output_type"] == "error"]
    if name.startswith(("fill_the_scratch", "reply_line")):
        assert len(errors) == 1, errors
    else:
        assert not errors, errors  # the attack did what it meant to
    if name == "write_into_root_opt_usr_dev":
        result = printed(outputs[0])
        assert "WROTE" not in result.values(), result
    if name == "keyring_and_message_queue":
        assert printed(outputs[0]) == [-1, -1]
    if name.startswith("fill_the_scratch"):
        assert any(o["output_type"] == "error" and "No space left" in o["evalue"] for o in outputs[0]), outputs
    if name.startswith("reply_line"):
        assert outputs[0][0]["ename"] == "KernelDied" and "more than 32 MB" in outputs[0][0]["evalue"], outputs
    assert probe(slot) == fresh
    assert values(sandbox.execute_cells(["import course; course.ANSWER"], slot)[0]) == ["42"]
    assert (len(slot.replaced) > before) == replaced, slot.replaced[before:]  # (by then: see the template's)
    if replaced and "template" in name:  # the spare made before the attack is the next run; then the template says
        assert "template" in slot.replaced[-1], slot.replaced[before:]


def test_the_host_shares_no_writable_folder_with_the_sandbox(hostile):
    slot, _ = hostile
    outputs = sandbox.execute_cells(["open('written_inside', 'w').write('x')\n"
                                     "[l.split()[-3] for l in open('/proc/self/mountinfo') if l.split()[4] == "
                                     "'/submission']"], slot)
    assert values(outputs[0]) == ["['tmpfs']"]
    assert not [p for p in slot.folder.rglob("*") if p.name == "written_inside"]


def test_a_giant_value_or_many_displays_are_cut_to_the_cap(hostile):
    slot, _ = hostile
    cap = slot.limits.output_kb * 1024
    outputs = sandbox.execute_cells(
        ["print('before'); 'x' * 50_000_000",
         "from IPython.display import display\nfor i in range(2000): display('y' * 10_000)",
         "from IPython.display import display, HTML\nfor i in range(5): display(HTML('z' * 10_000_000))",
         "raise ValueError('v' * 50_000_000)",
         "2.0"], slot)
    for cell in outputs:
        assert protocol.outputs_size(cell) <= cap + 1000, [protocol.output_size(o) for o in cell]
    assert outputs[0][0]["text"] == "before\n" and "output cut" in outputs[0][1]["data"]["text/plain"]
    assert "output cut" in json.dumps(outputs[2])
    assert outputs[3][-1]["ename"] == "ValueError" and len(outputs[3][-1]["evalue"]) <= 2000
    assert values(outputs[4]) == ["2.0"]


def test_a_forged_reply_is_cut_by_the_grader_too(hostile):
    slot, _ = hostile
    forged = {"outputs": [{"output_type": "stream", "name": "stdout", "text": "x" * 10_000_000},
                          {"output_type": "display_data", "data": {"text/html": "y" * 10_000_000}, "metadata": {}}]}
    outputs = sandbox.execute_cells(
        [FIND_REPLY_PIPE + f"for fd in reply_pipes(): os.write(fd, {json.dumps(forged)!r}.encode() + b'\\n')\n"
         "os._exit(0)"], slot)
    assert protocol.outputs_size(outputs[0]) <= slot.limits.output_kb * 1024 + 1000
    assert outputs[0][0]["text"].startswith("xxx") and "output cut" in json.dumps(outputs[0])


def test_a_notebooks_outputs_are_capped_but_errors_and_scores_stay(tmp_path):
    limits = sandbox.Limits(cell_timeout=20, notebook_timeout=120, memory_mb=1024, output_kb=64,
                            notebook_output_kb=256)
    slot = sandbox.Slot([], limits)
    try:
        cells = ["print('p' * 60_000)"] * 10 + ["1 / 0", "print('late'); 2.0"]
        outputs = sandbox.execute_cells(cells, slot)
    finally:
        slot.close()
    total = sum(protocol.outputs_size(cell) for cell in outputs)
    assert total <= 256 * 1024 + 2 * protocol.MIN_ERROR + 2000, total
    assert outputs[0][0]["text"] == "p" * 60_000 + "\n"
    assert "this notebook's outputs passed 256 KB" in json.dumps(outputs[5:])
    assert outputs[10][-1]["ename"] == "ZeroDivisionError"
    assert values(outputs[11]) == ["2.0"]


def test_the_new_limits_are_configured():
    from traitlets.config import Config

    config = Config()
    namespace = {"get_config": lambda: config, "__file__": str(ROOT / "nbgrader_config.py")}
    exec((ROOT / "nbgrader_config.py").read_text(), namespace)  # noqa: S102 - the course's own config
    limits = sandbox.Limits.from_config(config)
    assert (limits.scratch_mb, limits.notebook_output_kb, limits.output_kb) == (256, 2048, 256)
    assert (sandbox.Limits().scratch_mb, sandbox.Limits().notebook_output_kb) == (256, 2048)


def test_objects_cross_as_plain_data_both_ways():
    """An objects run (the trusted checks' side): the grader's arrays go in as they are (NaN
    too), the student's come back through protocol.py, which refuses NaN from the sandbox."""
    slot = sandbox.Slot([ROOT / "utils.py"], sandbox.Limits(cell_timeout=20, notebook_timeout=60, memory_mb=1024))
    try:
        run = slot.start_run("objects")
        run.request({"op": "define", "source": "class Count:\n    def nans(self, x):\n"
                                                "        return np.isnan(x).sum()\n    def same(self, x):\n"
                                                "        return x"}, 20)
        handle = run.request({"op": "new", "cls": "Count", "args": []}, 20)["handle"]
        array = protocol.encode_array([np.nan, 1.0, np.inf])
        reply = run.request({"op": "call", "handle": handle, "name": "nans", "args": [array]}, 20)
        assert protocol.decode_array(reply["value"]) == 1.0
        reply = run.request({"op": "call", "handle": handle, "name": "same", "args": [array]}, 20)
        with pytest.raises(protocol.ProtocolError, match="^Count.same contains NaN or inf values$"):
            protocol.decode_array(reply["value"], what="Count.same")
        reply = run.request({"op": "apply", "name": "Count", "args": [], "items": 0}, 20)
        assert "value" not in reply and "float()" in reply["error"]  # an object is no data: the call fails
        run.close()
    finally:
        slot.close()


# ---------------------------------------------------------------- nothing of a run in the next one's memory
# Every run is a fork, so it starts with a copy of some process's memory. The zygote relays
# every run's traffic (answer cells, outputs, arrays) and Python cannot scrub what it freed:
# the runs must come from a process that never read any of it (runner.py's template).

SCAN_MEMORY = r"""
import json
import os
import sys
def _scan(needles):
    # The needles come as two halves each, XOR-ed: neither this cell's source nor its objects
    # hold a whole needle, so a hit is a copy the run inherited.
    halves = {name: [bytes(c ^ 0x5A for c in half) for half in pair] for name, pair in needles.items()}
    found = dict.fromkeys(halves, 0)
    regions = [line.split() for line in open('/proc/self/maps')]
    scanned = 0
    with open('/proc/self/mem', 'rb', 0) as mem:
        for parts in regions:
            if not parts[1].startswith('r'):
                continue
            start, end = (int(x, 16) for x in parts[0].split('-'))
            at = start
            while at < end:
                size = min(end - at, 8 << 20)
                try:
                    mem.seek(at)
                    data = mem.read(min(size + 256, end - at))  # overlapping: a needle across two reads
                except (OSError, ValueError, OverflowError):
                    break  # [vvar] and the like
                scanned += len(data)
                for name, (first, second) in halves.items():
                    hit = data.find(first)
                    while hit >= 0:
                        tail = hit + len(first)
                        if hit < size and data[tail:tail + len(second)] == second:
                            found[name] += 1
                        hit = data.find(first, hit + 1)
                at += size
    print("SCAN" + json.dumps({"found": found, "scanned_mb": scanned >> 20}))
"""


def _obscured(needle):
    """`needle` (bytes) as two XOR-ed halves, for SCAN_MEMORY."""
    middle = len(needle) // 2
    return [[c ^ 0x5A for c in needle[:middle]], [c ^ 0x5A for c in needle[middle:]]]


def test_a_run_inherits_no_byte_of_an_earlier_run(slot):
    import base64
    import secrets

    secret = secrets.token_hex(16)  # 32 bytes (hex of 16 random ones), in every form the wire carries them
    printed_text = secret[:16] + '"\n' + secret[16:]  # JSON escapes it: \" and \n
    as_array = np.frombuffer(secret.encode(), dtype="<f8")  # its float64 bytes are the secret: base64 on the wire
    needles = {"raw": secret.encode(), "json-escaped": json.dumps(printed_text)[1:-1].encode(),
               "base64": base64.b64encode(secret.encode())}
    assert protocol.encode_array(as_array)["data"].encode() == needles["base64"]

    # Run A, a notebook: the secret in a cell's source, its printed output, its value, a JSON-
    # escaped output and an output near the cap (cut to output_kb on the way out).
    cells = [f"secret = {secret!r}\nprint(secret)\nsecret", f"print({printed_text!r})",
             f"print(({secret!r} + '\\n' + {printed_text!r} + '\\n') * 3500)",
             "import numpy as np\nnp.frombuffer(secret.encode(), '<f8')"]
    replies = []

    def trusted_checks(run):  # then, as the trusted checks do: arrays both ways (base64), DATA back
        assert run.request({"op": "objects"}, 20) == {"ok": True}
        run.request({"op": "define", "source": "def leak():\n    return np.frombuffer(secret.encode(), '<f8').copy()\n"
                                                "def echo(x):\n    return x\ndef name():\n    return secret"}, 20)
        replies.append(run.request({"op": "apply", "name": "leak", "args": []}, 20))
        replies.append(run.request({"op": "apply", "name": "echo", "args": [protocol.encode_array(as_array)]}, 20))
        replies.append(run.request({"op": "apply", "name": "name", "args": []}, 20))

    outputs = sandbox.execute_cells(cells, slot, after=trusted_checks)
    assert values(outputs[0]) == [repr(secret)] and outputs[1][0]["text"] == printed_text + "\n"
    assert secret in outputs[2][0]["text"] and protocol.outputs_size(outputs[2]) > 250_000
    assert [reply["value"] for reply in replies] == [{"shape": [4], "data": needles["base64"].decode()}] * 2 + \
        [{"str": secret}]

    # Run B, the next one in the same sandbox: every byte it can read of its own memory.
    scan = SCAN_MEMORY + f"_scan({ {name: _obscured(n) for name, n in needles.items()} !r})"
    outputs = sandbox.execute_cells([scan], slot)
    report = printed(outputs[0], "SCAN")
    assert report["scanned_mb"] > 50, report  # it did read its memory (numpy, IPython, ... are in it)
    assert report["found"] == {"raw": 0, "json-escaped": 0, "base64": 0}, report


def test_the_memory_scan_finds_what_a_run_holds(slot):
    """The scan of the test above, on a run that holds the needles itself: it finds them."""
    needles = {"here": b"0123456789abcdef0123456789ABCDEF"}
    scan = SCAN_MEMORY + f"_kept = bytes(range(48, 58)) + b'abcdef0123456789ABCDEF'\n" \
                         f"_scan({ {name: _obscured(n) for name, n in needles.items()} !r})"
    report = printed(sandbox.execute_cells([scan], slot)[0], "SCAN")
    assert report["found"]["here"] >= 1, report
