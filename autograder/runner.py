"""Runs a student's notebook cells, one request at a time, inside the sandbox.

This file is the only grader code that runs next to student code. It is started as
`python -I runner.py --zygote --course DIR --scratch DIR` (see sandbox.py), with
protocol.py next to it: the framing, the requests and replies, the codecs and every limit
are described and implemented there, once, for both sides.

The zygote copies the course's files from DIR into the scratch folder (its working
directory), imports numpy, IPython, matplotlib and the assignment's modules once, then
starts a fresh child for every run it is asked for (one student's notebook, or one class
of a trusted check; a fork of its untouched template, below) and relays that child's
requests and replies. After a run it kills
every other process of the sandbox and empties /tmp and /dev/shm; before the next it
refills the scratch folder with the course's files only and checks that the sandbox is
as it was at its start (mounts, /tmp, /dev/shm, the scratch folder, SysV IPC, the Python
environment). When it is not, it says so (`altered`) instead of forking, and the grader
replaces the whole sandbox: no run starts in a sandbox an earlier one changed.

No run starts with a byte of an earlier run in its memory. The zygote reads every run's
traffic while it relays it (answer cells, arrays, outputs), and Python cannot scrub what it
freed, so runs are never forked from the zygote: at the end of its warm-up it forks a
TEMPLATE, a copy of itself that never reads anything of a run. The template makes SPARES:
a fork of itself, made through an intermediate fork that exits at once, so that the spare
is reparented to the zygote (a child subreaper). A spare waits, idle, on a socketpair of
its own; for a run, the zygote hands it the run's two pipe ends (SCM_RIGHTS) and the mode,
and the spare becomes the run, the zygote's child, as if the zygote had forked it (the
zygote waits for it, kills it, is its parent: getppid). Meanwhile the template makes the
next spare, so a fork costs no fork at all. The template and the spare stay alive across
runs (between runs the zygote stops, kills and reaps every other process). A run may
signal them or change what a fork inherits (rlimits, priority, CPU affinity, scheduling,
oom score): a spare that was changed or killed is replaced by a new one, and a template
that was changed or killed makes the next fork say `altered` (the grader replaces the
sandbox). Run data reaches neither: they read nothing but the zygote's requests.

The child cannot write the zygote's lines: the zygote prefixes whatever it says with `C`,
and the zygote, the template and the spare are not dumpable, so their memory and
descriptors cannot be reached through /proc, ptrace or process_vm_readv.
Student code gets fresh stdout/stderr streams (captured per cell), its fds 0, 1 and 2
point at /dev/null, so a stray write cannot break a reply, and input() finds no input.
Nothing a child says is trusted: the grader only reads outputs from it.
"""

import os
import sys


def _import_protocol():
    """protocol.py from this file's folder (`python -I` puts no folder on sys.path)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    try:
        import protocol
    finally:
        del sys.path[0]
    return protocol


protocol = _import_protocol()
ProtocolError = protocol.ProtocolError


def _protocol_stream():
    """Keep the original stdout for the zygote's lines; point fds 1 and 2 at /dev/null."""
    reply_fd = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)
    return os.fdopen(reply_fd, "wb")


def _shell():
    import numpy  # noqa: F401 - imported before the scratch folder is on sys.path: no shadowing
    from IPython.core.displayhook import DisplayHook
    from IPython.core.interactiveshell import InteractiveShell

    class QuietDisplayHook(DisplayHook):
        """Keeps the cell's value (shell.last_value) without printing `Out[n]:`."""

        def write_output_prompt(self):
            pass

        def write_format_data(self, format_dict, md_dict=None):
            pass

    class Shell(InteractiveShell):
        def enable_gui(self, gui=None):
            """No event loop here: `%matplotlib inline` needs none, GUI backends are refused."""
            if gui not in (None, "inline"):
                raise RuntimeError(f"the grader has no screen: %matplotlib {gui} is not available")

    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False  # no history database, no saving thread (the zygote forks)
    shell = Shell.instance(config=config, displayhook_class=QuietDisplayHook, colors="nocolor")
    if os.environ.get("RUNNER_DRAW_FIGURES", "1") != "1":
        _figures_as_text(shell.display_formatter)
    return shell


def _figures_as_text(formatter):
    """Show a matplotlib figure as one line of text instead of drawing it (grading needs no pixels)."""
    from matplotlib.figure import Figure

    original = formatter.format

    def format(obj, include=None, exclude=None):
        if isinstance(obj, Figure):
            width, height = obj.get_size_inches()
            text = f"<Figure {width:g}x{height:g} in with {len(obj.axes)} Axes (not drawn while grading)>"
            return {"text/plain": text}, {}
        return original(obj, include=include, exclude=exclude)

    formatter.format = format


LIMIT = int(os.environ.get("RUNNER_OUTPUT_KB", "256")) * 1024
NOTE = f"... (output cut: more than {LIMIT // 1024} KB in this cell)"


class _Channel:
    """One run's requests (from the grader, through the zygote) and replies (to it)."""

    def __init__(self, requests, replies):
        self.requests, self.replies = requests, replies

    def __iter__(self):
        """Each request line, until the grader closes the pipe."""
        while True:
            line = self.requests.readline()
            if not line:
                return
            yield line

    def receive(self):
        """The next message (the grader's answer to a callback); ProtocolError when there is none."""
        line = self.requests.readline()
        if not line:
            raise ProtocolError("the grader is gone")
        return protocol.loads(line, allow_nonfinite=True)  # the grader's: trusted, may hold NaN

    def send(self, message, fallback=None):
        """Send `message`, or `fallback` (an error) when it cannot be sent as it is."""
        try:
            line = protocol.dumps(message)
        except ProtocolError as error:
            line = protocol.dumps(fallback or {"error": f"the answer could not be sent back: {error}", "output": ""})
        self.replies.write(line + b"\n")
        self.replies.flush()


