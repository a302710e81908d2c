"""The wire between the grader and its sandbox: framing, operations, codecs and every limit.

Both sides import this one file: the grader as `autograder.protocol`, the sandbox's runner
(which runs as `python -I /opt/grader/runner.py`, with this file mounted read-only next to
it) as `protocol`. So it imports nothing of the package, only the standard library and numpy.

Reading is bounded and total: `loads`, `decode_array`, `decode_data` and `decode_plain`
either return a value or raise `ProtocolError` (a ValueError) with a message a student can
read; nothing else escapes them, whatever bytes arrive.

Framing
-------
The grader talks to the sandbox's first process, the zygote (runner.py), over its stdin and
stdout. Every line is one prefix byte and one JSON object (`dumps`: ASCII, no NaN, at most
MAX_LINE bytes and MAX_DEPTH levels of nesting), then b"\\n":

    C<json>   for and from the current run (the child process the zygote forked): requests
              from the grader, replies from the child. The zygote relays them without
              reading them; whatever the child writes gets the `C` prefix, so a child cannot
              speak for the zygote. A child line longer than MAX_LINE ends the run.
    Z<json>   the zygote's own: from the grader,

                  Z{"fork": "cells" | "objects", "keep": false}
                      a fresh run. Before it forks, the zygote checks that its sandbox is
                      still pristine (same mounts, /tmp and /dev/shm back to what they held
                      at its start, no SysV IPC objects left, the Python environment in
                      place) and, unless "keep", refills the scratch folder with the
                      course's files only;
                  Z{"end": true}
                      kill the run and everything it started; empty /tmp and /dev/shm;

              and from the zygote,

                  Z{"ready": true}          started and warmed up
                  Z{"forked": <pid>}        the run is there: send it C lines
                  Z{"ended": STATUS|null}   the run is gone (after "end", or a new "fork")
                  Z{"exited": STATUS}       the run ended by itself (it exited, crashed, or
                                            sent a line longer than MAX_LINE)
                  Z{"altered": "<why>"}     instead of "forked": the sandbox is no longer
                                            pristine; the grader must replace it

              where STATUS is {"signal": n}, {"code": n} or {"oversized": MAX_LINE}.

Operations (C lines)
--------------------
Every request is {"op": <name>, ...}; every reply is one JSON object. A `cells` run
executes a notebook:

    {"op": "run", "source": "<cell source>"}   -> {"outputs": [nbformat v4 outputs]}
                                                  (at most about output_kb in all, see cap_outputs)
    {"op": "value", "name": "suspects"}        -> {"value": PLAIN or null}
    {"op": "objects"}                          -> {"ok": true}; from then on the run serves the
                                                  requests below on the notebook's own namespace

An `objects` run serves the trusted checks (trusted.py): it defines the student's answer
cells, makes objects of their classes, sets and gets their arrays and calls their methods
and functions, answering with plain data only:

    {"op": "define", "source": "..."}                        -> {"ok": true}
    {"op": "new", "cls": "Linear", "args": [ARG, ...]}       -> {"handle": 1}
    {"op": "set", "handle": 1, "name": "W", "value": ARG}    -> {"ok": true}
    {"op": "get", "handle": 1, "name": "dW"}                 -> {"value": ARRAY or null}
    {"op": "call", "handle": 1, "name": "backward", "args": [ARG, ...]}
        -> {"value": ARRAY or null, "problems": [...]}
    {"op": "apply", "name": "accuracy", "args": [ARG, ...], "kwargs": {"k": ARG},
     "globals": {"name": ARG}, "items": 1000}
        -> {"value": DATA, "problems": [...], "args": [ARRAY or null, ...]}
           or, for an iterator, {"items": [[ARRAY, ...] or null, ...]} (its first "items"
           items; with "items": 0, {"iterator": true} and no iteration); "args" are the
           array arguments as the function left them; "globals" are swapped into the
           function's globals during the call
    {"op": "lookup", "name": "mlp"}                          -> {"handle": 4} (a notebook's variable)
    {"op": "modules", "handle": 4}                           -> {"modules": [["Dense_1", 5], ...]}
    {"op": "value", "name": "suspects"}                      -> {"value": PLAIN or null}

Every reply of an objects run also carries "output" (what the call printed, cut); a failure
answers {"error": "<description>"} (with "missing": true when a name was not there).
"problems" are NumPy's floating-point events met on the way (overflow, invalid value, ...).

The arguments the grader sends (ARG) are JSON scalars, ARRAYs, {"handle": n} (an object
of the run), {"items": [[ARRAY, ...], ...]} (what a trusted iterator yielded) or
{"callback": n}: an object of the grader. Calling its method in the sandbox sends, on
the child's reply line,

    {"callback": n, "method": "forward" | "backward" | "step" | "__call__",
     "args": [ARG, ...], "kwargs": {...}}

and the grader answers on the child's request line with {"value": ARG} or {"error": "..."},
before the child answers the request that led to the call.

Codecs
------
    ARRAY  {"shape": [n, ...], "data": base64 of the little-endian float64 values}
           (encode_array / decode_array: at most MAX_NDIM dimensions and MAX_ARRAY_ELEMENTS
           numbers; decoding rejects NaN and inf, except in the grader's own arrays, which
           the sandbox reads with finite=False)
    DATA   tagged plain data, what a student's function returned (encode_data / decode_data):
           null, {"bool": b}, {"int": i}, {"float": x}, {"str": s}, {"list": [DATA, ...]},
           {"dict": [[key, DATA], ...]} or an ARRAY, containers nested at most
           MAX_DATA_DEPTH deep
    PLAIN  a notebook's variable as JSON-like values only (plain / decode_plain): null, bool,
           int, finite float, str, lists and dicts with str keys, at most MAX_PLAIN_ITEMS
           items and MAX_PLAIN_DEPTH deep; anything else becomes null
"""

