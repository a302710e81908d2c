"""Checks of Task 2 (the backward pass): one function per answer the student writes.

Each `check_*` function tests one class or function alone, through its public API only
(`W`, `b`, `dW`, `db`, `forward`, `backward`, calling it), against closed-form
gradients computed here. Called without `points` it is the student's
self-check (prints the list of parts and records the result for the notebook's last cell);
with `points` it is the autograder (prints the same list and returns the partial
credit as a plain float). A bug in one class therefore costs points in that
class's cell only.

For the planted-bug hunt: `student_id` and `mystery_networks` (two networks drawn for one
student, each with one planted gradient bug: which piece, and which factor, from FACTORS),
`record_suspects` (the answer, with the student id the networks were drawn for) and
`check_suspects_form` (its form only).
The whole-network checks and the check of the suspects' names are the grader's own (they
are not in this file): they compare with exact gradients it computes itself.

For the notebook: `demo` keeps a cell that runs the student's code from stopping Run All,
`run_main` runs the main processing cell's function, and `SELF_CHECKS` lists the
self-checks the last cell sums up.

Shapes follow the course: a batch is (m, n, 1); Linear's W is (out, in).
"""

import contextlib
import hashlib
import os
from types import SimpleNamespace

import numpy as np

from scoring import (
    FAIL,
    CheckFailed,
    Report,
    build_network,
    describe_exception,
    expect_close,
    names_not_modules,
    quiet,
    run_student,
    snapshot,
    stable_sigmoid,
    successful,
)
from utils import Module, _diagnose, parameters_of

__all__ = [
    "SELF_CHECKS",
    "check_linear",
    "check_sigmoid",
    "check_tanh",
    "check_relu",
    "check_mse_loss",
    "check_bce_loss",
    "check_model",
    "check_numerical_gradient",
    "student_id",
    "mystery_networks",
    "record_suspects",
    "pieces_of",
    "check_suspects_form",
    "run_main",
    "check_main_cell",
    "demo",
]

# The titles of the notebook's self-checks, in notebook order (its last cell sums them up).
SELF_CHECKS = ("Linear.backward", "Sigmoid.backward", "Tanh.backward", "ReLU.backward", "MSELoss.backward",
               "BCELoss.backward", "Model.backward", "numerical_gradient", "Planted-bug hunt (the form of the answer)",
               "Main processing cell (self-check)")


@contextlib.contextmanager
def demo(what, needs):
    """`with demo("the gradient check", needs="exercises 2 to 5"):` around a cell that runs your code.

    An exception from unfinished or wrong code ends the block with one line, e.g.
    "✗ the gradient check did not run: Linear.backward is not implemented yet (...)", instead of a
    traceback, so that Run All goes on to the end of the notebook.
    """
    try:
        yield
    except Exception as error:  # noqa: BLE001 - whatever the student's code raised
        print(f"{FAIL} {what} did not run: {_culprit(error)} {describe_exception(error)}. Finish {needs} "
              "(the self-checks say more), then run this cell again.")


def _culprit(error):
    """`Linear.backward`: the notebook's own function in which `error` was raised ("your code" if none)."""
    import sys
    import traceback

    skip = (os.path.dirname(os.path.abspath(__file__)), sys.prefix, sys.base_prefix, os.path.dirname(os.__file__))
    names = [getattr(frame.f_code, "co_qualname", frame.f_code.co_name)
             for frame, _ in traceback.walk_tb(error.__traceback__)
             if not os.path.abspath(frame.f_code.co_filename).startswith(skip) and frame.f_code.co_name != "<module>"]
    return names[-1] if names else "your code"


def _rng(seed):
    return np.random.default_rng(seed)


