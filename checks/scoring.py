"""Scoring helpers shared by the self-checks of every task (and by the grader's checks).

A check of one class is a `Report` made of weighted parts ("dW averaged over the
batch", "db", ...). Each part passes or fails with a message written for the
student; the score is the weighted fraction of passed parts times the cell's
points, a plain Python float. The grader reads the parts themselves (see
`FINISHED`), never the printed report.

Student code is always run inside `quiet()`: its prints are kept apart from the
report, and its warnings and NumPy floating-point complaints do not clutter it.

This file is shared by every assignment: it lives once in `checks/` and is
copied into each assignment folder by `python -m autograder release`.
"""

import contextlib
import io
import linecache
import sys
import traceback
import warnings

import numpy as np

__all__ = [
    "CheckFailed",
    "StudentError",
    "Report",
    "quiet",
    "expect_close",
    "expect_array",
    "run_student",
    "snapshot",
    "successful",
    "build_network",
    "names_not_modules",
    "stable_sigmoid",
    "summary",
    "ExplainErrors",
]

PASS = "\N{CHECK MARK}"
FAIL = "\N{BALLOT X}"

# The grader (in its own process) sets this to a list to receive every finished Report as
# structured data; students never need it.
FINISHED = None

# This kernel session's self-checks: {title: [(label, message) of the failed parts]}, the latest run
# of each check wins. The notebook's last cell reads it through `summary()`.
RESULTS = {}


class CheckFailed(Exception):
    """A part of a check failed; the message is shown to the student as is."""


class StudentError(CheckFailed):
    """Student code failed in another process (the trusted grader); the message says how."""


@contextlib.contextmanager
def quiet():
    """Run student code with its output captured and warnings silenced.

    Yields the `io.StringIO` that receives the student's prints (stdout and stderr).
    """
    buffer = io.StringIO()
    with contextlib.ExitStack() as stack:
        stack.enter_context(warnings.catch_warnings())
        warnings.simplefilter("ignore")
        stack.enter_context(np.errstate(all="ignore"))
        stack.enter_context(contextlib.redirect_stdout(buffer))
        stack.enter_context(contextlib.redirect_stderr(buffer))
        yield buffer


def describe_exception(error):
    """One line for the student about an exception their code raised."""
    if isinstance(error, StudentError):
        return str(error)
    if isinstance(error, NotImplementedError):
        return "not implemented yet (it still raises NotImplementedError)"
    if isinstance(error, SystemExit):
        return "your code called exit(); remove that call"
    frames = traceback.extract_tb(error.__traceback__)
    where = ""
    if frames:
        last = frames[-1]
        where = f" (line {last.lineno}: `{(last.line or '').strip()}`)"
    return f"raised {type(error).__name__}: {error}{where}"


def run_student(function, *args, **kwargs):
    """Call student code quietly; turn any exception into a CheckFailed for the student."""
    try:
        with quiet():
            return function(*args, **kwargs)
    except (Exception, SystemExit) as error:
        raise CheckFailed(describe_exception(error)) from error


def expect_array(name, got, shape=None):
    """Check that `got` is a finite float array (of `shape` if given); return it as float64."""
    if got is None:
        raise CheckFailed(f"{name} is None: did you forget to `return` it or to store it?")
    try:
        array = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise CheckFailed(f"{name} is a {type(got).__name__}, not an array of numbers") from None
    if shape is not None and array.shape != tuple(shape):
        raise CheckFailed(f"{name} has shape {array.shape}; expected {tuple(shape)}")
    if not np.all(np.isfinite(array)):
        raise CheckFailed(f"{name} contains NaN or inf values")
    return array


