"""Runs a student's notebook cells, one request at a time, inside the sandbox.

This file is the only course code that runs next to student code. It is started
as `python -I runner.py` in the submission's scratch folder (see sandbox.py); it
imports nothing of the course. Requests come as JSON lines on stdin:

    {"op": "run", "source": "<cell source>"}   -> {"outputs": [...nbformat v4 outputs...]}

and each reply is one JSON line on the file descriptor that was stdout when the
runner started. Student code gets fresh stdout/stderr streams (captured per cell)
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

    shell = InteractiveShell.instance(displayhook_class=QuietDisplayHook, colors="nocolor")
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


def main():
    replies = _protocol_stream()
    shell = _shell()
    from IPython.utils.capture import capture_output

    for line in sys.stdin:
        request = json.loads(line)
        if request.get("op") != "run":
            continue
        with capture_output(stdout=True, stderr=True, display=True) as captured:
            result = shell.run_cell(request["source"], store_history=False, silent=False)
        outputs = _outputs(shell, captured, result)
        replies.write(json.dumps({"outputs": outputs}) + "\n")
        replies.flush()


if __name__ == "__main__":
    main()