# --------------------------------------------------------------------------- Linear
def check_linear(Linear, points=None, seed=0):
    """Linear.backward: dW and db averaged over the batch, returns W.T @ dz per sample."""
    rng = _rng(seed)
    report = Report("Linear.backward", points)
    # Two layers; the first sees two batches of different sizes in a row, which
    # catches a batch size cached in __init__ and gradients accumulated with +=.
    plan = [(3, 4, [6, 2]), (4, 1, [5]), (2, 2, [3])]
    # Each run keeps copies of what backward stored, since a layer is reused.
    runs = []  # SimpleNamespace(layer, W, b, X, dz, dx, dW, db, previous_dW, error)
    for n_in, n_out, batches in plan:
        try:
            layer = run_student(Linear, n_in, n_out)
            W = rng.standard_normal((n_out, n_in))
            b = rng.standard_normal((n_out, 1))
            layer.W, layer.b = W.copy(), b.copy()
        except CheckFailed as failure:
            runs.append(SimpleNamespace(error=f"Linear({n_in}, {n_out}) {failure}"))
            continue
        previous_dW = None
        for m in batches:
            run = SimpleNamespace(layer=layer, W=W, b=b, X=rng.standard_normal((m, n_in, 1)),
                                  dz=rng.standard_normal((m, n_out, 1)), previous_dW=previous_dW,
                                  dx=None, dW=None, db=None, error=None)
            try:
                run_student(layer.forward, run.X)
                run.dx = run_student(layer.backward, run.dz)
                run.dW = snapshot(getattr(layer, "dW", None))
                run.db = snapshot(getattr(layer, "db", None))
            except CheckFailed as failure:
                run.error = f"backward {failure}"
            runs.append(run)
            previous_dW = np.mean(run.dz @ run.X.transpose(0, 2, 1), axis=0)

    def each_run():
        for run in runs:
            if run.error is not None:
                raise CheckFailed(run.error)
            yield run

    with report.part("dW = mean over the batch of dz @ a_prev.T", weight=1.5):
        for r in each_run():
            (m, n_out, _), n_in = r.dz.shape, r.X.shape[1]
            expected = np.mean(r.dz @ r.X.transpose(0, 2, 1), axis=0)
            hints = [
                (expected * m, "dW is summed over the batch, not averaged (divide by m)"),
                (np.mean(np.ones_like(r.dz) @ r.X.transpose(0, 2, 1), axis=0),
                 "upstream gradient dz not multiplied in"),
                (expected.T, "dW is transposed: it must have W's shape (out, in)"),
                (np.mean(r.dz @ (r.W @ r.X + r.b).transpose(0, 2, 1), axis=0),
                 "dW uses the layer's output z instead of its input a_prev"),
                (r.dz.mean(axis=0) @ r.X.mean(axis=0).T, "that is the product of the means, (mean of dz) (mean "
                 "of a_prev).T; dW is the mean of the products dz_i a_prev_i.T: multiply sample by sample, then "
                 "average"),
            ]
            if r.previous_dW is not None:
                hints.append((expected + r.previous_dW,
                              "dW accumulates across calls (+=): backward must overwrite dW"))
            shape_hints = {
                (n_in, n_out): f"dW is transposed: W has shape ({n_out}, {n_in}) = (out, in), and so must dW "
                "(dz @ a_prev.T, not a_prev @ dz.T)",
                (m, n_out, n_in): "dW still holds one gradient per sample: average over axis 0",
            }
            expect_close("dW", r.dW, expected, hints, shape_hints)

    with report.part("db = mean over the batch of dz, shape (out, 1)", weight=1):
        for r in each_run():
            m, n_out, _ = r.dz.shape
            expected = r.dz.mean(axis=0)
            hints = [
                (expected * m, "db is summed over the batch, not averaged (divide by m)"),
                (np.ones((n_out, 1)), "upstream gradient dz not multiplied in"),
            ]
            shape_hints = {
                (n_out,): "db must keep the column shape (out, 1) of b",
                (m, n_out, 1): "db still holds one gradient per sample: average over axis 0",
                (1, n_out, 1): "db must have b's shape (out, 1), not (1, out, 1)",
                (m, 1, 1): "db is averaged over the wrong axis: average over the batch (axis 0)",
            }
            if n_out > 1:
                shape_hints[(1, n_out)] = f"db is transposed: b is a column of shape ({n_out}, 1), and so must db be"
            expect_close("db", r.db, expected, hints, shape_hints)

    with report.part("returns W.T @ dz for every sample, shape (m, in, 1)", weight=1.5):
        for r in each_run():
            (m, n_out, _), n_in = r.dz.shape, r.X.shape[1]
            expected = r.W.T @ r.dz
            hints = [
                (expected / m, "the gradient passed back is per sample: the 1/m belongs to dW and db only"),
                (r.W @ r.dz if n_in == n_out else np.zeros(0), "use W.T, not W"),
                (r.dz, "backward returned dz itself; the previous layer needs W.T @ dz"),
            ]
            shape_hints = {
                (m, n_out, 1): "backward returned an array shaped like the layer's output; "
                "the previous layer needs one shaped like the input: W.T @ dz",
                (m, 1, n_in): "the returned gradient is transposed: one column (in, 1) per sample, shape (m, in, 1)",
            }
            expect_close("the returned gradient", r.dx, expected, hints, shape_hints)

    with report.part("W and b are left unchanged (updating them is the optimizer's job)", weight=0.5):
        for r in each_run():
            if not (np.array_equal(r.layer.W, r.W) and np.array_equal(r.layer.b, r.b)):
                raise CheckFailed("backward changed W or b; it must only compute dW and db")
    return report.finish()


# ------------------------------------------------------------------- activations
def _activation_runs(Activation, rng, shapes, extra_inputs=()):
    """Run forward then backward on fresh random inputs; yield (z, da, result, error)."""
    runs = []
    inputs = [rng.standard_normal(shape) * 2 for shape in shapes] + list(extra_inputs)
    for z in inputs:
        da = rng.standard_normal(z.shape)
        try:
            module = run_student(Activation)
            run_student(module.forward, rng.standard_normal(z.shape))  # a stale cache must not be used
            run_student(module.forward, z.copy())
            result = run_student(module.backward, da.copy())
            runs.append((z, da, result, None))
        except CheckFailed as failure:
            runs.append((z, da, None, str(failure)))
    return runs


class _InPlace:
    """Runs module.forward(z), then module.backward(da), and returns z and da as the module left
    them, one after the other in one flat array: a module must not change its inputs in place."""

    def __init__(self, module):
        self.module = module

    def forward(self, z, da):
        self.module.forward(z)
        self.module.backward(da)
        return np.concatenate([np.ravel(z), np.ravel(da)])


def _inputs_unchanged(Activation, rng, helpers):
    """Raise CheckFailed when forward or backward changes the arrays it is given."""
    z = rng.standard_normal((4, 3, 1)) * 2
    z[0, 0, 0] = 0.0
    da = rng.standard_normal(z.shape)
    Probe = (helpers or {}).get("_InPlace", _InPlace)  # the grader runs it where the module lives
    module = run_student(Activation)
    after = run_student(Probe(module).forward, z.copy(), da.copy())
    after = np.asarray(after, dtype=float).ravel() if after is not None else None
    if after is None or after.size != 2 * z.size:
        raise CheckFailed("could not run forward and backward one after the other")
    if not np.array_equal(after[:z.size], z.ravel()):
        raise CheckFailed("the input z of forward was changed in place (e.g. `input[input < 0] = 0`): the module "
                          "before may still need it (and the first module's input is your data X); compute a "
                          "new array instead")
    if not np.array_equal(after[z.size:], da.ravel()):
        raise CheckFailed("backward changed the gradient da it was given in place (e.g. `da[...] = 0` or `da *= ...`): "
                          "return a new array instead")