import base64
import binascii
import gc
import json
import math
import re

import numpy as np

# ------------------------------------------------------------------ limits (the only copy)
MAX_LINE = 32 * 2**20  # bytes of one line's JSON (without its prefix and newline)
MAX_DEPTH = 32  # nesting of [ and { in one line (the protocol itself needs about 16)
MAX_INT_DIGITS = 400  # digits of one JSON integer
MAX_ARRAY_ELEMENTS = 2**21  # numbers in one ARRAY (16 MB of float64, 22 MB of base64)
MAX_NDIM = 32  # dimensions of one ARRAY
MAX_DATA_DEPTH = 4  # containers nested in DATA
MAX_DATA_ITEMS = 100_000  # items of one list in DATA
MAX_DATA_KEYS = 1000  # entries of one dict in DATA
MAX_PLAIN_DEPTH = 6  # containers nested in PLAIN
MAX_PLAIN_ITEMS = 100  # items of one list or dict in PLAIN
MAX_STR = 1000  # characters of one string in DATA or PLAIN
MAX_KEY = 200  # characters of one dict key in DATA or PLAIN
MAX_DISPLAYS = 20  # display outputs kept per cell
MAX_ERROR = 40_000  # characters of one error output (its evalue and traceback), at most
MIN_ERROR = 2_000  # ... and at least, however little room the outputs have left
SHORT_RESULT = 200  # an execute_result's text/plain this short is always kept (a score)

# ------------------------------------------------------------------ framing words
CHILD, ZYGOTE = b"C", b"Z"
FORK, END = "fork", "end"  # grader -> zygote
READY, FORKED, ENDED, EXITED, ALTERED = "ready", "forked", "ended", "exited", "altered"  # zygote -> grader
MODES = ("cells", "objects")  # the two kinds of run

# ------------------------------------------------------------------ operation names
RUN, VALUE, OBJECTS = "run", "value", "objects"
DEFINE, NEW, SET, GET, CALL, APPLY = "define", "new", "set", "get", "call", "apply"
LOOKUP, MODULES = "lookup", "modules"
CALLBACK = "callback"
CELL_OPS = frozenset({RUN, VALUE, OBJECTS})
OBJECT_OPS = frozenset({DEFINE, NEW, SET, GET, CALL, APPLY, LOOKUP, MODULES, VALUE})
CALLBACK_METHODS = ("forward", "backward", "step", "__call__")


class ProtocolError(ValueError):
    """What came over the wire cannot be read; the message says so in a student's words."""


