"""Runs a student's notebook cells, one request at a time, inside the sandbox.

This file is the only grader code that runs next to student code. It is started as
`python -I runner.py --zygote` in a scratch folder holding only the assignment's
own files (see sandbox.py). The zygote imports numpy, IPython, matplotlib and the
assignment's modules once, then forks a fresh child for every run it is asked
for (one student's notebook, or one class of a trusted check) and relays that
child's requests and replies. Between runs it kills every other process of the
sandbox and empties /tmp, so nothing of one run survives into the next. Framing
on its stdin/stdout: `C<json>` lines are for and from the child, `Z...` lines are
the zygote's own (`Zfork cells|objects`, `Zend`; it answers `Z{"ready"|"forked"|
"ended"|"exited": ...}`). The child cannot write `Z` lines: the zygote prefixes
whatever it says with `C`, and the zygote is not dumpable, so its descriptors
cannot be reached through /proc.

A child serves one run's requests, as JSON lines. A `cells` run executes a notebook:

    {"op": "run", "source": "<cell source>"}   -> {"outputs": [...nbformat v4 outputs...]}
    {"op": "value", "name": "suspects"}        -> {"value": the variable as plain JSON data, or null}
    {"op": "objects"}                          -> {"ok": true}, then it serves the requests below
                                                  on the notebook's own namespace

An `objects` run serves the trusted checks (see trusted.py): it defines the student's
answer cells, then makes objects of their classes, sets and gets their arrays and
calls their methods and functions, answering with plain data only:

    {"op": "define", "source": "..."}                       -> {"ok": true}
    {"op": "new", "cls": "Linear", "args": [3, 4]}          -> {"handle": 1}
    {"op": "set", "handle": 1, "name": "W", "value": ARRAY}  -> {"ok": true}
    {"op": "get", "handle": 1, "name": "dW"}                 -> {"value": ARRAY or null}
    {"op": "call", "handle": 1, "name": "backward", "args": [ARRAY]} -> {"value": ARRAY or null}
    {"op": "apply", "name": "accuracy", "args": [...], "kwargs": {...}, "items": 1000}
        -> {"value": ARRAY or {"float"|"int"|"bool": x}} or, for an iterator, {"items": [[ARRAY, ...], ...]}
           (its first 1000 items; with "items": 0, {"iterator": true} and no iteration), and
           "args": the array arguments as the function left them
    {"op": "losses", "model": 1, "loss": 2, "layer": 3, "attr": "W", "X": ARRAY, "Y": ARRAY,
     "values": [ARRAY, ...]}  -> {"values": [loss.forward(model.forward(X), Y) with layer.W = each]}
    {"op": "lookup", "name": "mlp"}                          -> {"handle": 4} (a notebook's variable)
    {"op": "modules", "handle": 4}                           -> {"modules": [["Dense_1", 5], ...]}

Method calls and functions also answer "problems": NumPy's floating-point events on
the way (overflow, invalid value, ...), for the checks that ask for warning-free code.

where ARRAY is {"shape": [...], "data": base64 of little-endian float64}; a failure
answers {"error": "<description>"}. Each reply is one JSON line on the child's own
reply pipe. Student code gets fresh stdout/stderr streams (captured per cell) and
its fds 1 and 2 point at /dev/null, so a stray write cannot break a reply.
Nothing a child says is trusted: the grader only reads outputs from it.
"""

import json
import os
import sys


def _protocol_stream():
    """Keep the original stdout for replies; point fds 1 and 2 at /dev/null."""
    reply_fd = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    return os.fdopen(reply_fd, "w", buffering=1, encoding="utf-8")


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


def _cut(text):
    if len(text) <= LIMIT:
        return text
    return text[:LIMIT] + f"\n... (output cut: more than {LIMIT // 1024} KB)\n"


def _outputs(shell, captured, result):
    outputs = []
    if captured.stdout:
        outputs.append({"output_type": "stream", "name": "stdout", "text": _cut(captured.stdout)})
    if captured.stderr:
        outputs.append({"output_type": "stream", "name": "stderr", "text": _cut(captured.stderr)})
    for item in captured.outputs[:20]:
        outputs.append({"output_type": "display_data", "data": _jsonable(item.data),
                        "metadata": _jsonable(item.metadata or {})})
    error = result.error_before_exec or result.error_in_exec
    if error is not None:
        outputs.append({"output_type": "error", "ename": type(error).__name__,
                        "evalue": str(error)[:2000], "traceback": _traceback(shell, error)})
    elif result.result is not None:
        data, metadata = shell.display_formatter.format(result.result)
        outputs.append({"output_type": "execute_result", "execution_count": None,
                        "data": _jsonable(data), "metadata": _jsonable(metadata)})
    return outputs


