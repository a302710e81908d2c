"""The trusted verdict: each class is checked by the grader itself, never by student code.

For every test cell an assignment lists in its checks module's `TRUSTED` table, the
grader starts a fresh sandboxed process holding only that one answer cell's code (a
run of the sandbox's zygote in `objects` mode, see runner.py), and runs the course's
own check function here, in the grader's process, against stand-ins (`RemoteClass`)
whose every method call crosses to the sandbox and comes back as a plain float64 array (shape read from the reply, NaN
and inf rejected). Whatever the student's code patches (numpy, the checks, IPython,
ndarray subclasses), it patches it in its own sandbox only: the comparisons and
the score are computed here. A crash, exit or hang costs only that class's points.

The notebook's own hidden test cells still run (their output is the student's
feedback); where their score differs from the trusted one, the student is flagged
for the instructor as possible tampering, with both scores as evidence.
"""

import base64
import contextlib
import inspect
import io
import re
import sys

import numpy as np

from . import sandbox
from .course import ROOT


def _checks_module(assignment):
    """The assignment's checks module, imported from the repository (trusted code)."""
    for path in (ROOT, ROOT / "checks"):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    generated = str(ROOT / "source" / assignment)  # e.g. Task 3's framework.py, built from Task 2's solution
    if generated not in sys.path:
        sys.path.append(generated)
    import importlib

    return importlib.import_module(f"{assignment.split('_')[0]}_checks")


def _table(assignment, name):
    """The table `name` of the assignment's checks module, or {} when it has none."""
    try:
        module = _checks_module(assignment)
    except ImportError:
        return {}
    return getattr(module, name, {})


def trusted_table(assignment):
    """{test cell id: (answer cell id(s), check function, class name(s))} or {} when none.

    With tuples, the cells are defined together in one sandbox and the check gets a
    dict {class name: stand-in class} (whole-network checks).
    """
    return _table(assignment, "TRUSTED")


_IMPORTS = {}


def helper_classes(assignment):
    """{test cell id: classes (or names) the check builds inside the sandbox}; {} when none."""
    return _table(assignment, "TRUSTED_HELPERS")


def notebook_imports(assignment):
    """The import statements of the source notebook's own cells (not answers, not tests), as
    one block of code: an answer cell may use what the notebook imported (e.g. `parameters_of`)."""
    import ast

    import nbformat

    if assignment not in _IMPORTS:
        notebook = nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)
        found = []
        for cell in notebook.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code" or meta.get("solution") or meta.get("grade"):
                continue
            code = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
            try:
                tree = ast.parse(code)
            except SyntaxError:
                continue
            found += [ast.get_source_segment(code, node) for node in tree.body
                      if isinstance(node, (ast.Import, ast.ImportFrom))]
        _IMPORTS[assignment] = "\n".join(dict.fromkeys(found))
    return _IMPORTS[assignment]


def trusted_values(assignment):
    """{test cell id: (notebook variable, check, answer cell id)}: answers that are plain data
    (e.g. a dict of names), read from the notebook after it ran (or, when the notebook never
    got to it, from the answer cell run on its own) and checked here; {} when none."""
    return _table(assignment, "TRUSTED_VALUES")


def trusted_namespace(assignment):
    """{test cell id: (notebook variables, check)}: checks of objects the notebook made (e.g.
    its `mlp`), run here against stand-ins for them after the notebook ran; {} when none."""
    return _table(assignment, "TRUSTED_NAMESPACE")


def namespace_scores(assignment, run, points):
    """Switch a notebook's finished `run` to serving its objects; run the namespace checks here.

    Returns {test cell: (score, report text, student output)}. The run cannot go back to
    running cells afterwards.
    """
    table = {test_id: entry for test_id, entry in trusted_namespace(assignment).items() if test_id in points}
    if not table:
        return {}
    import scoring

    results = {}
    session = None
    try:
        session = Session(None, None, run=run)
    except scoring.StudentError:
        pass
    for test_id, (variables, check) in table.items():
        report = io.StringIO()
        with contextlib.redirect_stdout(report):
            namespace = {name: session.lookup(name) if session else None for name in variables}
            score = check(namespace, points=points[test_id])
        output = "".join(session.output) if session is not None else ""
        results[test_id] = (float(score), report.getvalue(), output)
    return results