# ------------------------------------------------------------------ lines
def dumps(message, allow_nonfinite=False):
    """One line's JSON (bytes, no newline) for `message`; ProtocolError if it cannot be one.

    ASCII only, at most MAX_LINE bytes and MAX_DEPTH levels, and no NaN or inf: what `loads`
    on the other side accepts. `allow_nonfinite` writes NaN and Infinity as Python's JSON
    does, for the grader's own requests only (a reference loss that is NaN; the sandbox
    reads them with loads(..., allow_nonfinite=True)); nothing from the sandbox may hold them.
    """
    try:
        text = json.dumps(message, allow_nan=allow_nonfinite, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError, OverflowError) as error:
        raise ProtocolError(f"the message could not be written as JSON ({type(error).__name__})") from None
    line = text.encode("ascii")
    if len(line) > MAX_LINE:
        raise ProtocolError(f"the message is too large to send (more than {MAX_LINE // 2**20} MB)")
    _check_depth(line)
    return line


def frame(prefix, message, allow_nonfinite=False):
    """A whole line: `prefix` (CHILD or ZYGOTE), the JSON of `message`, a newline."""
    return prefix + dumps(message, allow_nonfinite) + b"\n"


def parse_frame(line):
    """(prefix, message) of one line read from the zygote; ProtocolError when it is not one."""
    if not isinstance(line, (bytes, bytearray)) or line[:1] not in (CHILD, ZYGOTE):
        raise ProtocolError("the sandbox sent a line the grader could not read")
    return bytes(line[:1]), loads(line[1:])


_ESCAPED_BACKSLASH, _ESCAPED_QUOTE = b"\\\\", b'\\"'
_STRINGS = re.compile(rb'"[^"]*"')  # after the escapes are gone: linear, no backtracking
_BRACKETS_ONLY = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def _check_depth(line):
    """ProtocolError unless `line` nests [ and { at most MAX_DEPTH deep outside strings.

    Done on the bytes, before json.loads (which would recurse), in a few passes of C code:
    the escapes \\\\ and \\" are dropped (inside strings they pair up from the left; outside
    them a backslash is invalid JSON anyway), then every string, then everything but
    brackets; each round of removing the innermost "[]" pairs takes one level off. Where
    the line is not valid JSON the count may be too high, never too low before the first
    point at which json.loads would stop.
    """
    if line.count(b"[") + line.count(b"{") <= MAX_DEPTH:
        return
    stripped = _STRINGS.sub(b"", line.replace(_ESCAPED_BACKSLASH, b"").replace(_ESCAPED_QUOTE, b""))
    brackets = stripped.translate(_BRACKETS_ONLY, _NOT_BRACKETS)
    for _ in range(MAX_DEPTH):
        if not brackets:
            return
        shorter = brackets.replace(b"[]", b"")
        if len(shorter) == len(brackets):
            break  # unbalanced: not JSON
        brackets = shorter
    if brackets:
        raise ProtocolError(f"the message is nested too deeply (more than {MAX_DEPTH} levels) or is not JSON")


def _reject_constant(name):
    raise ProtocolError(f"the message holds {name}, which is not a number the grader reads")


def _finite_float(text):
    number = float(text)
    if not math.isfinite(number):
        raise ProtocolError("the message holds a number too large to read")
    return number