def check_sigmoid(Sigmoid, points=None, seed=0, helpers=None):
    """Sigmoid.backward returns da * a * (1 - a) with a = sigmoid(z), leaving its inputs alone."""
    rng = _rng(seed)
    report = Report("Sigmoid.backward", points)
    runs = _activation_runs(Sigmoid, rng, [(5, 3, 1), (2, 1, 1)])
    large = np.array([[[-800.0], [-50.0], [0.0], [50.0], [800.0]]])
    stable = _activation_runs(Sigmoid, rng, [], extra_inputs=[large])

    with report.part("returns da * a * (1 - a), where a = sigmoid(z)", weight=2):
        for z, da, result in successful(runs):
            a = stable_sigmoid(z)
            hints = [
                (da * z * (1 - z), "sigmoid derivative computed from the input z instead of the "
                 "output a = sigmoid(z): use a * (1 - a)"),
                (a * (1 - a), "upstream gradient da not multiplied in"),
                (da * a, "the factor (1 - a) is missing"),
                (-da * a * (1 - a), "the sign is flipped"),
                (da * stable_sigmoid(a) * (1 - stable_sigmoid(a)), "sigmoid applied twice: a is already sigmoid(z)"),
            ]
            expect_close("the returned gradient", result, da * a * (1 - a), hints)
    with report.part("finite for large |z| (z = +-800)", weight=0.5):
        for z, da, result in successful(stable):
            a = stable_sigmoid(z)
            expect_close("the returned gradient", result, da * a * (1 - a), atol=1e-12)
    with report.part("leaves its inputs z and da unchanged (computes new arrays)", weight=0.5):
        _inputs_unchanged(Sigmoid, rng, helpers)
    return report.finish()


def check_tanh(Tanh, points=None, seed=0, helpers=None):
    """Tanh.backward returns da * (1 - a**2) with a = tanh(z), leaving its inputs alone."""
    rng = _rng(seed)
    report = Report("Tanh.backward", points)
    runs = _activation_runs(Tanh, rng, [(5, 3, 1), (3, 2, 1)])
    with report.part("returns da * (1 - a**2), where a = tanh(z)", weight=2):
        for z, da, result in successful(runs):
            a = np.tanh(z)
            hints = [
                (da * (1 - z**2), "tanh derivative computed from the input z instead of the output "
                 "a = tanh(z): use 1 - a**2"),
                (1 - a**2, "upstream gradient da not multiplied in"),
                (da * (1 - a), "the output must be squared: 1 - a**2"),
                (-da * (1 - a**2), "the sign is flipped"),
                (da * a * (1 - a), "that is the sigmoid derivative; tanh's is 1 - a**2"),
                (da * (1 - np.tanh(a) ** 2), "tanh applied twice: self.a is already tanh(z), so the derivative "
                 "is 1 - a**2, not 1 - tanh(a)**2"),
                (da * (1 - a) ** 2, "(1 - a)**2 is not 1 - a**2: square a first, then subtract it from 1"),
                (da - a**2, "that is da - a**2: * binds tighter than -, so da * 1 - a**2 means (da * 1) - a**2; "
                 "put parentheses around 1 - a**2"),
            ]
            expect_close("the returned gradient", result, da * (1 - a**2), hints)
    with report.part("leaves its inputs z and da unchanged (computes new arrays)", weight=0.5):
        _inputs_unchanged(Tanh, rng, helpers)
    return report.finish()


def check_relu(ReLU, points=None, seed=0, helpers=None):
    """ReLU.backward returns da where z > 0 and 0 where z < 0 (anything in [0, da] at z = 0), leaving
    its inputs alone."""
    rng = _rng(seed)
    report = Report("ReLU.backward", points)
    with_kink = rng.standard_normal((6, 4, 1))
    with_kink[::2, ::2] = 0.0  # exact zeros: the kink
    runs = _activation_runs(ReLU, rng, [(5, 3, 1)], extra_inputs=[with_kink])
    with report.part("returns da * (z > 0)", weight=2):
        for z, da, result in successful(runs):
            expected = da * (z > 0)
            kink = z == 0
            if result is not None and np.shape(result) == z.shape:
                got = np.asarray(result, dtype=float)
                low, high = np.minimum(0, da), np.maximum(0, da)
                allowed = kink & (got >= low - 1e-12) & (got <= high + 1e-12)
                expected = np.where(allowed, got, expected)  # any slope in [0, 1] at the kink
            hints = [
                (da * (da > 0), "the mask must come from the input z (z > 0), not from the gradient da"),
                ((z > 0) * 1.0, "upstream gradient da not multiplied in"),
                (da * (z <= 0), "the mask is inverted: the gradient flows where z > 0"),
                (np.maximum(z, 0) * da, "multiplied by ReLU(z) instead of its derivative (z > 0)"),
            ]
            expect_close("the returned gradient", result, expected, hints)
    with report.part("leaves its inputs z and da unchanged (computes new arrays)", weight=0.5):
        _inputs_unchanged(ReLU, rng, helpers)
    return report.finish()