def encode(value, session=None):
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, RemoteObject):
        return {"handle": value._handle}
    if session is not None and (hasattr(value, "forward") or hasattr(value, "step") or callable(value)):
        return {"callback": session.register(value)}  # a trusted module, optimizer or function the check passes in
    array = np.asarray(value, dtype="<f8")
    return {"shape": list(array.shape), "data": base64.b64encode(array.tobytes()).decode()}


def _argument(value):
    """An argument the sandbox passed to a trusted stand-in: a number or string, or an array."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return decode(value, what="the array passed on")


def _callback_value(value):
    """What a trusted stand-in answers: an array, a number, or an iterator's (X, Y) items."""
    import itertools

    if value is None or hasattr(value, "forward") or hasattr(value, "step"):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if hasattr(value, "__next__") or (isinstance(value, list) and value and isinstance(value[0], tuple)):
        return {"items": [[encode(part) for part in item] for item in itertools.islice(value, 100_000)]}
    return encode(value)


def decode(value, what="the returned value"):
    """A plain float64 ndarray from a reply, or None; anything odd is the student's error."""
    from scoring import StudentError

    if value is None:
        return None
    try:
        shape = [int(n) for n in value["shape"]]
        data = np.frombuffer(base64.b64decode(value["data"], validate=True), dtype="<f8")
        if any(n < 0 for n in shape) or int(np.prod(shape)) != data.size:
            raise ValueError
    except (KeyError, TypeError, ValueError):
        raise StudentError(f"{what} could not be read as an array of numbers") from None
    array = data.reshape(shape).astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise StudentError(f"{what} contains NaN or inf values")
    return array