def _outputs(shell, captured, result):
    """The nbformat outputs of one cell, at most LIMIT bytes in all (protocol.cap_outputs)."""
    outputs = []
    if captured.stdout:
        outputs.append({"output_type": "stream", "name": "stdout", "text": captured.stdout[:LIMIT + 1]})
    if captured.stderr:
        outputs.append({"output_type": "stream", "name": "stderr", "text": captured.stderr[:LIMIT + 1]})
    for item in captured.outputs[:protocol.MAX_DISPLAYS]:
        outputs.append({"output_type": "display_data", "data": _bundle(item.data),
                        "metadata": _bundle(item.metadata or {})})
    if len(captured.outputs) > protocol.MAX_DISPLAYS:
        more = len(captured.outputs) - protocol.MAX_DISPLAYS
        outputs.append({"output_type": "display_data", "metadata": {},
                        "data": {"text/plain": f"... ({more} more displayed outputs not kept)"}})
    error = result.error_before_exec or result.error_in_exec
    if error is not None:
        outputs.append({"output_type": "error", "ename": type(error).__name__,
                        "evalue": str(error)[:2000], "traceback": _traceback(shell, error)})
    elif result.result is not None:
        data, metadata = shell.display_formatter.format(result.result)
        outputs.append({"output_type": "execute_result", "execution_count": None,
                        "data": _bundle(data), "metadata": _bundle(metadata)})
    return protocol.cap_outputs(outputs, LIMIT, NOTE)


def _traceback(shell, error):
    import traceback

    lines = traceback.format_exception(type(error), error, error.__traceback__)
    return [line.rstrip("\n")[:1000] for line in lines][-30:]


def _bundle(value):
    """A mime bundle (or metadata) that can cross as JSON, each text at most LIMIT + 1 long."""
    try:
        value = {key: item[:LIMIT + 1] if isinstance(item, str) else item for key, item in dict(value).items()}
        protocol.dumps(value)  # JSON, no NaN, not too deep, not too large
        return value
    except Exception:  # noqa: BLE001 - whatever a student's formatter returned
        try:
            return {str(key)[:protocol.MAX_KEY]: str(item)[:LIMIT + 1] for key, item in dict(value).items()}
        except Exception:  # noqa: BLE001
            return {}


def _decode(value, objects=None, channel=None):
    """What the grader sent: a scalar, an ARRAY, an object of this run, a stand-in for one of the grader's."""
    if not isinstance(value, dict):
        return value
    if protocol.CALLBACK in value:  # an object of the trusted grader: calls to it cross back
        return _Stand_in(value[protocol.CALLBACK], channel, objects)
    if "items" in value:  # what a trusted iterator yielded: a list of tuples of arrays
        return [tuple(_decode(part) for part in item) for item in value["items"]]
    if "handle" in value and objects is not None:
        return objects[value["handle"]]
    return protocol.decode_array(value, what="what the grader sent", finite=False)  # trusted: NaN passes


class _Stand_in:
    """Stands for an object of the trusted grader (a recorder a check adds to a Model, the
    model, loss and optimizer a check hands to `train`, a reference function)."""

    def __init__(self, ident, channel, objects):
        self._ident, self._channel, self._objects = ident, channel, objects

    def _cross(self, method, *args, **kwargs):
        message = {protocol.CALLBACK: self._ident, "method": method, "args": [_plain_arg(a) for a in args],
                   "kwargs": {str(k): _plain_arg(v) for k, v in kwargs.items()}}
        line = protocol.dumps(message)  # ProtocolError (too large, say) is the caller's error
        self._channel.replies.write(line + b"\n")
        self._channel.replies.flush()
        answer = self._channel.receive()
        if "error" in answer:
            raise RuntimeError(answer["error"])
        return _decode(answer.get("value"), self._objects, self._channel)

    def forward(self, *args):
        return self._cross("forward", *args)

    def backward(self, *args):
        return self._cross("backward", *args)

    def step(self):
        return self._cross("step")

    def __call__(self, *args, **kwargs):
        return self._cross("__call__", *args, **kwargs)


def _plain_arg(value):
    """An argument for the grader: a number or string as it is, anything else as an array."""
    import numpy as np

    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, np.bool_):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    return _encode(value)


def _encode(value):
    """An ARRAY (protocol.encode_array), or None for what is no array: modules do not cross."""
    if value is None or isinstance(value, _Stand_in) or hasattr(value, "forward"):
        return None  # modules (add_module returns its argument) do not cross the wall
    return protocol.encode_array(value)


def _data(value):
    """A value as tagged plain data (protocol.encode_data), arrays through _encode."""
    return protocol.encode_data(value, leaf=_encode)


def _apply(function, kwargs, *args):
    return function(*args, **kwargs)


def _iterator_like(value):
    """A generator or iterator, or a list of tuples: what a mini-batch function gives back."""
    if hasattr(value, "__next__"):
        return True
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(isinstance(i, (list, tuple)) for i in value)


def _describe(error):
    import traceback

    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == "<answer>"]
    where = f" (line {frames[-1].lineno}: `{(frames[-1].line or '').strip()}`)" if frames else ""
    if isinstance(error, NotImplementedError):
        return "not implemented yet (it still raises NotImplementedError)"
    if isinstance(error, SystemExit):
        return "your code called exit(); remove that call"
    return f"raised {type(error).__name__}: {error}{where}"[:500]