def _bounded_int(text):
    if len(text) > MAX_INT_DIGITS + 1:
        raise ProtocolError("the message holds a number too large to read")
    return int(text)


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_lone_surrogates(value):
    """`value` with every lone surrogate (JSON's "\\ud800" decodes to one) replaced by U+FFFD,
    so that whatever was read can always be written out as UTF-8."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_without_lone_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {_without_lone_surrogates(k): _without_lone_surrogates(v) for k, v in value.items()}
    return value


def loads(line, allow_nonfinite=False):
    """The JSON object (a dict) of one line (bytes, without its prefix); ProtocolError otherwise.

    Rejected: more than MAX_LINE bytes, nesting deeper than MAX_DEPTH (checked before
    parsing), bytes that are not UTF-8 or not JSON, NaN, Infinity, numbers too large for a
    float64 or with more than MAX_INT_DIGITS digits, and anything but an object at the top.
    `allow_nonfinite` accepts NaN, Infinity and overflowing floats: only for reading the
    grader's own requests, in the sandbox.
    """
    if isinstance(line, str):
        line = line.encode("utf-8", "surrogatepass")
    if not isinstance(line, (bytes, bytearray, memoryview)):
        raise ProtocolError("the message is not a line of text")
    line = bytes(line)
    if line.endswith(b"\n"):
        line = line[:-1]
    if len(line) > MAX_LINE:
        raise ProtocolError(f"the message is too large to read (more than {MAX_LINE // 2**20} MB)")
    _check_depth(line)
    collecting = gc.isenabled()
    gc.disable()  # millions of small containers: the collector would run over them again and again (10x)
    try:
        value = json.loads(line.decode("utf-8"), parse_constant=None if allow_nonfinite else _reject_constant,
                           parse_float=float if allow_nonfinite else _finite_float, parse_int=_bounded_int)
    except ProtocolError:
        raise
    except (ValueError, TypeError, RecursionError, OverflowError, MemoryError):
        raise ProtocolError("the message could not be read as JSON") from None
    finally:
        if collecting:
            gc.enable()
    if not isinstance(value, dict):
        raise ProtocolError("the message is not a JSON object")
    if _SURROGATE_ESCAPE.search(line):
        value = _without_lone_surrogates(value)
    return value


# ------------------------------------------------------------------ ARRAY
def encode_array(value, max_elements=MAX_ARRAY_ELEMENTS):
    """ARRAY for anything numpy can make a float64 array of; ProtocolError when too large.

    (numpy's own TypeError or ValueError for what it cannot convert passes through: that
    is the sender's problem, not the wire's.)
    """
    array = np.array(value, dtype="<f8", copy=True)  # a plain float64 array, whatever was given
    if array.ndim > MAX_NDIM or array.size > max_elements:
        raise ProtocolError(f"the array is too large to send (more than {max_elements} numbers)")
    return {"shape": list(array.shape), "data": base64.b64encode(array.tobytes()).decode("ascii")}


def decode_array(obj, what="the returned value", max_elements=MAX_ARRAY_ELEMENTS, finite=True):
    """A new, writable float64 ndarray from an ARRAY, or None for null; ProtocolError otherwise.

    Rejected: anything but {"shape": [...], "data": "..."}, a shape that is not a list of at
    most MAX_NDIM non-negative ints, more than `max_elements` numbers (counting the non-zero
    dimensions), data that is not base64 of exactly that many float64s, and NaN or inf
    (unless `finite` is False: the sandbox reading the grader's arrays, which may hold them).
    """
    if obj is None:
        return None
    unreadable = ProtocolError(f"{what} could not be read as an array of numbers")
    if not isinstance(obj, dict) or set(obj) != {"shape", "data"}:
        raise unreadable
    shape, data = obj["shape"], obj["data"]
    if not isinstance(shape, list) or len(shape) > MAX_NDIM or not isinstance(data, str):
        raise unreadable
    count = 1
    for n in shape:
        if type(n) is not int or n < 0:
            raise unreadable
        if n > max_elements or count * max(n, 1) > max_elements:
            raise ProtocolError(f"{what} is too large to read (more than {max_elements} numbers)")
        count *= max(n, 1)
    size = math.prod(shape)
    if len(data) != 4 * -(-8 * size // 3):  # base64 of 8 * size bytes, padded
        raise unreadable
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise unreadable from None
    if len(raw) != 8 * size:
        raise unreadable
    array = np.frombuffer(raw, dtype="<f8").astype(np.float64).reshape(shape)
    if finite and not np.all(np.isfinite(array)):
        raise ProtocolError(f"{what} contains NaN or inf values")
    return array


# ------------------------------------------------------------------ DATA
def _int_fits(value):
    """Whether an int has at most MAX_INT_DIGITS digits (as far as its bits tell)."""
    return abs(value).bit_length() <= MAX_INT_DIGITS * 3.32


def encode_data(value, leaf=encode_array, depth=0):
    """DATA for a value: scalars tagged, lists, tuples and dicts as containers (cut to the
    limits), anything else through `leaf` (default encode_array; the runner's version
    keeps modules from crossing). A NaN or inf float goes as a 0-d ARRAY, which the
    reader rejects as such."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return {"bool": bool(value)}
    if isinstance(value, (int, np.integer)):
        number = int(value)
        if not _int_fits(number):
            raise ProtocolError("the number is too large to send")
        return {"int": number}
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return {"float": number} if math.isfinite(number) else leaf(number)
    if isinstance(value, str):
        return {"str": str.__str__(value)[:MAX_STR]}
    if depth < MAX_DATA_DEPTH and isinstance(value, dict) and len(value) <= MAX_DATA_KEYS:
        return {"dict": [[str(key)[:MAX_KEY], encode_data(item, leaf, depth + 1)]
                         for key, item in list(dict.items(value))]}
    if depth < MAX_DATA_DEPTH and isinstance(value, (list, tuple)) and len(value) <= MAX_DATA_ITEMS:
        return {"list": [encode_data(item, leaf, depth + 1) for item in list(value)]}
    return leaf(value)


def decode_data(obj, what="the returned value", max_elements=MAX_ARRAY_ELEMENTS, depth=0):
    """Python values from DATA (arrays as in decode_array); ProtocolError for anything else."""
    if obj is None:
        return None
    if isinstance(obj, dict) and len(obj) == 1:
        (kind, item), = obj.items()
        if kind == "bool" and isinstance(item, bool):
            return item
        if kind == "int" and type(item) is int and _int_fits(item):
            return item
        if kind == "float" and type(item) in (int, float):
            try:
                number = float(item)
            except OverflowError:
                number = math.inf
            if not math.isfinite(number):
                raise ProtocolError(f"{what} contains NaN or inf values")
            return number
        if kind == "str" and isinstance(item, str) and len(item) <= MAX_STR:
            return item
        if kind in ("list", "dict") and depth < MAX_DATA_DEPTH and isinstance(item, list):
            if kind == "list" and len(item) <= MAX_DATA_ITEMS:
                return [decode_data(element, what, max_elements, depth + 1) for element in item]
            if kind == "dict" and len(item) <= MAX_DATA_KEYS:
                result = {}
                for pair in item:
                    if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)
                            and len(pair[0]) <= MAX_KEY):
                        break
                    result[pair[0]] = decode_data(pair[1], what, max_elements, depth + 1)
                else:
                    return result
        raise ProtocolError(f"{what} could not be read as a value (a number, a string, a list, a dict "
                            "or an array of numbers)")
    return decode_array(obj, what, max_elements)


