"""The trusted verdict: every graded cell is scored by the grader itself, never by student code.

For every test cell an assignment's grader-only spec (autograder/specs/) lists in its
`TRUSTED` table, the grader starts a fresh sandboxed process holding the student's
answer cell (after the notebook's imports and the student's earlier answers; a run of
the sandbox's zygote in `objects` mode, see runner.py), and runs the spec's check here,
in the grader's process, against stand-ins (`RemoteClass`) whose every method call
crosses to the sandbox and comes back as plain data (protocol.py: float64 arrays, NaN
and inf rejected). Whatever the student's code patches (numpy, the checks, IPython,
ndarray subclasses), it patches it in its own sandbox only: the comparisons and the
score are computed here.

Every failure of a check — the student's code crashing, hanging or answering with
something unreadable, the student's time budget running out, or the grader's own
error — gives that check a `Verdict` of 0 with the reason. Nothing computed in the
student's process is ever used as a score. What the grader computes on the student's
behalf (a stand-in's forward called from the student's loop) is bounded: arguments
are checked for size and shape before the grader computes with them.
"""

import contextlib
import dataclasses
import functools
import inspect
import io
import math
import re

import numpy as np

from . import protocol, sandbox
from .course import ROOT


def _table(assignment, name):
    """The table `name` of the assignment's grader-only spec (autograder/specs/), or {}."""
    from . import specs

    return getattr(specs.load(assignment), name, {}) or {}


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
        from . import specs

        notebook = nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)
        experiments = set(specs.experiments(assignment))  # cells the grader does not run: their imports neither
        found = []
        for cell in notebook.cells:
            meta = cell.metadata.get("nbgrader", {})
            if (cell.cell_type != "code" or meta.get("solution") or meta.get("grade")
                    or meta.get("grade_id") in experiments):
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


class Budget:
    """The wall-clock seconds left for one student's trusted checks, all of them together."""

    def __init__(self, seconds):
        import time

        self.deadline = time.monotonic() + float(seconds)
        self.seconds = float(seconds)

    def left(self):
        import time

        return self.deadline - time.monotonic()


@dataclasses.dataclass
class Tables:
    """What grading needs to know of an assignment's spec (see `spec_tables`)."""

    all: set  # test cells with a trusted check
    fetch: tuple  # notebook variables read after the run (TRUSTED_VALUES)
    checks_of: dict  # check function name -> test cell, for tamper evidence
    protected: set  # names the source notebook imports from the course


def spec_tables(assignment):
    tables = {**trusted_table(assignment), **trusted_values(assignment), **trusted_namespace(assignment)}
    checks_of = {}
    for test_id, entry in tables.items():
        for part in entry:
            if callable(part) and hasattr(part, "__name__"):
                checks_of[part.__name__] = test_id
    protected = set()
    import ast

    try:
        tree = ast.parse(notebook_imports(assignment))
        for node in tree.body:
            protected.update(alias.asname or alias.name.split(".")[0] for alias in node.names)
    except SyntaxError:
        pass
    fetch = tuple(sorted({entry[0] for entry in trusted_values(assignment).values()}))
    return Tables(set(tables), fetch, checks_of, protected - {"np", "plt"})


def seeds_of(assignment):
    """{test cell id: the seed its hidden test passes to its check}, read from the SOURCE notebook."""
    import nbformat

    notebook = nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    seeds = {}
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            seeds[meta["grade_id"]] = seed_of(cell.source)
    return seeds