def _watched(method, args):
    """Call `method`; return its value and the floating-point problems NumPy met on the way.

    The problems (overflow, divide by zero, invalid value: what a notebook shows as a
    RuntimeWarning; also any other warning) travel to the grader, whose checks may
    ask for warning-free code. Underflow (exp(-800) == 0.0) is harmless and not reported.
    """
    import warnings

    import numpy as np

    events = []
    with warnings.catch_warnings(record=True) as caught, np.errstate(
            over="call", divide="call", invalid="call", under="ignore", call=lambda kind, flag: events.append(kind)):
        warnings.simplefilter("always")
        value = method(*args)
    return value, sorted(set(events)) + sorted({str(w.message) for w in caught})[:10]


def serve_objects(channel, namespace=None):
    """The objects mode: the student's classes (or, after a notebook ran, the objects in its
    `namespace`), driven by the trusted checks."""
    import functools
    import io
    import itertools
    import warnings
    from contextlib import redirect_stderr, redirect_stdout

    import numpy as np

    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    if namespace is None:
        import utils

        namespace = {"np": np, "numpy": np, "Module": utils.Module, "__name__": "__main__"}
    objects = {}
    for line in channel:
        captured = io.StringIO()
        op = None
        try:
            request = protocol.loads(line, allow_nonfinite=True)
            op = request.get("op")
            with redirect_stdout(captured), redirect_stderr(captured), warnings.catch_warnings(), \
                    np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                if op == protocol.DEFINE:
                    exec(compile(request["source"], "<answer>", "exec"), namespace)
                    reply = {"ok": True}
                elif op == protocol.NEW:
                    cls = namespace[request["cls"]]
                    objects[len(objects) + 1] = cls(*[_decode(a, objects, channel) for a in request.get("args", [])])
                    reply = {"handle": len(objects)}
                elif op == protocol.SET:
                    setattr(objects[request["handle"]], request["name"], _decode(request["value"], objects, channel))
                    reply = {"ok": True}
                elif op == protocol.GET:
                    reply = {"value": _encode(getattr(objects[request["handle"]], request["name"]))}
                elif op == protocol.CALL:
                    method = getattr(objects[request["handle"]], request["name"])
                    args = [_decode(a, objects, channel) for a in request.get("args", [])]
                    value, problems = _watched(method, args)
                    reply = {"value": _encode(value), "problems": problems}
                elif op == protocol.APPLY:  # a student's function (e.g. accuracy, minibatches, train)
                    function = namespace[request["name"]]
                    args = [_decode(a, objects, channel) for a in request.get("args", [])]
                    kwargs = {str(k): _decode(v, objects, channel) for k, v in dict(request.get("kwargs", {})).items()}
                    saved = {}  # names the function finds in its globals during the call (the grader's helpers)
                    for name, value in dict(request.get("globals", {})).items():
                        if name in namespace:
                            saved[name] = namespace[name]
                            namespace[name] = _decode(value, objects, channel)
                    try:
                        value, problems = _watched(functools.partial(_apply, function, kwargs), args)
                        reply = {"problems": problems}
                        if not _iterator_like(value):
                            reply["value"] = _data(value)
                        elif int(request.get("items", 0)) <= 0:
                            reply["iterator"] = True  # not iterated (a generator's body has not run)
                        else:
                            reply["items"] = [[_encode(part) for part in item] if isinstance(item, (tuple, list))
                                              and len(item) <= 10 else None
                                              for item in itertools.islice(iter(value), int(request["items"]))]
                    finally:
                        namespace.update(saved)
                    # The array arguments as the function (and its iteration) left them.
                    reply["args"] = [_encode(a) if isinstance(a, np.ndarray) else None for a in args]
                elif op == protocol.VALUE:  # a variable as plain JSON data (see protocol.plain)
                    reply = {"value": protocol.plain(namespace.get(str(request.get("name"))))}
                elif op == protocol.LOOKUP:  # an object the notebook made, e.g. its `mlp`
                    if not isinstance(request.get("name"), str) or request["name"] not in namespace:
                        raise KeyError(request.get("name"))
                    objects[len(objects) + 1] = namespace[request["name"]]
                    reply = {"handle": len(objects)}
                elif op == protocol.MODULES:  # a model's sub-modules, in order: [[name, handle], ...]
                    modules = objects[request["handle"]].modules
                    if not isinstance(modules, dict):
                        raise AttributeError("modules is not a dict of named modules")
                    found = []
                    for name, module in list(dict.items(modules))[:100]:
                        objects[len(objects) + 1] = module
                        found.append([str(name)[:protocol.MAX_KEY], len(objects)])
                    reply = {"modules": found}
                else:
                    reply = {"error": f"unknown request {op!r}"}
        except AttributeError as error:
            reply = {"error": _describe(error), "missing": op in (protocol.GET, protocol.MODULES)}
        except KeyError as error:
            reply = {"error": f"{error} is not defined" if op in (protocol.NEW, protocol.LOOKUP) else _describe(error),
                     "missing": op == protocol.LOOKUP}
        except (Exception, SystemExit) as error:
            reply = {"error": _describe(error)}
        except BaseException as error:  # noqa: B036 - KeyboardInterrupt and friends from student code
            reply = {"error": _describe(error)}
        reply["output"] = captured.getvalue()[-LIMIT:]
        channel.send(reply)


_SHELL_METHODS = ("run_cell", "run_cell_async", "run_ast_nodes", "run_code", "transform_cell",
                  "showtraceback", "showsyntaxerror", "_showtraceback", "should_run_async")