class Session:
    """One sandboxed process running one answer cell, driven request by request."""

    def __init__(self, slot, source, run=None, imports="", earlier=(), skip=None):
        """A fresh run of `slot` that defines `source`; or, given `run` (a notebook that has
        run), that run switched to serving the objects of the notebook's namespace.

        Before `source`, the run gets what the notebook had at that point: the notebook's
        own `imports` and the student's `earlier` answer cells [(id, source)], each
        allowed to fail. One that kills or hangs the run is left out (and its id added
        to the set `skip`, so that the student's later checks do not wait for it again).
        """
        from scoring import StudentError

        self.dead, self.output, self.callbacks = None, [], {}
        self._error = StudentError
        if run is not None:
            self.worker = run
            self.ask({"op": "objects"}, what="your notebook")
            return
        skip = set() if skip is None else skip
        self.worker = None
        while True:
            self._start(slot, imports)
            for answer_id, earlier_source in earlier:
                if answer_id in skip:
                    continue
                try:
                    self.ask({"op": "define", "source": earlier_source})
                except StudentError:
                    if self.dead:  # it took the process down: start again without it
                        skip.add(answer_id)
                        break
            else:
                break
        self.output = []  # what the earlier cells printed is not this check's output
        self.ask({"op": "define", "source": source}, what="your answer cell")

    def _start(self, slot, imports):
        from scoring import StudentError

        if self.worker is not None:
            self.worker.close()
        self.dead = None
        try:
            self.worker = slot.start_run("objects")
        except sandbox.WorkerDied as death:
            self.worker = None
            raise StudentError(death.reason) from None
        if imports:
            self.ask({"op": "define", "source": imports}, what="the notebook's imports")

    def lookup(self, name):
        """A stand-in for the notebook's variable `name`, or None when it has none."""
        try:
            reply = self.ask({"op": "lookup", "name": name})
        except (AttributeError, self._error):
            return None
        return RemoteObject(self, reply.get("handle"), name)

    def register(self, module):
        """Make a trusted object reachable from the sandbox as a stand-in; return its id."""
        ident = len(self.callbacks) + 1
        self.callbacks[ident] = module
        return ident

    def ask(self, message, what="the call"):
        if self.dead:
            raise self._error(self.dead)
        import time

        deadline = time.monotonic() + self.worker.limits.cell_timeout  # for the call and its callbacks
        try:
            reply = self.worker.request(message, self.worker.limits.cell_timeout)
            while "callback" in reply:  # student code called a trusted stand-in: answer, then wait on
                left = deadline - time.monotonic()
                if left <= 0:
                    self.worker.close()
                    raise sandbox.WorkerDied(f"the call did not finish within {self.worker.limits.cell_timeout:g} s "
                                             "(time limit)", timed_out=True)
                reply = self.worker.request(self._answer_callback(reply), left)
        except sandbox.WorkerDied as death:
            self.dead = death.reason
            raise self._error(death.reason) from None
        if isinstance(reply.get("output"), str) and reply["output"]:
            self.output.append(reply["output"][:10_000])
        if "error" in reply:
            error = AttributeError if reply.get("missing") else self._error
            prefix = "" if what == "the call" else f"{what} "
            raise error(prefix + str(reply["error"])[:500])
        return reply

    def _answer_callback(self, request):
        """Run a trusted stand-in's forward, backward, step or call on what the sandbox sent."""
        target = self.callbacks.get(request.get("callback"))
        method = request.get("method")
        if target is None or method not in ("forward", "backward", "step", "__call__"):
            return {"error": "no such method"}
        if method == "__call__" and not callable(target):
            method = "forward"
        try:
            args = [_argument(a) for a in request.get("args", [])]
            kwargs = {str(k): _argument(v) for k, v in dict(request.get("kwargs", {})).items()}
            function = target if method == "__call__" else getattr(target, method)
            return {"value": _callback_value(function(*args, **kwargs))}
        except Exception as error:  # the student's arguments were unusable: tell their code
            return {"error": str(error)[:300]}

    def close(self):
        if self.worker is not None:
            self.worker.close()


class RemoteClass:
    """Stands for a student's class: calling it makes an object in the sandbox."""

    def __init__(self, session, name):
        self._session, self.__name__ = session, name

    def __call__(self, *args):
        args = [encode(a, self._session) for a in args]
        reply = self._session.ask({"op": "new", "cls": self.__name__, "args": args})
        return RemoteObject(self._session, reply.get("handle"), self.__name__)


class RemoteFunction:
    """Stands for a student's function (lower-case name): each call runs it in the sandbox.

    Arrays passed in are copies; whatever the function did to them in place is written
    back, so a check can still see that it changed its inputs. An iterator result (a
    generator) comes back as the list of its first items, each a tuple of arrays.
    """

    ITEMS = 1000  # at most this many items of an iterator that might never stop

    def __init__(self, session, name):
        self._session, self.__name__ = session, name
        self.globals_during_calls = {}  # names to swap in the function's globals, e.g. reference helpers

    def __call__(self, *args, **kwargs):
        reply = self._apply(args, kwargs, items=0)
        if reply.get("iterator"):  # like a generator: nothing runs until it is iterated
            return _RemoteIterator(self, args, kwargs)
        return decode_data(reply.get("value"), what=f"what {self.__name__} returned")

    def _apply(self, args, kwargs, items):
        session = self._session
        reply = session.ask({"op": "apply", "name": self.__name__, "items": items,
                             "args": [encode(a, session) for a in args],
                             "kwargs": {str(k): encode(v, session) for k, v in kwargs.items()},
                             "globals": {name: encode(value, session)
                                         for name, value in self.globals_during_calls.items()}})
        changed = reply.get("args") if isinstance(reply.get("args"), list) else []
        for original, after in zip(args, changed):
            if isinstance(original, np.ndarray) and after is not None:
                value = decode(after, what=f"an argument {self.__name__} changed")
                if value.shape == original.shape:
                    np.copyto(original, value)
        return reply