def _run_check(title, points, check, *args, output=lambda: "", **kwargs):
    """Run one check here; its Verdict. A check that fails in any way scores 0 with the reason."""
    import scoring

    from .results import Part, Verdict

    finished = []
    scoring.FINISHED = finished
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            score = float(check(*args, points=points, **kwargs))
    except (scoring.StudentError, protocol.ProtocolError) as error:
        return Verdict(0.0, points, title, reason=str(error)[:500], output=output())
    except MemoryError:
        return Verdict(0.0, points, title, reason="the check needed more memory than the grader allows "
                       "(did your code pass on arrays of an unexpected shape?)", output=output())
    except RecursionError:
        return Verdict(0.0, points, title, reason="the check could not finish (recursion too deep)", output=output())
    except Exception as error:  # the grader's own failure: still 0, never the notebook's score
        return Verdict(0.0, points, title, reason=f"the check could not run ({type(error).__name__}: "
                       f"{str(error)[:300]}); ask your instructor to regrade", output=output())
    finally:
        scoring.FINISHED = None
    if not math.isfinite(score):
        return Verdict(0.0, points, title, reason="the check gave no valid score", output=output())
    report = finished[-1] if finished else None
    parts = [Part(str(label), float(weight), bool(ok), str(message)) for label, weight, ok, message in
             (report.parts if report is not None else [])]
    return Verdict(min(max(score, 0.0), points), points, report.title if report is not None else title, parts,
                   output=output())


def namespace_scores(assignment, run, points, budget=None):
    """Switch a notebook's finished `run` to serving its objects; run the namespace checks here.

    Returns {test cell: Verdict}. The run cannot go back to running cells afterwards.
    """
    table = {test_id: entry for test_id, entry in trusted_namespace(assignment).items() if test_id in points}
    if not table:
        return {}
    import scoring

    from .results import Verdict

    results = {}
    session, why = None, None
    try:
        session = Session(None, None, run=run, budget=budget)
    except (scoring.StudentError, protocol.ProtocolError) as error:
        why = str(error)
    for test_id, (variables, check) in table.items():
        if session is None:
            results[test_id] = Verdict(0.0, points[test_id], test_id,
                                       reason=f"your notebook's objects could not be reached ({why})")
            continue
        try:
            namespace = {name: session.lookup(name) for name in variables}
        except (scoring.StudentError, protocol.ProtocolError) as error:
            results[test_id] = Verdict(0.0, points[test_id], test_id, reason=str(error)[:500])
            continue
        results[test_id] = _run_check(test_id, points[test_id], check, namespace,
                                      output=functools.partial(_output_of, session))
    return results


def encode(value, session=None):
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, RemoteObject):
        return {"handle": value._handle}
    if session is not None and (hasattr(value, "forward") or hasattr(value, "step") or callable(value)):
        return {"callback": session.register(value)}  # a trusted module, optimizer or function the check passes in
    return protocol.encode_array(value)


def _argument(value, max_elements):
    """An argument the sandbox passed to a trusted stand-in: a number or string, or an array."""
    if value is None or isinstance(value, (bool, float, str)):
        return value if not isinstance(value, str) else value[:1000]
    if isinstance(value, int):
        if abs(value) > 2**31:
            raise ValueError("an integer argument is out of range")
        return value
    array = decode(value, what="the array passed on")
    if array.size > max_elements:
        raise ValueError(f"an array of {array.size} numbers is more than the grader accepts ({max_elements})")
    return array


def _no_growing_broadcast(a, b):
    """Refuse two arrays whose broadcast would be larger than both (e.g. (m,1,1) and (1,m,1))."""
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        return  # they do not broadcast: the stand-in will say so itself
    if math.prod(shape) > max(a.size, b.size):
        raise ValueError(f"arrays of shapes {a.shape} and {b.shape} do not match")


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

    try:
        return protocol.decode_array(value, what)
    except protocol.ProtocolError as error:
        raise StudentError(str(error)) from None