def _hooks(shell):
    return {
        "lists": {name: list(getattr(shell, name)) for name in
                  ("input_transformers_cleanup", "input_transformers_post", "ast_transformers")},
        "displayhook": shell.displayhook,
        "display_formatter": shell.display_formatter,
    }


def _restore_hooks(shell, pristine):
    for name, items in pristine["lists"].items():
        getattr(shell, name)[:] = items
    for name in _SHELL_METHODS:
        shell.__dict__.pop(name, None)  # instance-level replacements of the shell's methods
    shell.displayhook = pristine["displayhook"]
    shell.display_formatter = pristine["display_formatter"]
    sys.displayhook = pristine["displayhook"]


def serve_cells(shell, channel):
    """Run notebook cells, one request at a time, in `shell`."""
    from IPython.utils.capture import capture_output

    pristine = _hooks(shell)
    for line in channel:
        try:
            request = protocol.loads(line, allow_nonfinite=True)
        except ProtocolError as error:
            channel.send({"error": str(error)})
            continue
        op = request.get("op")
        if op == protocol.OBJECTS:  # from now on, trusted checks drive the notebook's objects
            channel.send({"ok": True})
            serve_objects(channel, shell.user_ns)
            return
        if op == protocol.VALUE:  # a notebook variable, as plain data, for a trusted check
            channel.send({"value": protocol.plain(shell.user_ns.get(str(request.get("name"))))})
            continue
        if op != protocol.RUN or not isinstance(request.get("source"), str):
            channel.send({"error": f"unknown request {op!r}"})
            continue
        _restore_hooks(shell, pristine)  # a cell cannot rewrite how the next cells run
        with capture_output(stdout=True, stderr=True, display=True) as captured:
            result = shell.run_cell(request["source"], store_history=False, silent=False)
        outputs = _outputs(shell, captured, result)
        channel.send({"outputs": outputs}, fallback={"outputs": [
            {"output_type": "error", "ename": "OutputError", "evalue": "the cell's output could not be sent back",
             "traceback": []}]})


# ------------------------------------------------------------------ the zygote
def _warm_up():
    """Import what every run needs, once: numpy, IPython, matplotlib (fonts, mathtext), the course."""
    import glob

    import numpy  # before the scratch folder is on sys.path: no shadowing

    numpy.random.seed()  # its first call from OS entropy costs 25-70 ms of setting up; each run reseeds
    shell = _shell()
    sys.path.insert(0, os.getcwd())  # like a kernel: the notebook's folder is importable
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    if "--cold" in sys.argv:  # the grader's self-test: Python and IPython are enough
        return shell
    try:
        import matplotlib.pyplot as plt

        shell.run_line_magic("matplotlib", "inline")
        figure = plt.figure()
        figure.gca().set_title(r"$\sigma(z)$")
        figure.canvas.draw()  # loads the fonts and the mathtext parser before any fork
        plt.close(figure)
    except Exception:  # noqa: S110 - a course without matplotlib still runs
        pass
    for module in ("tqdm.auto", "IPython.display"):
        try:
            __import__(module)
        except Exception:  # noqa: S112
            continue
    for path in sorted(glob.glob("*.py")):  # the assignment's own files (the grader copied them)
        try:
            __import__(path[:-3])
        except BaseException:  # noqa: S112, B036 - a module that needs more than an import is imported later
            continue
    return shell


def _prctl_not_dumpable():
    """Children cannot open the zygote's descriptors or memory through /proc."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: orphans come here
    except (OSError, AttributeError):
        pass


def _descendants(skip=()):
    """Pids of every living descendant of this process (orphans are reparented here), but
    those below the pids in `skip`."""
    found, todo = [], [os.getpid()]
    while todo:
        pid = todo.pop()
        if pid in skip:
            continue
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{pid}/task/{task}/children") as handle:
                    children = [int(n) for n in handle.read().split()]
            except OSError:
                continue
            found += children
            todo += children
    return found


def _zombie_of(pid, parents):
    """Whether `pid` has exited and waits to be reaped by one of `parents` (the template's
    intermediate, when a run stopped the template before it reaped it): only that parent can
    reap it, once it is continued, so killing it again is no use."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return False
    return fields[:1] == [b"Z"] and len(fields) > 1 and int(fields[1]) in parents