# ------------------------------------------------------------------ PLAIN
def plain(value, depth=0):
    """`value` rebuilt from plain JSON types only (dict with str keys, list, str, number, bool,
    None), or None when it holds anything else: no student object crosses to the grader."""
    if depth > MAX_PLAIN_DEPTH:
        return None
    if value is None or type(value) is bool:
        return value
    if isinstance(value, int):
        number = int.__index__(value)
        return number if _int_fits(number) else None
    if isinstance(value, float):
        number = float.__float__(value)
        return number if math.isfinite(number) else None
    if isinstance(value, str):
        return str.__str__(value)[:MAX_STR]
    if isinstance(value, (list, tuple)) and len(value) <= MAX_PLAIN_ITEMS:
        return [plain(item, depth + 1) for item in list.__iter__(list(value))]
    if isinstance(value, dict) and len(value) <= MAX_PLAIN_ITEMS:
        return {str.__str__(k)[:MAX_KEY]: plain(v, depth + 1) for k, v in dict.items(value) if isinstance(k, str)}
    return None


def decode_plain(obj, what="the value", depth=0):
    """`obj` itself when it is PLAIN (see plain); ProtocolError otherwise."""
    if obj is None or isinstance(obj, bool):
        return obj
    if isinstance(obj, str) and len(obj) <= MAX_STR:
        return obj
    if type(obj) is int and _int_fits(obj) or type(obj) is float and math.isfinite(obj):
        return obj
    if depth <= MAX_PLAIN_DEPTH and isinstance(obj, list) and len(obj) <= MAX_PLAIN_ITEMS:
        return [decode_plain(item, what, depth + 1) for item in obj]
    if depth <= MAX_PLAIN_DEPTH and isinstance(obj, dict) and len(obj) <= MAX_PLAIN_ITEMS \
            and all(isinstance(k, str) and len(k) <= MAX_KEY for k in obj):
        return {k: decode_plain(v, what, depth + 1) for k, v in obj.items()}
    raise ProtocolError(f"{what} could not be read as plain data (numbers, strings, lists and dicts)")