def _traceback(shell, error):
    import traceback

    lines = traceback.format_exception(type(error), error, error.__traceback__)
    return [line.rstrip("\n") for line in lines][-30:]


def _jsonable(value):
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return {key: str(item) for key, item in dict(value).items()}


def _decode(value, objects=None, replies=None):
    import base64

    import numpy as np

    if not isinstance(value, dict):
        return value
    if "callback" in value:  # an object of the trusted grader: calls to it cross back
        return _Stand_in(value["callback"], replies, objects)
    if "items" in value:  # what a trusted iterator yielded: a list of tuples of arrays
        return [tuple(_decode(part) for part in item) for item in value["items"]]
    if "handle" in value and objects is not None:
        return objects[value["handle"]]
    data = np.frombuffer(base64.b64decode(value["data"]), dtype="<f8")
    return data.reshape(value["shape"]).copy()


class _Stand_in:
    """Stands for an object of the trusted grader (a recorder a check adds to a Model, the
    model, loss and optimizer a check hands to `train`, a reference function)."""

    def __init__(self, ident, replies, objects):
        self._ident, self._replies, self._objects = ident, replies, objects

    def _cross(self, method, *args, **kwargs):
        message = {"callback": self._ident, "method": method, "args": [_plain_arg(a) for a in args],
                   "kwargs": {str(k): _plain_arg(v) for k, v in kwargs.items()}}
        self._replies.write(json.dumps(message) + "\n")
        self._replies.flush()
        answer = json.loads(sys.stdin.readline())
        if "error" in answer:
            raise RuntimeError(answer["error"])
        return _decode(answer.get("value"), self._objects, self._replies)

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
    import base64

    import numpy as np

    if value is None or isinstance(value, _Stand_in) or hasattr(value, "forward"):
        return None  # modules (add_module returns its argument) do not cross the wall
    array = np.array(value, dtype="<f8", copy=True)  # a plain float64 array, whatever was returned
    return {"shape": list(array.shape), "data": base64.b64encode(array.tobytes()).decode()}


def _plain(value, depth=0):
    """`value` rebuilt from plain JSON types only (dict with str keys, list, str, number, bool,
    None), or None when it holds anything else: no student object crosses to the grader."""
    import math

    if depth > 6:
        return None
    if value is None or type(value) is bool:
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value) if isinstance(value, float) else int(value)
        return number if not isinstance(number, float) or math.isfinite(number) else None
    if isinstance(value, str):
        return str.__str__(value)[:1000]
    if isinstance(value, (list, tuple)) and len(value) <= 100:
        return [_plain(item, depth + 1) for item in list.__iter__(list(value))]
    if isinstance(value, dict) and len(value) <= 100:
        return {str.__str__(k)[:200]: _plain(v, depth + 1) for k, v in dict.items(value) if isinstance(k, str)}
    return None


def _apply(function, kwargs, *args):
    return function(*args, **kwargs)


def _iterator_like(value):
    """A generator or iterator, or a list of tuples: what a mini-batch function gives back."""
    if hasattr(value, "__next__"):
        return True
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(isinstance(i, (list, tuple)) for i in value)


def _data(value, depth=0):
    """A value as tagged plain data: {"bool"|"int"|"float"|"str": x}, {"dict": [[key, data], ...]},
    {"list": [data, ...]}, an ARRAY for anything else, or null."""
    import numpy as np

    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return {"bool": bool(value)}
    if isinstance(value, (int, np.integer)):
        return {"int": int(value)}
    if isinstance(value, (float, np.floating)):
        return {"float": float(value)}
    if isinstance(value, str):
        return {"str": str.__str__(value)[:1000]}
    if depth < 4 and isinstance(value, dict) and len(value) <= 1000:
        return {"dict": [[str(key)[:200], _data(item, depth + 1)] for key, item in list(dict.items(value))]}
    if depth < 4 and isinstance(value, (list, tuple)) and len(value) <= 100_000:
        return {"list": [_data(item, depth + 1) for item in list(value)]}
    return _encode(value)


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