class Session:
    """One sandboxed process running one answer cell, driven request by request."""

    def __init__(self, slot, source, run=None, imports="", earlier=(), skip=None, budget=None):
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
        self.budget = budget
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
        """Send one request; its reply. The call and the callbacks it makes share one time limit,
        the smaller of the per-cell limit and what is left of the student's budget."""
        if self.dead:
            raise self._error(self.dead)
        import time

        limit = self.worker.limits.cell_timeout
        if self.budget is not None:
            limit = min(limit, self.budget.left())
            if limit <= 0:
                self.dead = _OUT_OF_TIME.format(self.budget.seconds)
                raise self._error(self.dead)
        deadline = time.monotonic() + limit
        try:
            reply = self.worker.request(message, limit)
            while "callback" in reply:  # student code called a trusted stand-in: answer, then wait on
                left = deadline - time.monotonic()
                if left <= 0:
                    why = f"the call did not finish within {limit:g} s (time limit)"
                    self.worker.kill(why)  # it may still be flooding: no polite end
                    raise sandbox.WorkerDied(why, timed_out=True)
                reply = self.worker.request(self._answer_callback(reply), left)
        except sandbox.WorkerDied as death:
            cut = self.budget is not None and limit < self.worker.limits.cell_timeout
            self.dead = _OUT_OF_TIME.format(self.budget.seconds) if death.timed_out and cut else death.reason
            raise self._error(self.dead) from None
        if isinstance(reply.get("output"), str) and reply["output"] and sum(map(len, self.output)) < 100_000:
            self.output.append(reply["output"][:10_000])
        if "error" in reply:
            error = AttributeError if reply.get("missing") else self._error
            prefix = "" if what == "the call" else f"{what} "
            raise error(prefix + str(reply["error"])[:500])
        return reply

    # What student code may hand a trusted stand-in: no more numbers than this per array, and
    # arrays whose broadcast is no larger than the largest of them (no (m,1,1) against (1,m,1)).
    MAX_ARGUMENT_ELEMENTS = 2**21
    MAX_ARGUMENTS = 8
    # ... and no more than this many bytes of arrays over the whole session: a stand-in that
    # logs what it is given (a recorder, Task 3's logged model) keeps copies, and no check
    # needs more than a few hundred KB.
    MAX_SESSION_BYTES = 8 * 2**20

    def _answer_callback(self, request):
        """Run a trusted stand-in's forward, backward, step or call on what the sandbox sent.

        Everything the student's code sent is checked before the grader computes with it,
        so that no input makes the grader's side allocate more than a few times its size.
        """
        target = self.callbacks.get(request.get("callback"))
        method = request.get("method")
        if target is None or method not in ("forward", "backward", "step", "__call__"):
            return {"error": "no such method"}
        if method == "__call__" and not callable(target):
            method = "forward"
        try:
            raw_args, raw_kwargs = request.get("args", []), request.get("kwargs", {})
            if not isinstance(raw_args, list) or not isinstance(raw_kwargs, dict) or \
                    len(raw_args) + len(raw_kwargs) > self.MAX_ARGUMENTS:
                return {"error": "the arguments could not be read"}
            args = [_argument(a, self.MAX_ARGUMENT_ELEMENTS) for a in raw_args]
            kwargs = {str(k)[:100]: _argument(v, self.MAX_ARGUMENT_ELEMENTS) for k, v in raw_kwargs.items()}
            arrays = [a for a in [*args, *kwargs.values()] if isinstance(a, np.ndarray)]
            # Each array counts its bytes and what Python keeps beside them (many tiny ones add up).
            self.received = getattr(self, "received", 0) + sum(a.nbytes + 256 for a in arrays) + 256
            if self.received > self.MAX_SESSION_BYTES:
                return {"error": f"your code passed more than {self.MAX_SESSION_BYTES // 2**20} MB of arrays to "
                                 "the check's modules; no check needs that much"}
            if arrays and max(a.ndim for a in arrays) > 4:
                return {"error": "arrays of more than 4 dimensions are not accepted"}
            for first in range(len(arrays)):
                for second in range(first + 1, len(arrays)):
                    _no_growing_broadcast(arrays[first], arrays[second])
            function = target if method == "__call__" else getattr(target, method)
            with np.errstate(all="ignore"):
                return {"value": _callback_value(function(*args, **kwargs))}
        except MemoryError:
            return {"error": "the arguments were too large for the grader"}
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


def decode_data(value, what):
    """Tagged plain data (protocol.py's DATA) as Python values; anything odd is the student's error."""
    from scoring import StudentError

    try:
        return protocol.decode_data(value, what)
    except protocol.ProtocolError as error:
        raise StudentError(str(error)) from None


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


def student_id_line(student):
    """The line that tells a run who the student is, as their JupyterHub would (Task 2 draws their own
    planted bugs from it): the grader's id for them, their submission folder's name."""
    return f"__import__('os').environ['COURSE_STUDENT_ID'] = {str(student)!r}\n"


