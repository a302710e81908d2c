"""Checks of Task 1 (the forward pass): one function per class the student writes.

Each `check_*` function tests one class alone, through its public API only
(`W`, `b`, `dW`, `db`, `forward`, calling it), against closed-form values
computed here. Called without `points` it is the student's self-check (prints
the list of parts and records the result for the notebook's last cell); with `points` it
is the autograder (prints the same list and returns the partial credit as a
plain float). A bug in one class therefore costs points in that class's cell
only; `check_network` tests whole networks built from all the classes.

Shapes follow the course: a batch is (m, n, 1); Linear's W is (out, in).

`explain_errors` is for the notebook's demo cells that call the student's classes: an
unfinished or failing class there prints one line naming the exercise, so that Run All
reaches the end of the notebook. `SELF_CHECKS` lists the self-checks its last cell sums up.
"""

import contextlib
import warnings

import numpy as np

from scoring import (
    CheckFailed,
    ExplainErrors,
    Report,
    build_network,
    describe_exception,
    expect_array,
    expect_close,
    names_not_modules,
    quiet,
    run_student,
    stable_sigmoid,
    successful,
)
from utils import Module

__all__ = [
    "SELF_CHECKS",
    "explain_errors",
    "check_linear",
    "check_sigmoid",
    "check_tanh",
    "check_relu",
    "check_mse_loss",
    "check_bce_loss",
    "check_model",
    "check_network",
]


# The titles of the notebook's self-checks, in notebook order (its last cell sums them up).
SELF_CHECKS = ("Linear: __init__ and forward", "Sigmoid.forward", "Tanh.forward", "ReLU.forward",
               "MSELoss.forward", "BCELoss.forward", "Model.forward", "Whole network: forward pass")
# What the student writes, and where: a failing demo cell names the exercise to finish.
EXERCISES = {"Linear": "Exercise 1", "Sigmoid": "Exercise 2", "Tanh": "Exercise 3", "ReLU": "Exercise 4",
             "MSELoss": "Exercise 5", "BCELoss": "Exercise 6", "Model": "Exercise 7"}


def explain_errors(*uses):
    """`with explain_errors("Linear", "Model"):` around a demo cell that runs those classes."""
    return ExplainErrors(EXERCISES, uses)


def _rng(seed):
    return np.random.default_rng(seed)


def _sizes(rng, count, low=2, high=7):
    """`count` different ints in [low, high]: different sizes keep the shape hints unambiguous."""
    return [int(v) for v in rng.choice(np.arange(low, high + 1), size=count, replace=False)]


@contextlib.contextmanager
def _global_random_state_kept():
    """The student's Linear draws from np.random; a check must not change what comes next."""
    state = np.random.get_state()
    try:
        yield
    finally:
        np.random.set_state(state)


def _run_watched(function, *args):
    """Run student code quietly; return its result and the floating-point problems it hit.

    The problems are NumPy's overflow / divide-by-zero / invalid-value events (the
    ones that normally print a RuntimeWarning) and any warning raised. Underflow
    (exp(-800) == 0.0) is harmless and not reported.
    """
    events = []
    try:
        with quiet(), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with np.errstate(over="call", divide="call", invalid="call", under="ignore",
                             call=lambda kind, flag: events.append(kind)):
                result = function(*args)
    except (Exception, SystemExit) as error:
        raise CheckFailed(describe_exception(error)) from error
    problems = sorted(set(events)) + sorted({str(w.message) for w in caught})
    # A method of a class that lives in the grader's sandbox reports what NumPy met there.
    problems += [p for p in getattr(function, "problems", ()) if p not in problems]
    return result, problems


# --------------------------------------------------------------------------- Linear
def _attribute(layer, name, how):
    value = getattr(layer, name, None)
    if value is None:
        raise CheckFailed(f"the layer has no attribute `{name}`: set `self.{name} = {how}` in __init__")
    return expect_array(name, value)


_TRANSPOSED = ": it is transposed; W maps in_features to out_features, so it is (out, in)"
_B_BROADCAST = ("b must be a column of shape (out, 1): a b of shape (out,) or (1, out) added to "
                "W @ input of shape (m, out, 1) silently broadcasts into (m, out, out)")