# ------------------------------------------------------------------ outputs
def output_size(output):
    """Bytes of one output on the wire (anything that is not JSON counts as too large)."""
    try:
        return len(json.dumps(output, allow_nan=False, separators=(",", ":")))
    except (TypeError, ValueError, RecursionError, OverflowError):
        return MAX_LINE + 1


def _cut_text(text, room, note):
    """`text` cut so that it and the note take about `room` characters on the wire."""
    if not isinstance(text, str):
        text = ""
    keep = max(room - len(note) - 2, 0)
    while keep and len(json.dumps(text[:keep])) > keep + 2:  # escapes take more room: cut more
        keep = keep * 3 // 4
    return text[:keep] + ("\n" if keep and not text[:keep].endswith("\n") else "") + note + "\n"


def _error(output, room):
    """An error output cut to about `room` bytes: its name, value, and the traceback's end."""
    ename = output.get("ename", "Error")
    ename = (ename if isinstance(ename, str) else "Error")[:200]
    evalue = output.get("evalue", "")
    evalue = (evalue if isinstance(evalue, str) else str(evalue))[:min(2000, room // 4)]
    lines = output.get("traceback") if isinstance(output.get("traceback"), list) else []
    left, kept = room - output_size(ename) - output_size(evalue) - 60, []
    for line in reversed(lines[-30:]):
        if left <= 0:
            break
        line = (line if isinstance(line, str) else str(line))[:min(1000, left)]
        kept.append(line)
        left -= output_size(line) + 1
    return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": kept[::-1]}


def cap_outputs(outputs, limit, note):
    """The outputs of one cell (nbformat v4 dicts), at most about `limit` bytes in all.

    What does not fit is cut or left out, and `note` (one line) says so. Errors and
    an execute_result's short text/plain (a test cell's score) are always kept: errors cut
    to between MIN_ERROR and MAX_ERROR characters, and first, then execute_results, then
    streams and displays in their order. The order of what is kept does not change.
    """
    outputs = [o for o in outputs if isinstance(o, dict)] if isinstance(outputs, list) else []
    kept = [None] * len(outputs)
    budget = limit
    for i, output in enumerate(outputs):
        if output.get("output_type") == "error":
            room = max(MIN_ERROR, min(MAX_ERROR, limit // 2, budget))
            kept[i] = output if output_size(output) <= room else _error(output, room)
            budget -= output_size(kept[i])
    for i, output in enumerate(outputs):
        if output.get("output_type") != "execute_result":
            continue
        size = output_size(output)
        if size <= budget:
            kept[i], budget = output, budget - size
            continue
        data = output.get("data") if isinstance(output.get("data"), dict) else {}
        text = data.get("text/plain") if isinstance(data.get("text/plain"), str) else ""
        room = max(budget // 2, SHORT_RESULT)  # the other half for the cell's printed output
        shown = text if len(text) <= room and output_size(text) <= room + 2 else _cut_text(text, room, note)
        kept[i] = {"output_type": "execute_result", "execution_count": output.get("execution_count"),
                   "data": {"text/plain": shown}, "metadata": {}}
        budget -= output_size(kept[i])
    over = False  # once something does not fit, the rest is left out (the note says so)
    for i, output in enumerate(outputs):
        if output.get("output_type") in ("error", "execute_result") or over:
            continue
        size = output_size(output)
        if size <= budget:
            kept[i], budget = output, budget - size
            continue
        over = True
        if output.get("output_type") == "stream" and output.get("name") in ("stdout", "stderr"):
            kept[i] = {"output_type": "stream", "name": output["name"],
                       "text": _cut_text(output.get("text"), budget - 50, note)}
        else:
            kept[i] = {"output_type": "display_data", "data": {"text/plain": note}, "metadata": {}}
    return [output for output in kept if output is not None]


def outputs_size(outputs):
    """Bytes of a list of outputs on the wire."""
    return sum(output_size(output) for output in outputs)