def trusted_scores(assignment, answers, points, seeds, slot, values=None, budget=None, student=None):
    """Run every trusted check of one student; {test cell: Verdict}.

    Args:
        answers: {answer cell id: the student's source}, in notebook order.
        points: {test cell id: max points}.
        seeds: {test cell id: the seed of its check}, from the source notebook.
        slot: the sandbox.Slot whose fresh runs hold the student's answer cells.
        values: {variable: plain data} read from the student's notebook after it ran.
        budget: the Budget all of this student's checks share (None: unlimited).
        student: the student's id as the grader knows it (their submission folder), for the checks
            of answers drawn for each student (a check that takes a `student` argument).
    """
    import scoring

    from .results import Verdict

    table = trusted_table(assignment)
    results = {}
    imports = notebook_imports(assignment)
    if student is not None:  # as in the notebook's own run (grading.py): Task 2 draws the student's networks
        imports = student_id_line(student) + imports
    order = list(answers)  # the answer cells in notebook order
    skip = set()  # earlier answer cells that killed or hung their process
    for test_id, (answer_id, check, class_name) in table.items():
        if test_id not in points:
            continue
        if budget is not None and budget.left() <= 0:
            results[test_id] = Verdict(0.0, points[test_id], test_id, reason=_OUT_OF_TIME.format(budget.seconds))
            continue
        session = None
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
                              earlier=earlier, skip=skip, budget=budget)
            extra = {"helpers": {h if isinstance(h, str) else h.__name__: _helper(session, h)
                                 for h in helpers}} if helpers else {}
            classes = {name: (RemoteClass if name[:1].isupper() else RemoteFunction)(session, name)
                       for name in names}
        except (scoring.StudentError, protocol.ProtocolError) as error:
            classes, extra = {name: _Broken(str(error)) for name in names}, {}
        cls = classes if isinstance(class_name, tuple) else classes[class_name]
        try:
            results[test_id] = _run_check(test_id, points[test_id], check, cls, seed=seeds.get(test_id, 0),
                                          output=functools.partial(_output_of, session), **extra)
        finally:
            if session is not None:
                session.close()
    for test_id, (variable, check, answer_id) in trusted_values(assignment).items():
        if test_id not in points:
            continue
        value = (values or {}).get(variable)
        if value is None and answers.get(answer_id) is not None and (budget is None or budget.left() > 0):
            # The notebook never got there (its time ran out after other cells hung, say):
            # the answer cell alone, after what came before it, as for the other checks.
            value = _value_of(slot, answers, answer_id, variable, imports, skip, budget)
        takes_student = student is not None and "student" in inspect.signature(check).parameters
        results[test_id] = _run_check(test_id, points[test_id], check, value,
                                      **({"student": student} if takes_student else {}))
    return results


def _helper(session, helper):
    """The stand-in a check gets for one of its TRUSTED_HELPERS defined in the sandbox: a class
    (by name or source) makes objects there; a function is its copy there, which the check
    passes on (to the student's loop, say) as a reference to the sandbox's own object."""
    if inspect.isfunction(helper):
        return session.lookup(helper.__name__)
    return RemoteClass(session, helper if isinstance(helper, str) else helper.__name__)


def _output_of(session):
    return "".join(session.output) if session is not None else ""


_OUT_OF_TIME = ("not checked: your checks used up the grader's time for one student ({:g} s), "
                "probably because earlier calls hung or were very slow")


def _value_of(slot, answers, answer_id, variable, imports, skip, budget=None):
    """`variable` as plain data after defining the answer cell in a fresh run, or None."""
    import scoring

    order = list(answers)
    earlier = [(a, answers[a]) for a in order[:order.index(answer_id)]]
    session = None
    try:
        session = Session(slot, answers[answer_id], imports=imports, earlier=earlier, skip=skip, budget=budget)
        return session.ask({"op": "value", "name": variable}).get("value")
    except (scoring.StudentError, protocol.ProtocolError, AttributeError):
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