def _check_init(layer, n_in, n_out):
    W = _attribute(layer, "W", "np.random.randn(out_features, in_features)")
    if W.shape != (n_out, n_in):
        hint = _TRANSPOSED if W.shape == (n_in, n_out) else ""
        raise CheckFailed(f"Linear({n_in}, {n_out}).W has shape {W.shape}; expected {(n_out, n_in)}{hint}")
    b = _attribute(layer, "b", "np.zeros((out_features, 1))")
    if b.shape != (n_out, 1):
        raise CheckFailed(f"Linear({n_in}, {n_out}).b has shape {b.shape}; expected {(n_out, 1)}. {_B_BROADCAST}")
    if np.any(b != 0):
        raise CheckFailed("b must start at zero: np.zeros((out_features, 1)) (only W is random)")
    for name, like, how in (("dW", W, "np.zeros_like(self.W)"), ("db", b, "np.zeros_like(self.b)")):
        grad = _attribute(layer, name, how)
        if grad.shape != like.shape:
            raise CheckFailed(f"{name} has shape {grad.shape}; it must have the shape of "
                              f"{name[1:]}, {like.shape} (use {how})")
        if np.any(grad != 0):
            raise CheckFailed(f"{name} must start at zero ({how}); Task 2 fills it")


def _check_random_weights(Linear, seed):
    """W of a big layer looks standard normal; two new layers get different W."""
    np.random.seed(seed)
    first = run_student(Linear, 100, 200)
    second = run_student(Linear, 100, 200)
    W = _attribute(first, "W", "np.random.randn(out_features, in_features)")
    if W.shape != (200, 100):
        hint = _TRANSPOSED if W.shape == (100, 200) else ""
        raise CheckFailed(f"Linear(100, 200).W has shape {W.shape}; expected (200, 100){hint}")
    if np.array_equal(W, W.astype(np.float32)):
        raise CheckFailed("W holds float32 (single-precision) numbers: keep the float64 that np.random.randn "
                          "gives (no .astype(np.float32)); Task 2's gradient check needs the precision")
    if np.all(W == W.flat[0]):
        raise CheckFailed(f"every entry of W equals {W.flat[0]:g}: all units of the layer would compute "
                          "the same thing (and, in Task 3, stay the same). Draw W with np.random.randn")
    mean, std = float(W.mean()), float(W.std())
    if not (abs(mean) < 0.05 and 0.95 < std < 1.05):
        message = (f"W should be standard normal (mean 0, std 1) like np.random.randn; yours has "
                   f"mean {mean:.3g} and std {std:.3g}")
        if W.min() >= 0 and abs(mean - 0.5) < 0.05:
            message += ": that looks like np.random.rand (uniform on [0, 1))"
        elif std < 0.5:
            message += ": scaled initialisations (* 0.01, / sqrt(n)) come later; here use plain randn"
        raise CheckFailed(message)
    W2 = np.asarray(getattr(second, "W", None), dtype=float)
    if W2.shape == W.shape and np.array_equal(W, W2):
        raise CheckFailed("two new layers got exactly the same W: do not reseed the random "
                          "generator (np.random.seed) inside __init__")


def _forward_hint(failure, W, x, own_W):
    """Why forward failed on the check's W (out, in); `own_W` is the one the layer's __init__ made."""
    (n_out, n_in), m = W.shape, x.shape[0]
    if str(failure).startswith("not implemented yet"):
        return CheckFailed(f"forward {failure}")  # shapes would only distract from an unwritten forward
    if own_W is not None and n_in != n_out and own_W.shape == (n_in, n_out):
        return CheckFailed(f"forward {failure}. Your __init__ makes W transposed, {own_W.shape} = (in, out), "
                           "and forward fails when self.W has the course's shape (out, in) = "
                           f"{W.shape}, as the checks and Task 2 set it: build W as (out, in) and compute "
                           "W @ input + b")
    return CheckFailed(f"forward {failure} (the check set self.W to shape {W.shape} = (out, in) and self.b to "
                       f"({n_out}, 1); the input is {x.shape}, so W @ input + b has shape ({m}, {n_out}, 1))")