def expect_close(name, got, expected, hints=(), shape_hints=None, rtol=1e-6, atol=1e-9):
    """Check that `got` matches `expected`; explain the mismatch when a hint recognises it.

    Args:
        name: what is compared, as the student knows it (e.g. "dW").
        got: the student's value.
        expected: the correct value (ndarray).
        hints: pairs (candidate, message): when `got` equals `candidate`, the message
            names the misconception (e.g. "summed over the batch, not averaged").
        shape_hints: {wrong shape tuple: message} for shapes that betray a mistake.
    """
    expected = np.asarray(expected, dtype=float)
    if got is None:
        raise CheckFailed(f"{name} is None: did you forget to `return` it or to store it?")
    try:
        array = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise CheckFailed(f"{name} is a {type(got).__name__}, not an array of numbers") from None
    if array.shape != expected.shape:
        hint = (shape_hints or {}).get(array.shape)
        message = f"{name} has shape {array.shape}; expected {expected.shape}"
        for candidate, text in hints:
            candidate = np.asarray(candidate, dtype=float)
            if candidate.shape == array.shape and _close(array, candidate, rtol, atol):
                hint = text
                break
        raise CheckFailed(f"{message}. {hint}" if hint else message)
    if not np.all(np.isfinite(array)):
        raise CheckFailed(f"{name} contains NaN or inf values where the correct result is finite")
    if _close(array, expected, rtol, atol):
        return
    for candidate, text in hints:
        candidate = np.asarray(candidate, dtype=float)
        if candidate.shape == array.shape and _close(array, candidate, rtol, atol):
            raise CheckFailed(f"{name} is wrong: {text}")
    error = float(np.max(np.abs(array - expected)))
    raise CheckFailed(f"{name} has the right shape but wrong values (largest error {error:.3g})")


def _close(a, b, rtol, atol):
    with np.errstate(all="ignore"):
        return bool(np.all(np.abs(a - b) <= atol + rtol * np.abs(b)))


class Report:
    """The weighted parts of one check and the score they add up to.

    Use `with report.part("dW averaged over the batch", weight=1.5): ...`; the
    body passes unless it raises. `report.finish()` prints the list of parts with
    a ✓ or a ✗ each. Grading (with `points`), it returns the score.
    As a self-check (without), it never raises, so that Run All goes on to the end
    of the notebook: it records the result for `summary()`, the notebook's last cell.
    """

    def __init__(self, title, points=None):
        self.title = title
        self.points = points
        self.parts = []  # (label, weight, passed, message)

    @contextlib.contextmanager
    def part(self, label, weight=1.0):
        try:
            yield
        except CheckFailed as failure:
            self.parts.append((label, weight, False, str(failure)))
        except (Exception, SystemExit) as error:  # a bug in student code reached us directly
            self.parts.append((label, weight, False, describe_exception(error)))
        else:
            self.parts.append((label, weight, True, ""))

    @property
    def fraction(self):
        total = sum(weight for _, weight, _, _ in self.parts)
        passed = sum(weight for _, weight, ok, _ in self.parts if ok)
        return passed / total if total else 0.0

    @property
    def failed(self):
        """[(label, message)] of the parts that failed."""
        return [(label, message) for label, _, ok, message in self.parts if not ok]

    def finish(self):
        grading = self.points is not None
        score = round(float(self.points) * self.fraction, 4) if grading else None
        heading = f"{self.title}: {score:g} / {float(self.points):g} points" if grading else self.title
        lines = [heading]
        for label, _, ok, message in self.parts:
            lines.append(f"  {PASS if ok else FAIL} {label}" + ("" if ok else f": {message}"))
        if not grading:
            failed = len(self.failed)
            if failed:
                lines.append(f"{failed} of {len(self.parts)} checks failed: fix the {FAIL} lines above "
                             "and run this cell again.")
            else:
                lines.append("All checks passed.")
            RESULTS[self.title] = self.failed
        print("\n".join(lines))
        if FINISHED is not None:
            FINISHED.append(self)
        return float(score) if grading else None


def summary(expected=()):
    """Print which self-checks of this session still fail (and which of `expected` never ran).

    The last cell of every notebook calls it and asserts that the list it returns is
    empty, so that Run All ends with one line per unfinished exercise, and `nbgrader
    validate` (and the Validate button) fails exactly when a self-check fails.

    Args:
        expected: the titles of the notebook's self-checks, in order.
    Returns:
        [title] of the self-checks that failed on their latest run or never ran.
    """
    titles = list(expected) + [title for title in RESULTS if title not in expected]
    failing, lines = [], []
    for title in titles:
        if title not in RESULTS:
            failing.append(title)
            lines.append(f"  {FAIL} {title}: not run yet (run its self-check cell)")
        elif RESULTS[title]:
            failing.append(title)
            label, message = RESULTS[title][0]
            more = len(RESULTS[title]) - 1
            extra = f" (and {more} more)" if more else ""
            lines.append(f"  {FAIL} {title}: {label}: {message}{extra}")
        else:
            lines.append(f"  {PASS} {title}")
    passed = len(titles) - len(failing)
    heading = (f"All {passed} self-checks pass." if not failing
               else f"{len(failing)} of {len(titles)} self-checks still fail:")
    print("\n".join([heading, *lines]))
    return failing