class _RemoteIterator:
    """The iterator a student's function returned; iterating it runs the function in the sandbox
    again and takes its first RemoteFunction.ITEMS items, each a tuple of arrays."""

    def __init__(self, function, args, kwargs):
        self.function, self.args, self.kwargs = function, args, kwargs

    def __iter__(self):
        function = self.function
        reply = function._apply(self.args, self.kwargs, items=function.ITEMS)
        items = reply.get("items") if isinstance(reply.get("items"), list) else []
        return iter([tuple(decode(part, what=f"what {function.__name__} yielded") for part in item)
                     if isinstance(item, list) else None for item in items])


def decode_data(value, what, depth=0):
    """Tagged plain data (see runner._data) as Python values; arrays as in `decode`."""
    if isinstance(value, dict) and len(value) == 1 and depth < 5:
        (kind, item), = value.items()
        if kind == "bool" and isinstance(item, bool):
            return item
        if kind == "int" and isinstance(item, int) and not isinstance(item, bool):
            return item
        if kind == "float" and isinstance(item, (int, float)) and not isinstance(item, bool):
            return float(item)
        if kind == "str" and isinstance(item, str):
            return item
        if kind == "dict" and isinstance(item, list):
            return {str(pair[0]): decode_data(pair[1], what, depth + 1) for pair in item
                    if isinstance(pair, list) and len(pair) == 2}
        if kind == "list" and isinstance(item, list):
            return [decode_data(element, what, depth + 1) for element in item]
    return decode(value, what=what)


class RemoteObject:
    """Stands for one object of a student's class; attributes and methods cross to the sandbox."""

    _METHODS = {"forward", "backward", "step", "add_module", "__call__"}

    def __init__(self, session, handle, name):
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_handle", handle)
        object.__setattr__(self, "_name", name)

    def __getattr__(self, name):
        if name.startswith("_") and name != "__call__":
            raise AttributeError(name)
        if name in self._METHODS:
            return self._method(name)
        if name == "modules":  # a model's named sub-modules, each a stand-in too
            reply = self._session.ask({"op": "modules", "handle": self._handle})
            found = reply.get("modules") if isinstance(reply.get("modules"), list) else []
            return {str(key): RemoteObject(self._session, handle, str(key)) for key, handle in found}
        reply = self._session.ask({"op": "get", "handle": self._handle, "name": name})
        return decode(reply.get("value"), what=f"{self._name}.{name}")

    def __setattr__(self, name, value):
        self._session.ask({"op": "set", "handle": self._handle, "name": name,
                           "value": encode(value, self._session)})

    def __call__(self, *args):
        return self._method("__call__")(*args)

    def __course_losses__(self, loss_fn, X, Y, layer, attr, values):
        """loss_fn.forward(self.forward(X), Y) with layer.attr set to each of `values`, in one request."""
        reply = self._session.ask({"op": "losses", "model": self._handle, "loss": loss_fn._handle,
                                   "layer": layer._handle, "attr": attr, "X": encode(X), "Y": encode(Y),
                                   "values": [encode(v) for v in values]})
        losses = reply.get("values")
        if not isinstance(losses, list) or len(losses) != len(values):
            raise self._session._error("the network's losses could not be read")
        return [decode(loss, what="the loss") for loss in losses]

    def _method(self, name):
        return _RemoteMethod(self, name)


class _RemoteMethod:
    """A method of an object in the sandbox; after a call, `problems` lists the floating-point
    events (overflow, invalid value, ...) NumPy met there, for checks that ask for quiet code."""

    def __init__(self, owner, name):
        self.owner, self.name, self.problems = owner, name, []

    def __call__(self, *args):
        owner = self.owner
        reply = owner._session.ask({"op": "call", "handle": owner._handle, "name": self.name,
                                    "args": [encode(a, owner._session) for a in args]})
        problems = reply.get("problems")
        self.problems = [str(p)[:200] for p in problems[:10]] if isinstance(problems, list) else []
        return decode(reply.get("value"), what=f"{owner._name}.{self.name}")