def check_linear(Linear, points=None, seed=0):
    """Linear: W (out, in) from randn, b, dW, db zeros; forward returns W @ input + b."""
    rng = _rng(seed)
    report = Report("Linear: __init__ and forward", points)
    n_in, n_out, m = _sizes(rng, 3)
    square, m_square = _sizes(rng, 2)
    wide, m_wide = _sizes(rng, 2)
    # (in, out, batch sizes): each layer sees two batches, so nothing may depend on the first one.
    plan = [(n_in, n_out, [m, m + 3]), (square, square, [m_square]), (wide, 1, [m_wide, 1])]

    with _global_random_state_kept():
        with report.part("__init__: W (out, in); b, dW, db zeros of the right shapes", weight=1):
            for n_in_, n_out_, _ in plan:
                _check_init(run_student(Linear, n_in_, n_out_), n_in_, n_out_)

        with report.part("__init__: W is drawn from np.random.randn (standard normal)", weight=0.5):
            _check_random_weights(Linear, seed)

        with report.part("a new layer maps (m, in, 1) to (m, out, 1)", weight=0.5):
            for n_in_, n_out_, batches in plan:
                layer = run_student(Linear, n_in_, n_out_)
                x = rng.standard_normal((batches[0], n_in_, 1))
                W, b = getattr(layer, "W", None), getattr(layer, "b", None)
                out = run_student(layer.forward, x.copy())
                expected_shape = (batches[0], n_out_, 1)
                got = expect_array("forward(input)", out)
                if got.shape != expected_shape:
                    hint = _B_BROADCAST if got.shape == (batches[0], n_out_, n_out_) else ""
                    raise CheckFailed(f"Linear({n_in_}, {n_out_}) returned shape {got.shape} for an "
                                      f"input of shape {x.shape}; expected {expected_shape}. {hint}")
                if np.shape(W) == (n_out_, n_in_) and np.shape(b) == (n_out_, 1):
                    W, b = np.asarray(W, dtype=float), np.asarray(b, dtype=float)
                    hints = [(W.T @ x + b, "forward computes W.T @ input: W is (out, in) and multiplies the "
                                           "column vector from the left, z = W @ input + b")] if n_in_ == n_out_ else []
                    expect_close("forward(input)", got, W @ x + b, hints)

        runs = []  # (W, b, x, out, stale W, stale b, error)
        for n_in_, n_out_, batches in plan:
            try:
                layer = run_student(Linear, n_in_, n_out_)
            except CheckFailed as failure:
                runs.append((None,) * 6 + (f"forward was not tested, because Linear({n_in_}, {n_out_}) could not "
                                           f"be created: __init__ {failure}",))
                continue
            stale_W, stale_b = getattr(layer, "W", None), getattr(layer, "b", None)
            stale_W = np.array(stale_W, dtype=float) if isinstance(stale_W, np.ndarray) else None
            stale_b = np.array(stale_b, dtype=float) if isinstance(stale_b, np.ndarray) else None
            W = rng.standard_normal((n_out_, n_in_))
            b = rng.standard_normal((n_out_, 1))
            layer.W, layer.b = W.copy(), b.copy()
            for batch in batches:
                x = rng.standard_normal((batch, n_in_, 1))
                try:
                    out = run_student(layer.forward, x.copy())
                    runs.append((W, b, x, out, stale_W, stale_b, None))
                except CheckFailed as failure:
                    runs.append((None,) * 6 + (str(_forward_hint(failure, W, x, stale_W)),))

    with report.part("forward returns W @ input + b for every sample, shape (m, out, 1)", weight=2):
        for W, b, x, out, stale_W, stale_b in successful(runs):
            batch, n_out_, n_in_ = x.shape[0], W.shape[0], W.shape[1]
            hints = [(W @ x, "b is not added: z = W @ input + b")]
            if n_in_ == n_out_:
                hints.append((W.T @ x + b, "use W, not W.T: W has shape (out, in) and multiplies the "
                                           "column vector from the left"))
            if stale_W is not None and stale_W.shape == W.shape and stale_b is not None and stale_b.shape == b.shape:
                hints.append((stale_W @ x + stale_b, "forward used the W and b drawn in __init__, not the "
                              "current self.W and self.b (read them in forward)"))
            shape_hints = {
                (batch, n_out_, n_out_): _B_BROADCAST + " (use b as it is, with shape (out, 1))",
                (n_out_, batch, 1): "np.dot(W, input) does not treat axis 0 as the batch: use W @ input "
                                    "(np.matmul), which multiplies every sample",
                (batch, 1, n_out_): "the result is a stack of row vectors; the course uses column "
                                    "vectors: W @ input + b has shape (m, out, 1)",
            }
            _expect_double("forward(input)", out, W @ x + b, hints, shape_hints)
    return report.finish()


def _expect_double(name, got, expected, hints=(), shape_hints=None):
    """expect_close, then float64's precision: float32 arithmetic is right to about 1e-7 only."""
    expect_close(name, got, expected, hints, shape_hints)
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    error = float(np.max(np.abs(got - expected) / (np.abs(expected) + 1e-3), initial=0.0))
    if error > 1e-9:
        raise CheckFailed(f"{name} is right only to about {error:.0e} (relative): it was computed in float32 "
                          "(single precision)? Keep NumPy's float64 (no .astype(np.float32), no dtype=np.float32)")


# ------------------------------------------------------------------- activations
def _activation_runs(Activation, inputs):
    """Run forward on each input (a fresh module each time); return (z, a, problems, error)."""
    runs = []
    for z in inputs:
        try:
            module = run_student(Activation)
            a, problems = _run_watched(module.forward, z.copy())
            runs.append((z, a, problems, None))
        except CheckFailed as failure:
            runs.append((z, None, None, str(failure)))
    return runs