# ------------------------------------------------------------------------ losses
def _loss_runs(Loss, cases):
    runs = []
    for prediction, target in cases:
        try:
            loss = run_student(Loss)
            run_student(loss.forward, prediction.copy(), target.copy())
            result = run_student(loss.backward, prediction.copy(), target.copy())
            runs.append((prediction, target, result, None))
        except CheckFailed as failure:
            runs.append((prediction, target, None, str(failure)))
    return runs


def check_mse_loss(MSELoss, points=None, seed=0):
    """MSELoss.backward returns the per-sample derivative 2 (y_hat - y) / n, shape (m, n, 1)."""
    rng = _rng(seed)
    report = Report("MSELoss.backward", points)

    def case(m, n):
        return rng.standard_normal((m, n, 1)), rng.standard_normal((m, n, 1))

    def expect(prediction, target, result):
        m, n = prediction.shape[:2]
        expected = 2 * (prediction - target) / n
        hints = [
            (expected / m, "averaged over the batch: return the per-sample derivative "
             "(the 1/m lives in Linear.backward)"),
            (-expected, "the sign is flipped: d/dy_hat (y_hat - y)**2 = 2 (y_hat - y)"),
            (expected / 2, "the factor 2 is missing"),
        ]
        if n > 1:
            hints.append((expected * n, "the forward pass averages over the n output features, "
                          "so the derivative carries a factor 1/n"))
        shape_hints = {
            (n, 1): "averaged over the batch (axis 0); return one gradient per sample, shape (m, n, 1)",
            (m, 1, 1): "one number per sample; the gradient has the prediction's shape (m, n, 1)",
        }
        expect_close("the returned gradient", result, expected, hints, shape_hints)

    single = _loss_runs(MSELoss, [case(6, 1), case(1, 1)])
    multi = _loss_runs(MSELoss, [case(4, 3)])
    with report.part("per-sample derivative 2 (y_hat - y), one output", weight=2):
        for prediction, target, result in successful(single):
            expect(prediction, target, result)
    with report.part("several outputs: derivative of the mean over features, 2 (y_hat - y) / n", weight=1):
        for prediction, target, result in successful(multi):
            expect(prediction, target, result)
    return report.finish()


def check_bce_loss(BCELoss, points=None, seed=0):
    """BCELoss.backward returns (p - y) / (p (1 - p)) / n per sample, finite at p = 0 or 1."""
    rng = _rng(seed)
    report = Report("BCELoss.backward", points)

    def case(m, n):
        p = rng.uniform(0.05, 0.95, (m, n, 1))
        y = (rng.uniform(size=(m, n, 1)) < 0.5).astype(float)
        return p, y

    def expect(p, y, result):
        m, n = p.shape[:2]
        expected = (p - y) / (p * (1 - p)) / n
        hints = [
            (expected / m, "averaged over the batch: return the per-sample derivative "
             "(the 1/m lives in Linear.backward)"),
            (-expected, "the sign is flipped: dL/dp = -y/p + (1 - y)/(1 - p)"),
            ((p - y) / n, "that is the gradient with respect to the logit z (sigmoid and BCE "
             "combined); BCELoss.backward returns dL/dp and Sigmoid.backward multiplies by a(1 - a)"),
            (p - y, "that is the gradient with respect to the logit z; BCELoss.backward returns dL/dp"),
        ]
        if n > 1:
            hints.append((expected * n, "the forward pass averages over the n output features, "
                          "so the derivative carries a factor 1/n"))
        shape_hints = {
            (n, 1): "averaged over the batch (axis 0); return one gradient per sample, shape (m, n, 1)",
        }
        expect_close("the returned gradient", result, expected, hints, shape_hints, rtol=1e-5)

    single = _loss_runs(BCELoss, [case(6, 1), case(2, 1)])
    multi = _loss_runs(BCELoss, [case(4, 3)])
    edge_p = np.array([[[0.0]], [[1.0]], [[1.0]], [[0.0]]])
    edge_y = np.array([[[0.0]], [[1.0]], [[0.0]], [[1.0]]])
    edge = _loss_runs(BCELoss, [(edge_p, edge_y)])
    with report.part("per-sample derivative -y/p + (1 - y)/(1 - p), one output", weight=2):
        for p, y, result in successful(single):
            expect(p, y, result)
    with report.part("several outputs: derivative of the mean over features", weight=1):
        for p, y, result in successful(multi):
            expect(p, y, result)
    with report.part("clips p with self.eps, as forward does (checked with eps set to 0.001)", weight=1):
        _clips_with_own_eps(BCELoss, rng)
    with report.part("finite, with the right sign, at predictions of exactly 0 or 1 (clip p)", weight=1):
        for p, _, result in successful(edge):
            with quiet():
                got = np.asarray(result, dtype=float) if result is not None else None
            if got is None or got.shape != p.shape:
                raise CheckFailed(f"expected shape {p.shape}, got {None if got is None else got.shape}")
            if not np.all(np.isfinite(got)):
                raise CheckFailed("the gradient is inf or NaN when p is exactly 0 or 1: clip p to "
                                  "[eps, 1 - eps] before dividing")
            if np.any(got[edge_y == 1] > 0) or np.any(got[edge_y == 0] < 0):
                raise CheckFailed("the gradient has the wrong sign at p = 0 or 1")
    return report.finish()