def serve_objects(replies, namespace=None):
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
    for line in sys.stdin:
        request = json.loads(line)
        op = request.get("op")
        captured = io.StringIO()
        try:
            with redirect_stdout(captured), redirect_stderr(captured), warnings.catch_warnings(), \
                    np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                if op == "define":
                    exec(compile(request["source"], "<answer>", "exec"), namespace)
                    reply = {"ok": True}
                elif op == "new":
                    cls = namespace[request["cls"]]
                    objects[len(objects) + 1] = cls(*[_decode(a, objects, replies) for a in request.get("args", [])])
                    reply = {"handle": len(objects)}
                elif op == "set":
                    setattr(objects[request["handle"]], request["name"], _decode(request["value"], objects, replies))
                    reply = {"ok": True}
                elif op == "get":
                    reply = {"value": _encode(getattr(objects[request["handle"]], request["name"]))}
                elif op == "call":
                    method = getattr(objects[request["handle"]], request["name"])
                    args = [_decode(a, objects, replies) for a in request.get("args", [])]
                    value, problems = _watched(method, args)
                    reply = {"value": _encode(value), "problems": problems}
                elif op == "apply":  # a student's function (e.g. accuracy, minibatches, train)
                    function = namespace[request["name"]]
                    args = [_decode(a, objects, replies) for a in request.get("args", [])]
                    kwargs = {str(k): _decode(v, objects, replies) for k, v in dict(request.get("kwargs", {})).items()}
                    saved = {}  # names the function finds in its globals during the call (the grader's helpers)
                    for name, value in dict(request.get("globals", {})).items():
                        if name in namespace:
                            saved[name] = namespace[name]
                            namespace[name] = _decode(value, objects, replies)
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
                elif op == "value":  # a variable as plain JSON data (see _plain)
                    reply = {"value": _plain(namespace.get(str(request.get("name"))))}
                elif op == "lookup":  # an object the notebook made, e.g. its `mlp`
                    if not isinstance(request.get("name"), str) or request["name"] not in namespace:
                        raise KeyError(request.get("name"))
                    objects[len(objects) + 1] = namespace[request["name"]]
                    reply = {"handle": len(objects)}
                elif op == "modules":  # a model's sub-modules, in order: [[name, handle], ...]
                    modules = objects[request["handle"]].modules
                    if not isinstance(modules, dict):
                        raise AttributeError("modules is not a dict of named modules")
                    found = []
                    for name, module in list(dict.items(modules))[:100]:
                        objects[len(objects) + 1] = module
                        found.append([str(name)[:200], len(objects)])
                    reply = {"modules": found}
                elif op == "losses":  # finite differences: many forward passes in one request
                    model, loss = objects[request["model"]], objects[request["loss"]]
                    layer, attr = objects[request["layer"]], request["attr"]
                    X, Y = _decode(request["X"]), _decode(request["Y"])
                    values = []
                    for value in request["values"]:
                        setattr(layer, attr, _decode(value))
                        values.append(_encode(loss.forward(model.forward(X), Y)))
                    reply = {"values": values}
                else:
                    reply = {"error": f"unknown request {op!r}"}
        except AttributeError as error:
            reply = {"error": _describe(error), "missing": op in ("get", "modules")}
        except KeyError as error:
            reply = {"error": f"{error} is not defined" if op in ("new", "lookup") else _describe(error),
                     "missing": op == "lookup"}
        except (Exception, SystemExit) as error:
            reply = {"error": _describe(error)}
        except BaseException as error:  # noqa: B036 - KeyboardInterrupt and friends from student code
            reply = {"error": _describe(error)}
        reply["output"] = captured.getvalue()[-LIMIT:]
        try:
            text = json.dumps(reply)
        except (TypeError, ValueError):
            text = json.dumps({"error": "the answer could not be sent back", "output": ""})
        replies.write(text + "\n")
        replies.flush()


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


def serve_cells(shell, replies):
    """Run notebook cells, one request at a time, in `shell`."""
    from IPython.utils.capture import capture_output

    pristine = _hooks(shell)
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("op") == "objects":  # from now on, trusted checks drive the notebook's objects
            replies.write(json.dumps({"ok": True}) + "\n")
            replies.flush()
            serve_objects(replies, shell.user_ns)
            return
        if request.get("op") == "value":  # a notebook variable, as plain data, for a trusted check
            value = _plain(shell.user_ns.get(str(request.get("name"))))
            replies.write(json.dumps({"value": value}) + "\n")
            replies.flush()
            continue
        if request.get("op") != "run":
            continue
        _restore_hooks(shell, pristine)  # a cell cannot rewrite how the next cells run
        with capture_output(stdout=True, stderr=True, display=True) as captured:
            result = shell.run_cell(request["source"], store_history=False, silent=False)
        outputs = _outputs(shell, captured, result)
        replies.write(json.dumps({"outputs": outputs}) + "\n")
        replies.flush()


# ------------------------------------------------------------------ the zygote
MAX_LINE = 40 * 2**20  # a child's reply longer than this ends the run


def _warm_up():
    """Import what every run needs, once: numpy, IPython, matplotlib (fonts, mathtext), the course."""
    import glob

    import numpy  # noqa: F401 - before the scratch folder is on sys.path: no shadowing

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


def _descendants():
    """Pids of every living descendant of this process (orphans are reparented here)."""
    found, todo = [], [os.getpid()]
    while todo:
        pid = todo.pop()
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