class _InputAfterForward:
    """Runs `module.forward(z)` where the module lives and keeps `z` as forward left it.

    The grader builds it next to the student's module (a helper the spec names), so that
    the check sees the very array forward was given.
    """

    def __init__(self, module, z):
        self.output = module.forward(z)
        self.input = z


def _expect_input_kept(Activation, z, helpers, formula):
    """Fail when forward changes the array it is given (the caller, and Task 2's backward, still need z)."""
    watch = (helpers or {}).get("_InputAfterForward", _InputAfterForward)
    seen = run_student(watch, run_student(Activation), z.copy())
    after = expect_array("the input after forward", run_student(getattr, seen, "input"), z.shape)
    if not np.array_equal(after, z):
        raise CheckFailed(f"forward changed its input in place: return a new array ({formula}), and leave "
                          "`input` as it was (no input[...] = ..., no out=input); the caller still needs z")


def _random_inputs(rng, scale, count=2):
    shapes = [(m, n, 1) for m, n in (_sizes(rng, 2) for _ in range(count))]
    return [rng.standard_normal(shape) * scale for shape in shapes] + [rng.standard_normal((1, 1, 1))]


# Every value from -800 to 800 in both orders, as a batch of two samples.
_LARGE = np.array([-800.0, -50.0, -1.0, 0.0, 1.0, 50.0, 800.0])
_LARGE = np.stack([_LARGE, _LARGE[::-1]])[:, :, None]


