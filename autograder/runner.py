"""Runs a student's notebook cells, one request at a time, inside the sandbox.

This file is the only course code that runs next to student code. It is started
as `python -I runner.py` in the submission's scratch folder (see sandbox.py); it
imports nothing of the course. Requests come as JSON lines on stdin:

    {"op": "run", "source": "<cell source>"}   -> {"outputs": [...nbformat v4 outputs...]}

With `--objects` it serves the trusted checks instead (see trusted.py): it defines
the student's answer cells, then makes objects of their classes, sets and gets
their arrays and calls their methods, answering with plain float64 arrays only:

    {"op": "define", "source": "..."}                       -> {"ok": true}
    {"op": "new", "cls": "Linear", "args": [3, 4]}          -> {"handle": 1}
    {"op": "set", "handle": 1, "name": "W", "value": ARRAY}  -> {"ok": true}
    {"op": "get", "handle": 1, "name": "dW"}                 -> {"value": ARRAY or null}
    {"op": "call", "handle": 1, "name": "backward", "args": [ARRAY]} -> {"value": ARRAY or null}
    {"op": "losses", "model": 1, "loss": 2, "layer": 3, "attr": "W", "X": ARRAY, "Y": ARRAY,
     "values": [ARRAY, ...]}  -> {"values": [loss.forward(model.forward(X), Y) with layer.W = each]}

where ARRAY is {"shape": [...], "data": base64 of little-endian float64}; a failure
answers {"error": "<description>"}. Each reply is one JSON line on the file
descriptor that was stdout when the runner started. Student code gets fresh stdout/stderr streams (captured per cell)
and its own fd 1 and 2 point at /dev/null, so a stray write cannot break a reply.
Nothing the runner says is trusted: the grader only reads outputs from it.
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

    shell = Shell.instance(displayhook_class=QuietDisplayHook, colors="nocolor")
    shell.history_manager.enabled = False
    sys.path.insert(0, os.getcwd())  # like a kernel: the notebook's folder is importable
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    return shell


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
    if "handle" in value and objects is not None:
        return objects[value["handle"]]
    data = np.frombuffer(base64.b64decode(value["data"]), dtype="<f8")
    return data.reshape(value["shape"]).copy()


class _Stand_in:
    """Stands for a module of the trusted grader (e.g. a recorder a check adds to a Model)."""

    def __init__(self, ident, replies, objects):
        self._ident, self._replies, self._objects = ident, replies, objects

    def _cross(self, method, *args):
        message = {"callback": self._ident, "method": method, "args": [_encode(a) for a in args]}
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

    def __call__(self, *args):
        return self._cross("forward", *args)


def _encode(value):
    import base64

    import numpy as np

    if value is None or isinstance(value, _Stand_in) or hasattr(value, "forward"):
        return None  # modules (add_module returns its argument) do not cross the wall
    array = np.array(value, dtype="<f8", copy=True)  # a plain float64 array, whatever was returned
    return {"shape": list(array.shape), "data": base64.b64encode(array.tobytes()).decode()}


def _describe(error):
    import traceback

    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == "<answer>"]
    where = f" (line {frames[-1].lineno}: `{(frames[-1].line or '').strip()}`)" if frames else ""
    if isinstance(error, NotImplementedError):
        return "not implemented yet (it still raises NotImplementedError)"
    if isinstance(error, SystemExit):
        return "your code called exit(); remove that call"
    return f"raised {type(error).__name__}: {error}{where}"[:500]


def serve_objects(replies):
    """The --objects mode: the student's classes, driven by the trusted checks."""
    import io
    import warnings
    from contextlib import redirect_stderr, redirect_stdout

    import numpy as np

    sys.path.insert(0, os.getcwd())
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
                    reply = {"value": _encode(method(*args))}
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
            reply = {"error": _describe(error), "missing": op == "get"}
        except KeyError as error:
            reply = {"error": f"{error} is not defined" if op == "new" else _describe(error)}
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


def main():
    replies = _protocol_stream()
    if "--objects" in sys.argv:
        serve_objects(replies)
        return
    shell = _shell()
    from IPython.utils.capture import capture_output

    pristine = _hooks(shell)
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("op") != "run":
            continue
        _restore_hooks(shell, pristine)  # a cell cannot rewrite how the next cells run
        with capture_output(stdout=True, stderr=True, display=True) as captured:
            result = shell.run_cell(request["source"], store_history=False, silent=False)
        outputs = _outputs(shell, captured, result)
        replies.write(json.dumps({"outputs": outputs}) + "\n")
        replies.flush()


if __name__ == "__main__":
    main()