def _kill_everything(contained):
    """Kill every process of this run and reap it; return when none is left."""
    import signal
    import time

    for _ in range(1000):
        if contained:
            try:
                os.kill(-1, signal.SIGKILL)  # everything in the PID namespace except init and us
            except ProcessLookupError:
                pass
        else:
            for pid in _descendants():
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            return  # no child left at all
        time.sleep(0.002)


def _empty(folder):
    """Remove everything below `folder` (the run's /tmp), whatever its permissions, but
    nothing on another file system: the read-only environment may be mounted below /tmp."""
    device = os.stat(folder).st_dev
    for name in os.listdir(folder):
        _remove(os.path.join(folder, name), device)


def _remove(path, device):
    import stat

    try:
        info = os.lstat(path)
    except OSError:
        return
    if info.st_dev != device:
        return  # a mount point: not the run's
    try:
        if stat.S_ISDIR(info.st_mode):
            os.chmod(path, 0o700)
            for name in os.listdir(path):
                _remove(os.path.join(path, name), device)
            os.rmdir(path)  # fails, harmlessly, for a folder that holds a mount point
        else:
            os.unlink(path)
    except OSError:
        pass


def _status(status):
    if os.WIFSIGNALED(status):
        return {"signal": os.WTERMSIG(status)}
    return {"code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1}


class _Zygote:
    def __init__(self, control_out, contained):
        self.out, self.contained = control_out, contained
        self.shell = _warm_up()
        self.child = None  # (pid, write end of its stdin, read end of its replies)
        self.pending = b""

    def say(self, prefix, payload):
        self.out.write(prefix + payload + b"\n")
        self.out.flush()

    def fork(self, mode):
        child_in, to_child = os.pipe()
        from_child, child_out = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                self._become_child(mode, child_in, child_out)
            finally:
                os._exit(0)
        os.close(child_in)
        os.close(child_out)
        self.child, self.pending = (pid, to_child, from_child), b""
        self.say(b"Z", json.dumps({"forked": pid}).encode())

    def _become_child(self, mode, child_in, child_out):
        os.dup2(child_in, 0)
        os.closerange(3, child_out)
        os.closerange(child_out + 1, 4096)  # the zygote's control pipes are gone from here on
        replies = os.fdopen(child_out, "w", buffering=1, encoding="utf-8")
        sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115 - lives as long as the child
        import numpy as np

        np.random.seed()  # a fresh kernel would have fresh entropy too
        if mode == "objects":
            serve_objects(replies)
        else:
            serve_cells(self.shell, replies)

    def end(self, word, status=None):
        """Kill the run, every process it started and its files in /tmp; report how it ended."""
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
        _kill_everything(self.contained)
        for folder in ("/tmp", "/dev/shm") if self.contained else ():
            if os.path.isdir(folder):
                _empty(folder)
        self.say(b"Z", json.dumps({word: _status(status) if status is not None else {"code": -1}}).encode())

    def serve(self, control_in):
        import select

        buffer = b""
        while True:
            watched = [control_in] + ([self.child[2]] if self.child else [])
            ready, _, _ = select.select(watched, [], [], 0.25 if self.child else None)
            if self.child and not ready:
                pid, status = os.waitpid(self.child[0], os.WNOHANG)
                if pid:  # it exited while something it started still holds its pipe
                    self.end("exited", status)
                continue
            if self.child and self.child[2] in ready:
                chunk = os.read(self.child[2], 1 << 20)
                if not chunk:
                    self.end("exited")
                    continue
                self.pending += chunk
                *lines, self.pending = self.pending.split(b"\n")
                for line in lines:
                    self.say(b"C", line)
                if len(self.pending) > MAX_LINE:
                    self.end("ended")
            if control_in in ready:
                chunk = os.read(control_in, 1 << 20)
                if not chunk:
                    return  # the grader is gone
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    self.handle(line)

    def handle(self, line):
        if line.startswith(b"C"):
            if self.child:
                try:
                    os.write(self.child[1], line[1:] + b"\n")
                except OSError:
                    pass  # the child is gone; its end is reported when its pipe closes
        elif line.startswith(b"Zfork "):
            if self.child:
                self.end("ended")
            self.fork(line[6:].decode().strip())
        elif line == b"Zend":
            if self.child:
                self.end("ended")
            else:
                self.say(b"Z", json.dumps({"ended": None}).encode())


def zygote(control_out):
    contained = "--contained" in sys.argv
    _prctl_not_dumpable()
    control_in = os.dup(0)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    server = _Zygote(control_out.buffer, contained)
    server.say(b"Z", json.dumps({"ready": True}).encode())
    server.serve(control_in)


def main():
    zygote(_protocol_stream())  # the grader always starts the runner as a zygote (sandbox.Slot)


if __name__ == "__main__":
    main()