def _fail_if_not_finite(value, shape, message):
    """Raise `message` when `value` has the expected shape but holds NaN or inf."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return  # expect_close explains what is wrong with it
    if array.shape == tuple(shape) and not np.all(np.isfinite(array)):
        raise CheckFailed(message)


def _expect_quiet(name, problems, advice):
    if problems:
        raise CheckFailed(f"{name} has the right values, but NumPy warned on the way ({', '.join(problems)}; "
                          f"a RuntimeWarning in your notebook). {advice}")


# What the hint says about a sigmoid that overflows: the question that leads to the stable form, not the form.
_STABLE_SIGMOID = ("exp(800) overflows to inf (1 / (1 + exp(-z)) computes it at z = -800, exp(z) / (1 + exp(z)) "
                   "at z = 800). np.where(condition, A, B) computes both A and B for every entry, so every "
                   "exponential your code computes must be safe for every z: which exponent is <= 0 for every z? "
                   "Write both forms with the exponential of that one")


def check_sigmoid(Sigmoid, points=None, seed=0, helpers=None):
    """Sigmoid.forward returns 1 / (1 + exp(-z)), finite and warning-free for large |z|, as a new array."""
    rng = _rng(seed)
    report = Report("Sigmoid.forward", points)
    inputs = _random_inputs(rng, 3.0)
    runs = _activation_runs(Sigmoid, inputs)
    large = _activation_runs(Sigmoid, [_LARGE])

    with report.part("returns 1 / (1 + exp(-z)) for every entry, shape of z", weight=1.25):
        for z, a, _problems in successful(runs):
            s = stable_sigmoid(z)
            hints = [
                (stable_sigmoid(-z), "that is sigmoid(-z): check the sign of the exponent, sigmoid(z) = "
                 "1 / (1 + exp(-z)) (or, with np.where, whether its two branches are swapped)"),
                (np.tanh(z), "that is tanh(z); sigmoid(z) = 1 / (1 + exp(-z))"),
                (s * (1 - s), "that is the derivative sigmoid(z) (1 - sigmoid(z)); forward returns sigmoid(z)"),
                (1 / (1 + np.exp(-z) ** 2), "exp(-z) is squared"),
            ]
            expect_close("sigmoid(z)", a, s, hints)
    with report.part("numerically stable: right values and no NumPy warning for |z| up to 800", weight=0.5):
        for z, a, problems in successful(large):
            _fail_if_not_finite(a, z.shape, "sigmoid(z) contains NaN or inf for large |z|: " + _STABLE_SIGMOID)
            expect_close("sigmoid(z) for large |z|", a, stable_sigmoid(z), atol=1e-12)
            _expect_quiet("sigmoid(z)", problems, _STABLE_SIGMOID)
    with report.part("leaves its input unchanged (returns a new array)", weight=0.25):
        _expect_input_kept(Sigmoid, inputs[0], helpers, "1 / (1 + e), e / (1 + e)")
    return report.finish()


def check_tanh(Tanh, points=None, seed=0, helpers=None):
    """Tanh.forward returns tanh(z) = (exp(z) - exp(-z)) / (exp(z) + exp(-z)), stable for large |z|,
    as a new array."""
    rng = _rng(seed)
    report = Report("Tanh.forward", points)
    inputs = _random_inputs(rng, 2.0)
    runs = _activation_runs(Tanh, inputs)
    large = _activation_runs(Tanh, [_LARGE])
    with report.part("returns tanh(z) for every entry, shape of z", weight=0.5):
        for z, a, _problems in successful(runs):
            t = np.tanh(z)
            hints = [
                (stable_sigmoid(z), "that is the sigmoid; tanh(z) = (e^z - e^-z) / (e^z + e^-z)"),
                (np.tanh(z / 2), "that is tanh(z / 2): the exponent must be 2z in (1 - e^(-2z)) / (1 + e^(-2z)), "
                                 "or use 2 sigmoid(2z) - 1"),
                (np.sinh(z), "that is sinh(z): the denominator must be e^z + e^-z"),
                (-t, "the sign is flipped"),
                (1 - t**2, "that is the derivative 1 - tanh(z)^2; forward returns tanh(z)"),
            ]
            expect_close("tanh(z)", a, t, hints)
    with report.part("right values and no NumPy warning for |z| up to 800", weight=0.25):
        for z, a, problems in successful(large):
            _fail_if_not_finite(a, z.shape, "tanh(z) contains NaN or inf for large |z|: e^800 = inf and "
                                "inf / inf is NaN. Use np.tanh, or exponentiate only -2|z|")
            expect_close("tanh(z) for large |z|", a, np.tanh(z), atol=1e-12)
            _expect_quiet("tanh(z)", problems, "np.tanh(z) never overflows")
    with report.part("leaves its input unchanged (returns a new array)", weight=0.25):
        _expect_input_kept(Tanh, inputs[0], helpers, "np.tanh(z)")
    return report.finish()


def check_relu(ReLU, points=None, seed=0, helpers=None):
    """ReLU.forward returns max(0, z) for every entry, as a new array."""
    rng = _rng(seed)
    report = Report("ReLU.forward", points)
    inputs = _random_inputs(rng, 2.0)
    inputs[0][::2, ::2] = 0.0  # exact zeros: the kink
    runs = _activation_runs(ReLU, inputs)
    with report.part("returns max(0, z) for every entry, shape of z", weight=0.75):
        for z, a, _problems in successful(runs):
            m, n = z.shape[:2]
            expected = np.maximum(z, 0)
            hints = [
                (np.minimum(z, 0), "that is min(0, z): ReLU keeps the positive entries"),
                (np.abs(z), "that is |z|: negative entries must become 0"),
                ((z > 0) * 1.0, "that is the step function (the derivative): forward returns max(0, z)"),
                (np.broadcast_to(np.max(z), z.shape), "np.max is a reduction (the largest entry); "
                                                        "the entrywise maximum is np.maximum(z, 0)"),
            ]
            shape_hints = {
                (n, 1): "np.max(z, 0) takes the largest value along axis 0 (the batch); the entrywise "
                        "maximum is np.maximum(z, 0)",
                (1, n, 1): "np.max(z, axis=0) is a reduction over the batch; use np.maximum(z, 0)",
                (): "np.max(z) is the largest entry of the whole batch; use np.maximum(z, 0)",
            }
            expect_close("relu(z)", a, expected, hints, shape_hints)
    with report.part("leaves its input unchanged (returns a new array)", weight=0.25):
        _expect_input_kept(ReLU, inputs[1], helpers, "np.maximum(z, 0)")
    return report.finish()


# ------------------------------------------------------------------------ losses
def _loss_runs(Loss, cases):
    runs = []
    for prediction, target in cases:
        try:
            loss = run_student(Loss)
            result, problems = _run_watched(loss.forward, prediction.copy(), target.copy())
            runs.append((prediction, target, result, problems, None))
        except CheckFailed as failure:
            runs.append((prediction, target, None, None, str(failure)))
    return runs


def _loss_shape_hints(m, n):
    """{wrong shape: why}: which reduction gives a loss of that shape, for a batch of m samples with n outputs."""
    return {
        (n, 1): "averaged over the batch (axis 0): return one loss per sample, shape (m, 1, 1); "
                "the mean over the batch is taken outside the loss",
        (): "a single number: return one loss per sample, shape (m, 1, 1) (mean over axis 1 only)",
        (1, 1, 1): "averaged over everything: return one loss per sample (mean over axis 1 only)",
        # With one output (n = 1) this is also (1, 1, 1), where it is the likelier mistake.
        (1, n, 1): "averaged over the batch (axis 0): average over the output features (axis 1)",
        (m, 1): "the mean over axis 1 dropped that axis: use keepdims=True to keep (m, 1, 1)",
        (m,): "the reduction dropped axes: use np.mean(..., axis=1, keepdims=True) to keep (m, 1, 1)",
        (m, n, 1): "one loss per output feature: average them over the features (axis 1, keepdims=True)",
    }


def check_mse_loss(MSELoss, points=None, seed=0):
    """MSELoss.forward returns the per-sample mean over features of (y_hat - y)**2, shape (m, 1, 1)."""
    rng = _rng(seed)
    report = Report("MSELoss.forward", points)

    def case(m, n):
        return rng.standard_normal((m, n, 1)), rng.standard_normal((m, n, 1))

    def expect(prediction, target, result):
        m, n = prediction.shape[:2]
        squares = (prediction - target) ** 2
        expected = squares.mean(axis=1, keepdims=True)
        hints = [
            (np.sqrt(expected), "no square root: that is the root of the MSE"),
            (np.abs(prediction - target).mean(axis=1, keepdims=True),
             "that is the mean absolute error: square the differences"),
            (expected / 2, "no factor 1/2 here: L = mean over the features of (y_hat - y)**2"),
        ]
        if n > 1:
            hints.append((expected * n, "summed over the features: take the mean (divide by n)"))
        expect_close("the per-sample loss", result, expected, hints, _loss_shape_hints(m, n))

    m1, m2 = _sizes(rng, 2)
    m3, n3 = _sizes(rng, 2)
    single = _loss_runs(MSELoss, [case(m1, 1), case(m2, 1)])
    multi = _loss_runs(MSELoss, [case(m3, n3), case(2, 5)])
    with report.part("one output: (y_hat - y)**2 per sample, shape (m, 1, 1)", weight=1):
        for prediction, target, result, _problems in successful(single):
            expect(prediction, target, result)
    with report.part("several outputs: mean over the n features of (y_hat - y)**2", weight=1):
        for prediction, target, result, _problems in successful(multi):
            expect(prediction, target, result)
    return report.finish()


_CLIP_P = "clip p to [eps, 1 - eps] (with self.eps) before taking the logarithms"


class _ClassAttribute:
    """Sets attribute `name` of the class of `obj` to `value` where the object lives; `before` is what
    it was. (The grader builds it next to the student's object, as a helper the spec names.)"""

    def __init__(self, obj, name, value):
        self.before = getattr(type(obj), name, None)
        setattr(type(obj), name, value)


# The eps the check gives BCELoss, to see that forward clips with self.eps.
_CHECK_EPS = 1e-4


def _expect_own_eps(BCELoss, helpers):
    """With the class's eps set to _CHECK_EPS, a certain mistake costs -log(_CHECK_EPS)."""
    setter = (helpers or {}).get("_ClassAttribute", _ClassAttribute)
    p = np.array([0.0, 1.0])[:, None, None]  # certain mistakes
    y = np.array([1.0, 0.0])[:, None, None]
    loss = run_student(BCELoss)
    change = run_student(setter, loss, "eps", _CHECK_EPS)
    try:
        result = run_student(loss.forward, p.copy(), y.copy())
    finally:
        run_student(setter, loss, "eps", run_student(getattr, change, "before"))
    _fail_if_not_finite(result, p.shape, f"the loss is inf or NaN for a certain mistake (p = 0 for y = 1): {_CLIP_P}")
    got = expect_array("the loss", result, p.shape).ravel()
    wanted = -np.log(_CHECK_EPS)
    # Only the size tells which eps clipped p: a flipped sign is the first line's mistake, not this one's.
    if np.any(np.abs(np.abs(got) - wanted) > 1e-3 * wanted):
        said = (f"with BCELoss.eps = {_CHECK_EPS:g} a certain mistake (p = 0 for y = 1) must cost "
                f"-log(eps) = {wanted:.2f}; yours costs {got[0]:.3g}")
        if abs(got[0]) > 1e-6:  # -log(eps) = |cost|: the eps it looks like
            said += f", as if eps were {np.exp(-abs(got[0])):.0e}"
        raise CheckFailed(f"{said}. Use self.eps, not a number of your own: the checks change eps")


def check_bce_loss(BCELoss, points=None, seed=0, helpers=None):
    """BCELoss.forward returns -mean over features of y log p + (1 - y) log(1 - p), safe at p = 0 or 1
    by clipping p to [self.eps, 1 - self.eps]."""
    rng = _rng(seed)
    report = Report("BCELoss.forward", points)

    def case(m, n):
        p = rng.uniform(0.05, 0.95, (m, n, 1))
        y = (rng.uniform(size=(m, n, 1)) < 0.5).astype(float)
        y[0, 0, 0], y[-1, -1, 0] = 0.0, 1.0  # both labels appear
        return p, y

    def expect(p, y, result):
        m, n = p.shape[:2]
        each = -(y * np.log(p) + (1 - y) * np.log(1 - p))
        expected = each.mean(axis=1, keepdims=True)
        hints = [
            (-expected, "the sign is flipped: the loss is MINUS the log-likelihood, so it is >= 0"),
            ((-(y * np.log(p))).mean(axis=1, keepdims=True),
             "the term (1 - y) log(1 - p) of the negative samples is missing"),
            ((-((1 - y) * np.log(1 - p))).mean(axis=1, keepdims=True),
             "the term y log p of the positive samples is missing"),
            (expected / np.log(10), "use the natural logarithm np.log, not np.log10"),
            (expected / np.log(2), "use the natural logarithm np.log, not np.log2"),
        ]
        if n > 1:
            hints.append((expected * n, "summed over the features: take the mean (divide by n)"))
        expect_close("the per-sample loss", result, expected, hints, _loss_shape_hints(m, n),
                     rtol=1e-4, atol=1e-6)

    m1, m2 = _sizes(rng, 2)
    m3, n3 = _sizes(rng, 2)
    single = _loss_runs(BCELoss, [case(m1, 1), case(m2, 1)])
    multi = _loss_runs(BCELoss, [case(m3, n3), case(2, 5)])
    edge_p = np.array([0.0, 1.0, 1.0, 0.0, 0.3])[:, None, None]
    edge_y = np.array([0.0, 1.0, 0.0, 1.0, 1.0])[:, None, None]
    edge = _loss_runs(BCELoss, [(edge_p, edge_y)])
    with report.part("one output: -(y log p + (1 - y) log(1 - p)) per sample, shape (m, 1, 1)", weight=0.75):
        for p, y, result, _problems in successful(single):
            expect(p, y, result)
    with report.part("several outputs: mean over the n features", weight=0.5):
        for p, y, result, _problems in successful(multi):
            expect(p, y, result)
    with report.part("safe at predictions of exactly 0 or 1 (no log(0))", weight=0.5):
        for p, y, result, problems in successful(edge):
            got = None if result is None else np.asarray(result, dtype=float)
            if got is None or got.shape != p.shape:
                raise CheckFailed(f"expected shape {p.shape}, got {None if got is None else got.shape}")
            if not np.all(np.isfinite(got)):
                raise CheckFailed(f"the loss is inf or NaN when p is exactly 0 or 1 (log(0) = -inf, "
                                  f"0 * log(0) = NaN): {_CLIP_P}")
            right, wrong = (p == y).ravel(), ((p != y) & (p != 0.3)).ravel()
            values = got.ravel()
            if np.any(values < -1e-6):  # -1e-12 from log(1 + eps) is fine
                raise CheckFailed("the loss is negative for some predictions: is the sign flipped?")
            if np.any(values[right] > 1e-4):
                raise CheckFailed("a perfect prediction (p = y = 0 or p = y = 1) must cost (almost) 0; "
                                  "is eps too large?")
            if np.any(values[wrong] < 5):
                raise CheckFailed("a confidently wrong prediction (p = 1 for y = 0) must cost a lot: "
                                  "-log(eps) with p clipped to [eps, 1 - eps]")
            if abs(values[4] + np.log(0.3)) > 1e-4:
                raise CheckFailed("the loss of an ordinary prediction changed: clip only to a tiny eps")
            _expect_quiet("the loss", problems, "np.log(0) was computed somewhere (np.where evaluates "
                          f"both branches): {_CLIP_P}")
    with report.part("clips with the class attribute eps (self.eps)", weight=0.25):
        _expect_own_eps(BCELoss, helpers)
    return report.finish()


# ------------------------------------------------------------------------- Model
class _Recorder(Module):
    """A stand-in module: x -> scale * x + shift, logging its calls and inputs."""

    def __init__(self, name, scale, shift, log):
        super().__init__()
        self.name, self.scale, self.shift, self.log = name, scale, shift, log
        self.received = []

    def forward(self, input):
        self.log.append(self.name)
        self.received.append(np.array(input, dtype=float, copy=True))
        return input * self.scale + self.shift


def check_model(Model, points=None, seed=0):
    """Model.forward visits the modules first to last, feeding each output into the next."""
    rng = _rng(seed)
    report = Report("Model.forward", points)
    names = ["first", "second", "third", "fourth"]
    scales, shifts = [2.0, -3.0, 0.5, 5.0], [1.0, -2.0, 0.25, 3.0]
    m, n = _sizes(rng, 2)
    x = rng.standard_normal((m, n, 1))
    log, recorders, out, error = [], [], None, None
    try:
        model = run_student(Model)
        recorders = [_Recorder(*args, log) for args in zip(names, scales, shifts)]
        for recorder in recorders:
            run_student(model.add_module, recorder, recorder.name)
        out = run_student(model.forward, x.copy())
    except CheckFailed as failure:
        error = names_not_modules(failure)

    with report.part("calls forward of every module once, from the first to the last", weight=0.75):
        if error:
            raise CheckFailed(error)
        if log == names[::-1]:
            raise CheckFailed("forward visits the modules last to first; the input goes through them "
                              "in the order they were added")
        if log != names:
            raise CheckFailed(f"forward was called on {log}; expected {names}")
    with report.part("feeds each module's output into the next module", weight=0.75):
        if error:
            raise CheckFailed(error)
        expected = x
        for recorder in recorders:
            received = recorder.received[0] if recorder.received else None
            if received is None or received.shape != expected.shape or not np.allclose(received, expected):
                if all(r.received and np.allclose(r.received[0], x) for r in recorders):
                    raise CheckFailed("every module received the model's input; each must receive the "
                                      "output of the module before it (input = module(input))")
                raise CheckFailed(f"module {recorder.name!r} did not receive the output of the module before it")
            expected = expected * recorder.scale + recorder.shift
    with report.part("returns the last module's output", weight=0.5):
        if error:
            raise CheckFailed(error)
        hints = [(x, "forward returned its input unchanged: return what the last module gave")]
        if recorders:
            hints.append((x * scales[0] + shifts[0], "forward returned the first module's output"))
        expected = x
        for scale, shift in zip(scales, shifts):
            expected = expected * scale + shift
        expect_close("model.forward(input)", out, expected, hints)
    return report.finish()


# ---------------------------------------------------------------- whole networks
def check_network(classes, points=None, seed=0):
    """Whole networks of the student's classes on fixed W, b against a closed-form forward pass.

    Args:
        classes: dict with the student's Linear, Sigmoid, Tanh, ReLU, MSELoss,
            BCELoss and Model (e.g. `globals()`).
    """
    from dataset import dataset_circles

    rng = _rng(seed)
    report = Report("Whole network: forward pass", points)
    C = classes
    X, Y = dataset_circles(m=16, radius=0.7, noise=0.0, seed=seed)
    activations = {"Tanh": np.tanh, "ReLU": lambda z: np.maximum(z, 0), "Sigmoid": stable_sigmoid}

    def build(sizes, hidden, output="Sigmoid"):
        """The student's network and the closed-form output, for the same W and b."""
        layers, a = [], X
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
            last = i == len(sizes) - 1
            W, b = rng.standard_normal((n_out, n_in)), rng.standard_normal((n_out, 1)) * 0.5
            layer = C["Linear"](n_in, n_out)
            layer.W, layer.b = W.copy(), b.copy()
            kind = output if last else hidden
            layers += [(f"Dense_{i}" + ("_out" if last else ""), layer), (f"{kind}_{i}", C[kind]())]
            a = activations[kind](W @ a + b)
        return build_network(C["Model"], layers), a

    with _global_random_state_kept():
        for label, sizes, hidden in [("2-3-4-5-1 network: Tanh hidden layers, Sigmoid output", [2, 3, 4, 5, 1], "Tanh"),
                                     ("2-8-8-1 network: ReLU hidden layers, Sigmoid output", [2, 8, 8, 1], "ReLU")]:
            with report.part(label, weight=1):
                model, expected = run_student(build, sizes, hidden)
                out = run_student(model, X.copy())
                _expect_double("model(X)", out, expected)
        with report.part("per-sample BCE and MSE losses of the 2-3-4-5-1 network's prediction", weight=1):
            # The losses get the exact prediction p (not the network's output), so that this
            # part checks the losses only.
            _, p = run_student(build, [2, 3, 4, 5, 1], "Tanh")
            p_clipped = np.clip(p, 1e-12, 1 - 1e-12)
            bce = -(Y * np.log(p_clipped) + (1 - Y) * np.log(1 - p_clipped))
            expect_close("BCELoss()(model(X), Y)", run_student(C["BCELoss"](), p.copy(), Y.copy()), bce,
                         rtol=1e-4, atol=1e-6)
            expect_close("MSELoss()(model(X), Y)", run_student(C["MSELoss"](), p.copy(), Y.copy()), (p - Y) ** 2)
    return report.finish()