def _clips_with_own_eps(BCELoss, rng):
    """BCELoss.backward clips with self.eps: a loss whose eps is 1e-3 clips p = 1e-4 up to 1e-3."""
    eps = 1e-3
    p = np.array([0.0, 1e-4, 0.3, 1 - 1e-4, 1.0, rng.uniform(0.05, 0.95)]).reshape(6, 1, 1)
    y = np.array([1.0, 1.0, 0.0, 0.0, 0.0, 1.0]).reshape(6, 1, 1)
    loss = run_student(BCELoss)
    try:
        loss.eps = eps
    except (AttributeError, TypeError):
        raise CheckFailed("could not set the loss's eps (keep `eps` an attribute of BCELoss)") from None
    result = run_student(loss.backward, p.copy(), y.copy())

    def clipped(e):
        q = np.clip(p, e, 1 - e)
        return (q - y) / (q * (1 - q))

    hints = [(clipped(e), f"the clip uses {e:g} instead of self.eps (here {eps:g}): backward must clip exactly as "
              "forward does, with self.eps") for e in (1e-12, 1e-7, 1e-15)]
    expect_close("the returned gradient", result, clipped(eps), hints, rtol=1e-6)


# ------------------------------------------------------------------------- Model
class _Recorder(Module):
    """A stand-in module that multiplies by a constant and logs its calls."""

    def __init__(self, name, factor, log):
        super().__init__()
        self.name, self.factor, self.log = name, factor, log
        self.received = None

    def forward(self, input):
        self.log.append(("forward", self.name))
        return input * self.factor

    def backward(self, grad):
        self.log.append(("backward", self.name))
        self.received = grad
        return grad * self.factor


def check_model(Model, points=None, seed=0):
    """Model.backward visits the modules last to first, chaining each returned gradient; the given
    forward still visits them first to last (a student who edits it by accident is told so here)."""
    rng = _rng(seed)
    report = Report("Model.backward", points)
    log = []
    names = ["first", "second", "third", "fourth"]
    factors = [2.0, -3.0, 0.5, 5.0]
    x = rng.standard_normal((3, 2, 1))
    grad = rng.standard_normal((3, 2, 1))
    error = forward_error = None
    returned = output = None
    forward_calls = []
    try:
        model = run_student(Model)
        recorders = [_Recorder(n, f, log) for n, f in zip(names, factors)]
        for recorder in recorders:
            model.add_module(recorder, recorder.name)
    except CheckFailed as failure:
        error = forward_error = str(failure)
    if error is None:
        try:
            output = run_student(model.forward, x.copy())
        except CheckFailed as failure:  # backward is checked all the same: the recorders need no forward
            forward_error = str(failure)
        forward_calls = [name for kind, name in log if kind == "forward"]
        del log[:]
        try:
            returned = run_student(model.backward, grad.copy())
        except CheckFailed as failure:
            error = names_not_modules(failure)

    with report.part("calls backward of every module once, from the last to the first", weight=1):
        if error:
            raise CheckFailed(error)
        calls = [name for kind, name in log if kind == "backward"]
        if calls == names:
            raise CheckFailed("backward visits the modules first to last; use reversed(...)")
        if sorted(calls) != sorted(names) or calls != names[::-1]:
            raise CheckFailed(f"backward was called on {calls}; expected {names[::-1]}")
    with report.part("passes each module's returned gradient on to the module before it", weight=1):
        if error:
            raise CheckFailed(error)
        expected = grad.copy()
        for recorder in reversed(recorders):
            if recorder.received is None:
                raise CheckFailed(f"module {recorder.name!r} never received a gradient")
            if np.shape(recorder.received) != expected.shape or not np.allclose(recorder.received, expected):
                if np.allclose(np.asarray(recorder.received, dtype=float), grad):
                    raise CheckFailed("every module received the loss gradient; each must receive "
                                      "the gradient returned by the module after it")
                raise CheckFailed(f"module {recorder.name!r} received the wrong gradient")
            expected = expected * recorder.factor
    with report.part("returns the gradient with respect to the input X (what the first module returned)",
                     weight=1):
        if error:
            raise CheckFailed(error)
        if returned is None:
            raise CheckFailed("backward returns None: return the gradient the first module returned (the gradient "
                              "with respect to X), so that a Model can be a module inside another Model")
        expected = grad * float(np.prod(factors))
        hints = [(grad, "backward returned the gradient it received: return the one the first module returned"),
                 (grad * factors[-1], "backward returned what the last module returned: return the first one's")]
        expect_close("the returned gradient", returned, expected, hints)
    # Worth no points (the given forward is no answer, and whole networks test it), but it fails the self-check.
    with report.part("the given forward still runs the modules first to last", weight=0):
        given = "Model.forward is given code: put it back as it was (first to last, input = module(input))"
        if forward_error:
            raise CheckFailed(f"forward {forward_error}. {given}")
        if forward_calls != names:
            order = "last to first" if forward_calls == names[::-1] else f"as {forward_calls}"
            raise CheckFailed(f"forward visits the modules {order}. {given}")
        expect_close("model.forward(input)", output, x * float(np.prod(factors)),
                     [(x, f"forward returned its input unchanged. {given}")])
    return report.finish()


# ----------------------------------------------------------- numerical_gradient
def _one_sided(f, x, epsilon, sign):
    """(f(x + eps e_i) - f(x)) / eps for every i (sign=1), or the backward difference (sign=-1)."""
    grad, base = np.zeros(x.shape), f(x)
    for index in np.ndindex(x.shape):
        nudged = x.copy()
        nudged[index] += sign * epsilon
        grad[index] = sign * (f(nudged) - base) / epsilon
    return grad


class _InPlaceCost:
    """Measures, with the notebook's numerical_gradient, a cost that reads its array where it lives and
    ignores its argument, as `lambda W: cost of the network` does: only nudges made to x itself reach it."""

    def __init__(self, x, c):
        self.x, self.c = x, c

    def forward(self, epsilon):
        return numerical_gradient(lambda _: float(np.sum(self.c * np.sin(self.x))), self.x, epsilon)  # noqa: F821