class ExplainErrors:
    """A `with` block around a demo cell's code: an error in it prints one line and the cell ends
    quietly, so that Run All goes on. The line names the student's function that failed (found
    in the traceback) and the exercise to finish; a figure the block had started is not shown.

    Every task's checks module makes one for its demo cells, `explain_errors(*uses)`, from its own
    `EXERCISES` table: `with explain_errors("SGD", "train"): ...`.

    Args:
        exercises: {the student's class or function name: "Exercise 1", ...}.
        uses: the names this cell runs, for an error that comes from none of them.
    """

    def __init__(self, exercises, uses=()):
        self.exercises, self.uses = exercises, tuple(uses) or tuple(exercises)

    def __enter__(self):
        pyplot = sys.modules.get("matplotlib.pyplot")
        self.figures = set(pyplot.get_fignums()) if pyplot else set()
        return self

    def __exit__(self, kind, error, tb):
        if not isinstance(error, Exception):
            return False  # no error, or an interrupt: as usual
        pyplot = sys.modules.get("matplotlib.pyplot")
        for number in set(pyplot.get_fignums()) - self.figures if pyplot else ():
            pyplot.close(number)
        print(self.explain(error))
        return True

    def explain(self, error):
        """The one line for `error`."""
        frame = self._student_frame(error)
        if frame is not None:
            name, exercise, line = frame
            if isinstance(error, NotImplementedError):
                return f"\N{BALLOT X} {name} is not written yet: finish {exercise}, then run this cell again."
            return (f"\N{BALLOT X} {name} raised {type(error).__name__}: {error} ({line}): fix {exercise} "
                    "(its self-check says more), then run this cell again.")
        if isinstance(error, NameError) and getattr(error, "name", None):
            return (f"\N{BALLOT X} this cell needs `{error.name}`, which an earlier cell did not make: fix the "
                    "first \N{BALLOT X} above, then run this cell again.")
        names = ", ".join(f"{name} ({self.exercises[name]})" for name in self.uses if name in self.exercises)
        what = describe_exception(error) if isinstance(error, NotImplementedError) else \
            f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        return (f"\N{BALLOT X} this cell stopped ({what}). It runs your {names}: "
                "make their self-checks pass, then run this cell again.")

    def _student_frame(self, error):
        """(qualified name, exercise, "line N: `code`") of the innermost frame of the student's code."""
        for frame, lineno in reversed(list(traceback.walk_tb(error.__traceback__))):
            # A class or function defined inside another is named from its own name on.
            name = getattr(frame.f_code, "co_qualname", frame.f_code.co_name).split("<locals>.")[-1]
            owner = name.split(".")[0]
            if owner in self.exercises:
                code = linecache.getline(frame.f_code.co_filename, lineno).strip()
                return name, self.exercises[owner], f"line {lineno}: `{code}`" if code else f"line {lineno}"
        return None


# ------------------------------------------------ small helpers every task's checks use
def snapshot(value):
    """A float copy of what the student stored, so that later calls cannot change it."""
    try:
        return np.array(value, dtype=float, copy=True) if value is not None else None
    except (TypeError, ValueError):
        return value


def successful(runs):
    """Yield each run without its last field, the error; a failed run fails the part with it."""
    for run in runs:
        if run[-1] is not None:
            raise CheckFailed(run[-1])
        yield run[:-1]


def build_network(Model, layers):
    """Build a Model from [(name, module), ...] with the student's Model.add_module."""
    model = Model()
    for name, module in layers:
        model.add_module(module, name)
    return model


def names_not_modules(message):
    """`message` (what a Model's forward or backward raised), with the hint for one mistake: taking the
    module names for the modules. Iterating over the dict self.modules, or over reversed(self.modules),
    gives its keys, the names: `name(input)` then raises "'str' object is not callable", and
    `name.backward(grad)` "'str' object has no attribute 'backward'"."""
    message = str(message)
    if "'str' object is not callable" in message or "'str' object has no attribute" in message:
        message += (". Iterating over self.modules (or reversed(self.modules)) gives the names, not the modules; "
                    "use self.modules.values()")
    return message


def stable_sigmoid(z):
    """1 / (1 + exp(-z)) without overflow for any z."""
    return np.exp(-np.logaddexp(0.0, -z))