def trusted_scores(assignment, answers, points, seeds, slot, values=None):
    """Run every trusted check of one student; {test cell: (score, report text, student output)}.

    Args:
        answers: {answer cell id: the student's source}.
        points: {test cell id: max points}.
        seeds: {test cell id: the seed its hidden test cell uses}.
        slot: the sandbox.Slot whose fresh runs hold the student's answer cells.
        values: {variable: plain data} read from the student's notebook after it ran.
    """
    table = trusted_table(assignment)  # puts checks/ on sys.path first
    import scoring

    results = {}
    imports = notebook_imports(assignment)
    order = list(answers)  # the answer cells in notebook order
    skip = set()  # earlier answer cells that killed or hung their process
    for test_id, (answer_id, check, class_name) in table.items():
        if test_id not in points:
            continue
        report = io.StringIO()
        session = None
        with contextlib.redirect_stdout(report):
            ids = answer_id if isinstance(answer_id, tuple) else (answer_id,)
            names = class_name if isinstance(class_name, tuple) else (class_name,)
            try:
                missing = [a for a in ids if answers.get(a) is None]
                if missing:
                    raise scoring.StudentError(f"the answer cell {missing[0]!r} is missing")
                first = min(order.index(a) for a in ids)
                earlier = [(a, answers[a]) for a in order[:first]]
                helpers = helper_classes(assignment).get(test_id, ())
                prelude = "\n\n".join([imports] + [inspect.getsource(h) for h in helpers if not isinstance(h, str)])
                session = Session(slot, "\n\n".join(answers[a] for a in ids), imports=prelude,
                                  earlier=earlier, skip=skip)
                extra = {"helpers": {h if isinstance(h, str) else h.__name__:
                                     RemoteClass(session, h if isinstance(h, str) else h.__name__)
                                     for h in helpers}} if helpers else {}
                classes = {name: (RemoteClass if name[:1].isupper() else RemoteFunction)(session, name)
                           for name in names}
            except scoring.StudentError as error:
                classes, extra = {name: _Broken(str(error)) for name in names}, {}
            cls = classes if isinstance(class_name, tuple) else classes[class_name]
            try:
                score = check(cls, points=points[test_id], seed=seeds.get(test_id, 0), **extra)
            finally:
                if session is not None:
                    session.close()
        output = "".join(session.output) if session is not None else ""
        results[test_id] = (float(score), report.getvalue(), output)
    for test_id, (variable, check, answer_id) in trusted_values(assignment).items():
        if test_id not in points:
            continue
        value = (values or {}).get(variable)
        if value is None and answers.get(answer_id) is not None:
            # The notebook never got there (its time ran out after other cells hung, say):
            # the answer cell alone, after what came before it, as for the other checks.
            value = _value_of(slot, answers, answer_id, variable, imports, skip)
        report = io.StringIO()
        with contextlib.redirect_stdout(report):
            score = check(value, points=points[test_id])
        results[test_id] = (float(score), report.getvalue(), "")
    return results


def _value_of(slot, answers, answer_id, variable, imports, skip):
    """`variable` as plain data after defining the answer cell in a fresh run, or None."""
    import scoring

    order = list(answers)
    earlier = [(a, answers[a]) for a in order[:order.index(answer_id)]]
    session = None
    try:
        session = Session(slot, answers[answer_id], imports=imports, earlier=earlier, skip=skip)
        return session.ask({"op": "value", "name": variable}).get("value")
    except (scoring.StudentError, AttributeError):
        return None
    finally:
        if session is not None:
            session.close()


class _Broken:
    """A class that could not be defined: every use raises the reason."""

    def __init__(self, reason):
        self.reason = reason

    def __call__(self, *args):
        from scoring import StudentError

        raise StudentError(self.reason)


def seed_of(source):
    """The `seed=` a hidden test cell passes to its check, or 0."""
    match = re.search(r"seed\s*=\s*(\d+)", source)
    return int(match.group(1)) if match else 0