def _measured_in_place(numerical_gradient, x, c, helpers):
    """What numerical_gradient measures for sum(c * sin(x)) through a cost that ignores its argument."""
    if helpers and "_InPlaceCost" in helpers:  # the grader: where the student's function lives
        return run_student(helpers["_InPlaceCost"](x, c).forward, 1e-6)
    x = x.copy()
    return run_student(numerical_gradient, lambda _: float(np.sum(c * np.sin(x))), x, 1e-6)


class _NudgeCounter:
    """A scalar function f of an array shaped like `given` that also notes, at every call, how many entries
    of its argument differ from `given`: a central difference nudges one entry per call."""

    def __init__(self, f, given):
        self.f, self.given, self.most = f, given, 0

    def __call__(self, x):
        try:
            array = np.asarray(x, dtype=float)
            if array.shape == self.given.shape:  # rounding left by an entry put back is no nudge
                self.most = max(self.most, int(np.sum(np.abs(array - self.given) > 1e-12)))
        except (TypeError, ValueError):
            pass
        return self.f(x)


def _nudged_together(counter):
    """The hint for a numerical gradient whose f saw several entries of x nudged in one call ("" if none did)."""
    if counter.most <= 1:
        return ""
    size = counter.given.size
    what = f"all {size} entries" if counter.most == size else f"{counter.most} entries (e.g. a whole row, x[i])"
    return (f"f was called with {what} of x nudged at once: nudge one entry at a time, with a full index per entry "
            "(np.ndindex(x.shape) gives every one), and put it back before the next")


def check_numerical_gradient(numerical_gradient, points=None, seed=0, helpers=None):
    """numerical_gradient(f, x, epsilon) returns the central differences of f at x, nudging x itself in
    place, and leaves x as it was."""
    rng = _rng(seed)
    report = Report("numerical_gradient", points)
    cases = []  # (x as given, x after the call, the result, f, epsilon, c, the nudge counter, error)
    for shape, power in (((3, 2), None), ((4, 1), None), ((2, 2), 3)):
        x = rng.uniform(0.5, 1.5, shape)
        c = rng.uniform(1.0, 2.0, shape)
        if power is None:
            def f(x, c=c):
                return float(np.sum(c * np.sin(x)))
            epsilon = None
        else:
            def f(x):
                return float(np.sum(np.asarray(x, dtype=float) ** 3))
            epsilon = 1e-2  # large, so that a step of the function's own choosing shows
        given = x.copy()
        counter = _NudgeCounter(f, given)
        try:
            kwargs = {} if epsilon is None else {"epsilon": epsilon}
            result = run_student(numerical_gradient, counter, x, **kwargs)
            cases.append((given, x, result, f, epsilon, c, counter, None))
        except CheckFailed as failure:
            cases.append((given, x, None, f, epsilon, c, counter, str(failure)))

    def expect(given, result, f, epsilon, c, counter):
        eps = 1e-6 if epsilon is None else epsilon
        if epsilon is None:
            expected, atol = c * np.cos(given), 2e-8  # the derivative itself: central differences get it to 1e-9
        else:
            expected, atol = 3 * given**2 + eps**2, 1e-9  # what central differences with step 1e-2 give
        hints = [(_one_sided(f, given, eps, 1), "that is the one-sided difference (f(x + eps) - f(x)) / eps: use the "
                  "central one, (f(x + eps) - f(x - eps)) / (2 eps)"),
                 (_one_sided(f, given, eps, -1), "that is the one-sided difference (f(x) - f(x - eps)) / eps: use the "
                  "central one, (f(x + eps) - f(x - eps)) / (2 eps)"),
                 (2 * expected, "divide by 2 epsilon (the two points are 2 epsilon apart), not by epsilon"),
                 (-expected, "the sign is flipped: f(x + eps) - f(x - eps), in that order")]
        if epsilon is not None:
            hints.insert(0, (3 * given**2, f"the step is not the epsilon it was given ({epsilon:g} here): use the "
                             "epsilon argument"))
        scale = max(1.0, float(np.abs(expected).max()))
        try:
            expect_close("the numerical gradient", result, expected, hints, rtol=0, atol=atol * scale)
        except CheckFailed:
            together = _nudged_together(counter)  # the cause, when it shows: it explains the wrong values
            if together:
                raise CheckFailed(f"the numerical gradient is wrong: {together}") from None
            raise

    with report.part("central differences (f(x + eps) - f(x - eps)) / (2 eps), one entry at a time, any shape",
                     weight=2):
        for given, _, result, f, epsilon, c, counter in successful(cases[:2]):
            expect(given, result, f, epsilon, c, counter)
    with report.part("the step is the `epsilon` argument", weight=0.5):
        for given, _, result, f, epsilon, c, counter in successful(cases[2:]):
            expect(given, result, f, epsilon, c, counter)
    with report.part("nudges x itself, in place (so that `lambda W: cost of the network` sees the nudges)",
                     weight=0.5):
        # A cost that ignores its argument measures 0 everywhere unless the nudges are made to x itself. Any
        # other number shows that they reached it: how it is computed is the first two parts' business.
        x, c = rng.uniform(0.5, 1.5, (2, 3)), rng.uniform(1.0, 2.0, (2, 3))
        result = _measured_in_place(numerical_gradient, x, c, helpers)
        if result is None:
            raise CheckFailed("the numerical gradient is None: did you forget to `return` it?")
        try:
            result = np.asarray(result, dtype=float)
        except (TypeError, ValueError):
            raise CheckFailed(f"the numerical gradient is a {type(result).__name__}, not an array of numbers") from None
        if np.all(np.abs(result) <= 1e-12):  # NaN is not <= anything: those nudges reached the cost
            raise CheckFailed("a cost that reads the array itself (as `lambda W: ...` of a network does) sees no "
                              "nudge: change the entries of x in place (and put them back), do not hand f copies")
    with report.part("leaves x exactly as it found it", weight=0.5):
        for given, after, *_ in successful(cases):
            if not np.array_equal(after, given):
                if np.allclose(after, given, rtol=1e-12, atol=0):
                    raise CheckFailed("x is off by rounding afterwards: (x + eps) - eps is not always x in floating "
                                      "point; keep the original entry and put it back")
                raise CheckFailed("x is changed afterwards: put every entry back after nudging it")
    return report.finish()