def _kill_everything(contained, spare=()):
    """Kill every process of this run and reap it; return the pids reaped (the template's
    or the spare's among them when a run killed it). The pids in `spare` (the template and
    the next run's spare, idle between runs) live on; they cannot be left out of kill(-1),
    so, in the sandbox, every other process of the PID namespace is stopped first, all at
    once (kill(-1, SIGSTOP): a process with a stop pending cannot fork, so none escapes),
    then killed one by one and reaped, until none is left but a spared one's zombie child;
    the spared ones are continued."""
    import signal
    import time

    me, reaped, spare = os.getpid(), set(), set(spare)
    for _ in range(1000):
        if contained:
            try:
                os.kill(-1, signal.SIGSTOP)  # everything in the PID namespace except init and us
            except ProcessLookupError:
                pass
            targets = [int(n) for n in os.listdir("/proc") if n.isdigit() and int(n) not in spare | {1, me}
                       and not _zombie_of(int(n), spare)]
        else:
            targets = [pid for pid in _descendants(spare) if pid not in spare]
        for pid in targets:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass  # gone already (or, impossibly, not ours to kill: then the loop runs out)
        try:
            while True:
                pid = os.waitpid(-1, os.WNOHANG)[0]
                if not pid:
                    break
                reaped.add(pid)
        except ChildProcessError:
            pass  # no child left at all (the spared ones too are gone)
        if not targets:
            break
        time.sleep(0.002)
    else:  # some process would not go: kill(-1) takes them all, the spared ones with them
        if contained:
            try:
                os.kill(-1, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in spare:  # no longer trusted: the next fork says `altered`
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        reaped |= spare
    for pid in spare - reaped:
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
    return reaped


def _tree(root):
    """What is below `root` on its own file system, as a comparable tuple: each entry's path,
    type, mode, owner, size (files) and extended attributes; a mount point only as one.
    More than MAX_ENTRIES entries, or one that cannot be read, makes it a different tuple."""
    import stat

    try:
        device = os.lstat(root).st_dev
    except OSError as error:
        return (("unreadable", root, error.errno),)
    found, todo = [], [""]
    while todo:
        relative = todo.pop()
        path = os.path.join(root, relative) if relative else root
        try:
            info = os.lstat(path)
            attributes = tuple(sorted(os.listxattr(path, follow_symlinks=False)))
        except OSError as error:
            found.append((relative, "unreadable", error.errno))
            continue
        if info.st_dev != device:
            found.append((relative, "mount"))
            continue
        kind = stat.S_IFMT(info.st_mode)
        found.append((relative, kind, info.st_mode, info.st_uid, info.st_gid,
                      info.st_size if stat.S_ISREG(info.st_mode) else 0, attributes))
        if len(found) > MAX_ENTRIES:
            return (("too many entries", root),)
        if stat.S_ISDIR(info.st_mode):
            try:
                todo += [os.path.join(relative, name) for name in os.listdir(path)]
            except OSError as error:
                found.append((relative, "unlistable", error.errno))
    return tuple(sorted(found, key=repr))


MAX_ENTRIES = 20_000  # files a run may leave for the zygote to remove; more: a fresh sandbox


def _clean(root, pristine):
    """Remove everything below `root` on its own file system but the folders of `pristine`
    (a _tree), and give those their modes back; never follow a link, never enter a mount
    point. Works on descriptors (any depth, any name length, whatever modes the run left).
    Returns False when it gave up (more than MAX_ENTRIES entries)."""
    import stat

    keep = {entry[0]: entry[2] for entry in pristine if entry[1] == stat.S_IFDIR}
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
    try:
        os.chmod(root, keep.get("", 0o700) | 0o700)
        device = os.lstat(root).st_dev
        fd = os.open(root, flags)
    except OSError:
        return False
    path, todo, seen = [], [os.listdir(fd)], 0
    try:
        while True:
            if todo[-1]:
                name = todo[-1].pop()
                seen += 1
                if seen > MAX_ENTRIES:
                    return False
                try:
                    info = os.stat(name, dir_fd=fd, follow_symlinks=False)
                except OSError:
                    continue
                if info.st_dev != device:
                    continue  # a mount point (the environment, mounted below /tmp): not the run's
                if not stat.S_ISDIR(info.st_mode):
                    try:
                        os.unlink(name, dir_fd=fd)
                    except OSError:
                        pass
                    continue
                try:
                    os.chmod(name, 0o700, dir_fd=fd)
                    child = os.open(name, flags, dir_fd=fd)
                except OSError:
                    continue
                os.close(fd)
                fd = child
                path.append(name)
                todo.append(os.listdir(fd))
                continue
            if not path:
                break
            parent = os.open("..", flags, dir_fd=fd)
            os.close(fd)
            fd = parent
            todo.pop()
            name = path.pop()
            relative = os.path.join(*path, name)
            try:
                if relative in keep:
                    os.chmod(name, keep[relative], dir_fd=fd)
                else:
                    os.rmdir(name, dir_fd=fd)  # fails, harmlessly, for a folder that holds a mount point
            except OSError:
                pass
    except OSError:
        return False
    finally:
        os.close(fd)
    try:
        os.chmod(root, keep.get("", 0o700))
    except OSError:
        return False
    return True


def _read(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as error:
        return f"unreadable: {error.errno}".encode()


def _sysvipc_left():
    """The kinds of SysV IPC object (shm, msg, sem) some run left in this IPC namespace."""
    return [kind for kind in ("shm", "msg", "sem") if len(_read(f"/proc/sysvipc/{kind}").splitlines()) > 1]


def _identity(path):
    try:
        info = os.stat(path)
        return info.st_dev, info.st_ino, info.st_mode, info.st_uid
    except OSError as error:
        return ("missing", error.errno)


def _status(status):
    if os.WIFSIGNALED(status):
        return {"signal": os.WTERMSIG(status)}
    return {"code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1}


TEMPLATE_NAME = b"runner-template"  # its /proc/<pid>/comm; a run gets the zygote's name back
SPARE_NAME = b"runner-spare"  # a fork of the template waiting to become the next run
INTERMEDIATE_NAME = b"runner-fork"  # the template's fork that forks the spare and exits


def _set_name(name):
    import ctypes

    try:
        ctypes.CDLL(None).prctl(15, ctypes.c_char_p(name[:15]), 0, 0, 0)  # PR_SET_NAME
    except (OSError, AttributeError):
        pass


def _process_attributes():
    """What a forked run inherits besides memory and files, and another process of the same
    user may change from outside: rlimits (prlimit), priority, CPU affinity, scheduling
    policy, oom score."""
    import resource

    limits = tuple((name, resource.getrlimit(getattr(resource, name))) for name in sorted(dir(resource))
                   if name.startswith("RLIMIT_"))
    return (limits, os.getpriority(os.PRIO_PROCESS, 0), tuple(sorted(os.sched_getaffinity(0))),
            os.sched_getscheduler(0), os.sched_getparam(0).sched_priority, _read("/proc/self/oom_score_adj"))


def _changed(attributes):
    """What of _process_attributes() differs from `attributes` (None when nothing)."""
    now = _process_attributes()
    changed = [what for what, a, b in zip(("rlimits", "priority", "CPU affinity", "scheduling policy",
                                           "scheduling priority", "oom score"), now, attributes) if a != b]
    return ", ".join(changed) or None


def _template(sock, zygote, attributes, name):
    """The template's life: make a spare for each request of the zygote, and nothing else.

    A request is one packet, b"spare"; the answer is b"S<pid>" with one end of a new
    socketpair (SCM_RIGHTS), the spare's channel, b"E<why>" when no spare could be made
    (a run killed the intermediate), or b"A<why>" when the template itself was changed from
    outside (the sandbox must be replaced). The spare is a fork of this
    process made through an intermediate that exits at once, so that it is reparented to the
    nearest subreaper, the zygote (before the answer is sent). Nothing a run says ever
    reaches this process: its memory is the zygote's at the end of warm-up.
    """
    import socket

    while True:
        if sock.recv(64) != b"spare":
            return  # the zygote is gone
        changed = _changed(attributes)
        if changed:
            sock.send(f"Athe template process the runs are forked from was changed ({changed})".encode())
            continue
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        reader, writer = os.pipe()
        try:
            intermediate = os.fork()
            if intermediate == 0:
                try:
                    os.close(reader)
                    ours.close()
                    _set_name(INTERMEDIATE_NAME)
                    pid = os.fork()
                    if pid == 0:
                        try:
                            os.close(writer)
                            os.close(sock.fileno())
                            _set_name(SPARE_NAME)
                            _spare(theirs, zygote, attributes, name)
                        finally:
                            os._exit(0)
                    os.write(writer, str(pid).encode())
                finally:
                    os._exit(0)
            os.close(writer)
            writer = None
            os.waitpid(intermediate, 0)
            pid = os.read(reader, 32)
        except OSError as error:
            pid = f"could not fork ({error.strerror})".encode()
        finally:
            theirs.close()
            os.close(reader)
            if writer is not None:
                os.close(writer)
        if pid.isdigit():  # the spare is the zygote's child now: its intermediate is gone
            socket.send_fds(sock, [b"S" + pid], [ours.fileno()])
        else:  # (a run killed the intermediate?) not the template's fault: the zygote asks again
            sock.send(b"Ethe template could not make a spare: " + (pid or b"its fork was killed"))
        ours.close()


def _spare(sock, zygote, attributes, name):
    """A spare's life: wait, untouched, for the zygote to make it a run.

    The request is one packet, the mode, with the run's two pipe ends (SCM_RIGHTS); it
    answers b"F" and becomes the run, or b"A<why>" when a run changed it from outside."""
    import socket

    message, fds, _, _ = socket.recv_fds(sock, 64, 2)
    mode = message.decode("ascii", "replace")
    if len(fds) != 2 or mode not in protocol.MODES:
        return
    changed = _changed(attributes)
    if changed:
        sock.send(f"Athe spare process was changed ({changed})".encode())
        return
    _set_name(name)
    sock.send(b"F")
    zygote._become_child(mode, *fds)


FONT_FILES = (".ttf", ".otf", ".ttc", ".afm", ".pfa", ".pfb")


def _close_inherited(keep):
    """Close every file descriptor above 2 but those in `keep`, except font files matplotlib opened read-only at
    warm-up: its font objects close them when they are freed in a run, and a descriptor closed under
    them would print "OSError: Bad file descriptor" into a student's cell."""
    import fcntl
    import stat

    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd <= 2 or fd in keep:
            continue
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
            info = os.fstat(fd)
            read_only = fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDONLY
        except OSError:
            continue  # (the descriptor listdir itself used, gone already)
        if stat.S_ISREG(info.st_mode) and read_only and target.lower().endswith(FONT_FILES):
            continue
        try:
            os.close(fd)
        except OSError:
            pass


class _Zygote:
    def __init__(self, control_out, contained, course, scratch):
        self.out, self.contained = control_out, contained
        self.scratch = scratch
        self.course = {}  # name -> (bytes, mode): the course's files, copied into every fresh scratch folder
        for name in sorted(os.listdir(course)) if course else ():
            path = os.path.join(course, name)
            if os.path.isfile(path):
                self.course[name] = (_read(path), os.stat(path).st_mode & 0o777)
        self.folders = [f for f in ("/tmp", "/dev/shm") if os.path.isdir(f)] if contained else []
        self.pristine = {folder: _tree(folder) for folder in self.folders}  # before anything wrote there
        self.mounts = _read("/proc/self/mountinfo") if contained else b""
        self.dirty = None  # why this sandbox cannot be trusted any more
        self.scratch_root = [entry for entry in _tree(scratch) if entry[0] == ""]  # the folder itself
        self._refill()
        self.scratch_tree = _tree(scratch)
        os.chdir(scratch)
        self.shell = _warm_up()
        for folder in self.folders:  # what warming up wrote there (caches) goes now
            _clean(folder, self.pristine[folder])
        self.paths = sorted({sys.prefix, sys.base_prefix, sys.executable, os.path.realpath(sys.executable),
                             os.path.dirname(os.path.abspath(__file__)), course or "/", scratch,
                             *[p for p in sys.path if p and os.path.exists(p)]})
        self.environment = [_identity(p) for p in self.paths]
        self.child = None  # (pid, write end of its stdin, read end of its replies)
        self.pending = bytearray()
        self.template = None  # (pid, socket): where runs are forked from; None once it is gone
        self.spare = None  # (pid, socket) of the next run, a fork of the template waiting
        self.asked = False  # whether the template is making a spare (its answer not read yet)
        self._start_template()
        self._ask_for_spare()

    def _start_template(self):
        """Fork the template, now, before this process reads anything of any run."""
        import socket

        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        name = _read("/proc/self/comm").strip() or b"python"
        attributes = _process_attributes()
        pid = os.fork()
        if pid == 0:
            try:
                ours.close()
                _close_inherited(keep={theirs.fileno()})  # the grader's pipes are the zygote's only
                _set_name(TEMPLATE_NAME)
                _template(theirs, self, attributes, name)
            finally:
                os._exit(0)
        theirs.close()
        self.template = (pid, ours)

    def say(self, message):
        self.out.write(protocol.frame(protocol.ZYGOTE, message))
        self.out.flush()

    def _refill(self):
        """The scratch folder emptied, then the course's files only; False when it could not be."""
        if not _clean(self.scratch, self.scratch_root):
            return False
        try:
            for name, (content, mode) in self.course.items():
                fd = os.open(os.path.join(self.scratch, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
                try:
                    os.write(fd, content)  # small files: one write
                finally:
                    os.close(fd)
                os.chmod(os.path.join(self.scratch, name), mode)
        except OSError:
            return False
        return True

    def altered(self, keep):
        """Why the sandbox is not as it was at the start (None when it is); refills the scratch
        folder unless `keep`."""
        if self.dirty:
            return self.dirty
        if self.contained:
            if _read("/proc/self/mountinfo") != self.mounts:
                return "its mounts changed (a folder holding a mount point was moved?)"
            left = _sysvipc_left()
            if left:
                return f"a run left SysV IPC objects ({', '.join(left)})"
            for folder in self.folders:
                if _tree(folder) != self.pristine[folder]:
                    return f"{folder} is not as it was at the start"
        if not keep:
            if not self._refill() or _tree(self.scratch) != self.scratch_tree:
                return "the scratch folder could not be reset"
        try:
            if os.getcwd() != self.scratch or _identity(".") != _identity(self.scratch):
                return "the working folder moved"
        except OSError:
            return "the working folder is gone"
        changed = [p for p, before in zip(self.paths, self.environment) if _identity(p) != before]
        if changed:
            return f"the Python environment changed ({changed[0]})"
        if self.template is None:
            return "the template process the runs are forked from is gone (a run killed it?)"
        return None

    def fork(self, mode, keep):
        reason = self.altered(keep)
        if reason:
            self.dirty = reason
            self.say({protocol.ALTERED: reason})
            return
        child_in, to_child = os.pipe()
        from_child, child_out = os.pipe()
        try:
            pid = self._wake_spare(mode, child_in, child_out)
            if isinstance(pid, str) and self.template is not None:  # a run killed or changed the spare
                pid = self._wake_spare(mode, child_in, child_out)  # a new one, from the untouched template
        finally:
            os.close(child_in)
            os.close(child_out)
        if isinstance(pid, str):
            os.close(to_child)
            os.close(from_child)
            self._lose_template()
            self.dirty = pid
            self.say({protocol.ALTERED: pid})
            return
        os.set_blocking(to_child, False)  # see _to_child: a run that stops reading must not stop us
        self.child, self.pending = (pid, to_child, from_child), bytearray()
        self._ask_for_spare()  # the next run's, made while this one runs
        self.say({protocol.FORKED: pid})

    def _ask_for_spare(self):
        """Ask the template for the next spare (its answer: _receive_spare)."""
        import signal

        if self.template is None:
            return
        try:
            os.kill(self.template[0], signal.SIGCONT)  # a run may have stopped it, before or after it was asked
            if not self.asked:
                self.template[1].send(b"spare")
                self.asked = True
        except OSError:
            self._lose_template()

    def _receive_spare(self, timeout):
        """Read the template's answer (waiting at most `timeout` s); why there is no spare, or None."""
        import select
        import socket

        if self.spare is not None:
            return None
        self._ask_for_spare()
        if self.template is None:
            return "the template process the runs are forked from is gone (a run killed it?)"
        sock = self.template[1]
        try:
            if not select.select([sock], [], [], timeout)[0]:
                return "the template process the runs are forked from did not answer"
            self.asked = False
            answer, fds, _, _ = socket.recv_fds(sock, 256, 1)
        except OSError:
            return "the template process the runs are forked from is gone (a run killed it?)"
        if answer[:1] == b"S" and answer[1:].isdigit() and len(fds) == 1:
            self.spare = (int(answer[1:]), socket.socket(fileno=fds[0]))
            return None
        for fd in fds:
            os.close(fd)
        if answer[:1] != b"E":  # changed, or gone: no longer trusted
            self._lose_template()
        return answer[1:].decode("ascii", "replace") or "the template process the runs are forked from is gone"

    def _wake_spare(self, mode, child_in, child_out):
        """The pid of the run the spare became (this process's child), or why there is none."""
        import select
        import signal
        import socket

        reason = self._receive_spare(30)
        if reason:
            return reason
        (pid, sock), self.spare = self.spare, None
        try:
            try:
                os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)  # ours to wait for, not reaped
            except ChildProcessError:
                return "the spare process is gone (a run killed it?)"
            try:
                os.kill(pid, signal.SIGCONT)
                socket.send_fds(sock, [mode.encode("ascii")], [child_in, child_out])
                answer = sock.recv(256) if select.select([sock], [], [], 30)[0] else b""
            except OSError:
                answer = b""
            if answer == b"F":
                return pid
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except OSError:
                pass
            return answer[1:].decode("ascii", "replace") or "the spare process is gone (a run killed it?)"
        finally:
            sock.close()

    def _lose_template(self, reaped=False):
        """Forget the template (and make sure it is gone): the next fork says `altered`."""
        import signal

        if self.template is None:
            return
        pid, sock = self.template
        self.template, self.asked = None, False
        sock.close()
        if not reaped:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass

    def _become_child(self, mode, child_in, child_out):
        _close_inherited(keep={child_in, child_out})  # the zygote's control pipes are gone from here on
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)  # input() finds nothing; the requests come on a descriptor of their own
        os.close(devnull)
        sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115 - lives as long as the child
        channel = _Channel(os.fdopen(child_in, "rb"), os.fdopen(child_out, "wb"))
        import numpy as np

        np.random.seed()  # a fresh kernel would have fresh entropy too
        if mode == "objects":
            serve_objects(channel)
        else:
            serve_cells(self.shell, channel)

    def end(self, word, status=None, report=None):
        """Kill the run, every process it started and its files in /tmp and /dev/shm; report how it ended."""
        import signal

        pid, to_child, from_child = self.child
        self.child = None
        if status is None:
            try:
                os.kill(pid, signal.SIGKILL)  # no effect on a child that already exited
                status = os.waitpid(pid, 0)[1]
            except (ProcessLookupError, ChildProcessError):
                pass
        for fd in (to_child, from_child):
            os.close(fd)
        if self.asked:  # a spare on its way: it must not be mistaken for the run's (the run cannot hold it up long)
            self._receive_spare(1)
        spare = [p for p in (self.template, self.spare) if p]
        reaped = _kill_everything(self.contained, [pid for pid, _ in spare])
        if self.template and self.template[0] in reaped:
            self._lose_template(reaped=True)
        if self.spare and self.spare[0] in reaped:  # a run killed it: the template makes another
            self.spare[1].close()
            self.spare = None
        for folder in self.folders:
            if not _clean(folder, self.pristine[folder]):
                self.dirty = f"a run left too much in {folder} to remove"
        if report is None:
            report = _status(status) if status is not None else {"code": -1}
        self.say({word: report})

    def relay(self, chunk):
        """Pass the child's complete lines on, prefixed with C; end a run whose line is too long."""
        start = 0
        while self.child:
            newline = chunk.find(b"\n", start)
            piece = chunk[start:] if newline < 0 else chunk[start:newline]
            if len(self.pending) + len(piece) > protocol.MAX_LINE:
                self.end(protocol.EXITED, report={"oversized": protocol.MAX_LINE})
                return
            if newline < 0:
                self.pending += piece
                return
            self.out.write(protocol.CHILD + bytes(self.pending) + piece + b"\n")
            self.out.flush()
            self.pending.clear()
            start = newline + 1

    def serve(self, control_in):
        import select

        buffer = b""
        while True:
            watched = [control_in] + ([self.child[2]] if self.child else [])
            ready, _, _ = select.select(watched, [], [], 0.25 if self.child else None)
            if self.child and not ready:
                pid, status = os.waitpid(self.child[0], os.WNOHANG)
                if pid:  # it exited while something it started still holds its pipe
                    self.end(protocol.EXITED, status)
                continue
            if self.child and self.child[2] in ready:
                chunk = os.read(self.child[2], 1 << 20)
                if not chunk:
                    self.end(protocol.EXITED)
                    continue
                self.relay(chunk)
            if control_in in ready:
                chunk = os.read(control_in, 1 << 20)
                if not chunk:
                    return  # the grader is gone
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    self.handle(line)

    STALLED = 2.0  # seconds a run may leave its requests unread before it is ended

    def _to_child(self, *parts):
        """Write to the run's request pipe; False when it would not take them within STALLED
        seconds (the zygote must keep serving the grader, which may be ending this very run)."""
        import select

        fd = self.child[1]
        for part in parts:
            view = memoryview(part)
            while view:
                try:
                    view = view[os.write(fd, view):]
                except BlockingIOError:
                    if not select.select([], [fd], [], self.STALLED)[1]:
                        return False
                except OSError:
                    return True  # the child is gone; its end is reported when its pipe closes
        return True

    def handle(self, line):
        if line.startswith(protocol.CHILD):
            if self.child and not self._to_child(memoryview(line)[1:], b"\n"):
                self.end(protocol.EXITED)  # it stopped reading its requests (say it floods us): killed
            return
        try:
            message = protocol.loads(line[1:]) if line.startswith(protocol.ZYGOTE) else {}
        except ProtocolError:
            message = {}
        if protocol.FORK in message:
            if self.child:
                self.end(protocol.ENDED)
            mode = message[protocol.FORK] if message[protocol.FORK] in protocol.MODES else "cells"
            self.fork(mode, bool(message.get("keep")))
        elif protocol.END in message:
            if self.child:
                self.end(protocol.ENDED)
            else:
                self.say({protocol.ENDED: None})


def _argument(name):
    """The value after `name` in sys.argv, or None."""
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv[:-1] else None


def zygote(control_out):
    contained = "--contained" in sys.argv
    _prctl_not_dumpable()
    control_in = os.dup(0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    scratch = os.path.abspath(_argument("--scratch") or os.getcwd())
    server = _Zygote(control_out, contained, _argument("--course"), scratch)
    server.say({protocol.READY: True})
    server.serve(control_in)


def main():
    zygote(_protocol_stream())  # the grader always starts the runner as a zygote (sandbox.Slot)


if __name__ == "__main__":
    main()