# ------------------------------------------------------------ planted-bug hunt
# How one gradient of a mystery network is spoiled: the factor it is multiplied by, for a batch of
# m samples (summed instead of averaged, divided by m once too often, the sign flipped, never
# computed, doubled, halved). Which gradient of which layer, and how, is drawn for each student.
FACTORS = {"m": lambda m: float(m), "1/m": lambda m: 1.0 / m, "-1": lambda m: -1.0, "0": lambda m: 0.0,
           "2": lambda m: 2.0, "1/2": lambda m: 0.5}
# Environment variables that may hold the student's id: set by the course's grader, and by JupyterHub.
STUDENT_ID_VARIABLES = ("COURSE_STUDENT_ID", "JUPYTERHUB_USER")


def student_id():
    """Your student id as your course knows it (on JupyterHub: your user name), or "" when unknown."""
    for variable in STUDENT_ID_VARIABLES:
        if os.environ.get(variable):
            return os.environ[variable]
    return ""


def _draw(student, name):
    """The random numbers of network `name` ("A" or "B") of `student`'s hunt (the same every time)."""
    digest = hashlib.sha256(f"task2 mystery network {name} of {student}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


# What the Linear layers of a mystery network are called (another student's answer names layers that
# one's own network most likely does not even have).
LAYER_NAMES = ("Dense", "Linear", "Layer", "FC", "Affine", "Hidden")


def mystery_plan(student, name):
    """(sizes, m, (layer number, gradient), factor, layer name) of network `name` of `student`'s hunt.

    `gradient` is "dW", "db", or "dx" for the gradient the layer returns (layers 2 and up, so that
    it reaches a parameter). The hidden sizes differ from each other, so every W has its own shape.
    """
    rng = _draw(student, name)
    prefix = LAYER_NAMES[int(rng.integers(len(LAYER_NAMES)))]
    hidden = [int(n) for n in rng.choice([3, 4, 5, 6], size=int(rng.integers(2, 4)), replace=False)]
    sizes = [2, *hidden, 1]
    layers = len(sizes) - 1
    places = [(i, g) for i in range(1, layers + 1) for g in ("dW", "db")] + [(i, "dx") for i in range(2, layers + 1)]
    place = places[int(rng.integers(len(places)))]
    factor = list(FACTORS)[int(rng.integers(len(FACTORS)))]
    return sizes, int(rng.integers(12, 25)), place, factor, prefix


def mystery_networks(Linear, ReLU, Sigmoid, BCELoss, Model, student=None):
    """Your two networks, A and B, each with one planted gradient bug, for you to find.

    Both are ReLU networks of your classes with a sigmoid output and BCE, drawn for `student`
    (default: `student_id()`): another student gets other networks and other bugs. Every Linear
    layer of a network is the same copy of your Linear; in each network, one gradient of one layer
    comes out wrong: its dW, its db, or the gradient it returns. Only a gradient check tells which.

    Returns:
        dict name -> (model, loss_fn, X, Y) to pass to `gradient_check`.
    """
    from dataset import dataset_circles

    student = student_id() if student is None else str(student)
    networks = {}
    for name in "AB":
        sizes, m, (number, gradient), factor, prefix = mystery_plan(student, name)
        rng = _draw(student, name + " weights")
        X, Y = dataset_circles(m=m, radius=0.7, noise=0.0, seed=rng)
        shapes = [(n_out, n_in) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
        Layer = _mystery_linear(Linear, shapes[number - 1], gradient, FACTORS[factor])
        layers = []
        for i, ((n_out, n_in), (W, b)) in enumerate(zip(shapes, _lively_weights(rng, shapes, X)), start=1):
            last = i == len(shapes)
            layer = Layer(n_in, n_out)
            layer.W, layer.b = W, b
            layers.append((f"{prefix}_{i}_out" if last else f"{prefix}_{i}", layer))
            layers.append(("Sigmoid", Sigmoid()) if last else (f"ReLU_{i}", ReLU()))
        networks[name] = (build_network(Model, layers), BCELoss(), X, Y)
    return networks


def _lively_weights(rng, shapes, X):
    """[(W, b)] of a ReLU network in which every hidden unit is active on some sample of X and no input of a
    ReLU is near its kink (so that every gradient is non-zero and a spoiled one always shows)."""
    while True:
        weights, a, lively = [], X, True
        for i, (n_out, n_in) in enumerate(shapes):
            W, b = rng.standard_normal((n_out, n_in)), rng.standard_normal((n_out, 1)) * 0.5
            weights.append((W, b))
            z = W @ a + b
            if i < len(shapes) - 1:
                lively = lively and bool(np.all(np.any(z > 0, axis=0))) and bool(np.min(np.abs(z)) > 1e-3)
                a = np.maximum(z, 0)
        if lively:
            return weights


def _mystery_linear(Linear, shape, gradient, factor):
    """Your Linear, except that backward scales `gradient` ("dW", "db" or "dx", the gradient it
    returns) of the layer whose W has `shape`.

    Every layer of a mystery network is an instance of the one class this returns, which
    looks like your Linear (same name, same attributes), so that printing the model or its
    layers gives nothing away.
    """

    class Layer(Linear):
        def backward(self, dz):
            result = super().backward(dz)
            if np.shape(getattr(self, "W", None)) != shape:
                return result
            if gradient == "dx":
                return result * factor(np.shape(dz)[0]) if isinstance(result, np.ndarray) else result
            value = getattr(self, gradient, None)
            if isinstance(value, np.ndarray):
                setattr(self, gradient, value * factor(np.shape(dz)[0]))
            return result

    for attribute in ("__name__", "__qualname__", "__module__", "__doc__"):
        try:
            setattr(Layer, attribute, getattr(Linear, attribute))
        except (AttributeError, TypeError):
            pass
    return Layer


def record_suspects(find, student):
    """Your answer to the hunt as the grader reads it: {"student": the id your networks were drawn
    for, "A": (where, factor), "B": ...}; None while `find()` is not written yet (it still raises)."""
    try:
        with quiet():
            found = find()
    except Exception as error:  # noqa: BLE001 - the form check below the cell says what is missing
        print(f"{FAIL} {getattr(find, '__name__', 'your function')} {describe_exception(error)}: no suspects yet")
        return None
    if not isinstance(found, dict):
        return {"student": student, "answer": repr(found)[:200]}
    return {"student": student, **{str(key): value for key, value in found.items() if str(key) != "student"}}


def pieces_of(model):
    """The names gradient_check may give the pieces of `model`: "Dense_1.W", "Dense_1.b", "Dense_1" (the
    gradient that layer returns), ... for every module with arrays W and b."""
    layers = [n for n, module in model.modules.items() if isinstance(getattr(module, "W", None), np.ndarray)]
    return [f"{n}.{attr}" for n in layers for attr in ("W", "b")] + layers


def check_suspects_form(suspects, networks):
    """The form of the answer only (where the bugs are, and which, is for the grader to say)."""
    report = Report("Planted-bug hunt (the form of the answer)")
    if not networks:
        with report.part("your mystery networks A and B", weight=1):
            raise CheckFailed("there are none yet: they are drawn from your student id, and STUDENT_ID is empty. "
                              "Write your id in the cell that sets STUDENT_ID (section 7), then run from there again")
    for name, (model, *_) in networks.items():
        with report.part(f"network {name}: (where, factor): a W, a b or a Linear layer of that network, and one of "
                         "the six factors", weight=1):
            answer = suspects.get(name) if isinstance(suspects, dict) else None
            if not isinstance(answer, (tuple, list)) or len(answer) != 2:
                raise CheckFailed(f"give a pair (where, factor), e.g. {name!r}: (\"Dense_1.b\", \"1/m\")")
            where, factor = answer
            if not isinstance(where, str) or where.strip() not in pieces_of(model):
                raise CheckFailed(f"where = {where!r} is none of {', '.join(pieces_of(model))}")
            if not isinstance(factor, str) or factor.strip() not in FACTORS:
                raise CheckFailed(f"factor = {factor!r} is none of {', '.join(map(repr, FACTORS))} (strings)")
    return report.finish()


# ---------------------------------------------------------- the main processing cell
def run_main(main):
    """(mlp, loss_fn) that `main()` returns, or (None, None) while it raises (one line says why)."""
    try:
        result = main()
    except Exception as error:  # noqa: BLE001 - whatever the student's code raised
        print(f"{FAIL} main() {describe_exception(error)}: no mlp yet")
        return None, None
    if not (isinstance(result, tuple) and len(result) == 2):
        print(f"{FAIL} main() must end with `return mlp, loss_fn`; it returned {type(result).__name__}")
        return None, None
    return result


def check_main_cell(mlp, loss_fn, X, Y):
    """Self-check of the main processing cell: three hidden layers, probabilities out, a passing gradient check."""
    report = Report("Main processing cell (self-check)")
    with report.part("`mlp` is a Model with at least 3 hidden layers (4 Linear layers)"):
        if mlp is None:
            raise CheckFailed("main() did not return a network yet")
        n_linear = len(run_student(parameters_of, mlp)) // 2
        if n_linear < 4:
            raise CheckFailed(f"`mlp` has {n_linear} Linear layers; 3 hidden layers need at least 4")
    with report.part("mlp(X) gives one probability per sample, shape (m, 1, 1)"):
        if mlp is None:
            raise CheckFailed("main() did not return a network yet")
        output = np.asarray(run_student(mlp, X.copy()), dtype=float)
        if output.shape != (X.shape[0], 1, 1) or not np.all((output >= 0) & (output <= 1)):
            raise CheckFailed(f"mlp(X) has shape {output.shape}; expected {(X.shape[0], 1, 1)}, values in [0, 1]")
    with report.part("gradient_check passes on `mlp` with `loss_fn`"):
        if mlp is None or loss_fn is None:
            raise CheckFailed("main() did not return (mlp, loss_fn) yet")
        diagnosis = run_student(_diagnose, mlp, loss_fn, X, Y)
        if diagnosis.difference >= 1e-7:
            raise CheckFailed(f"difference = {diagnosis.difference:.3g}; the suspects: "
                              f"{', '.join(diagnosis.suspects()) or 'see the report of gradient_check'}")
    return report.finish()
