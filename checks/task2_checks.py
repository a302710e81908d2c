"""Checks of Task 2 (the backward pass): one function per class the student writes.

Each `check_*` function tests one class alone, through its public API only
(`W`, `b`, `dW`, `db`, `forward`, `backward`, calling it), against closed-form
gradients computed here. Called without `points` it is the student's
self-check (prints the list of parts and records the result for the notebook's last cell);
with `points` it is the autograder (prints the same list and returns the partial
credit as a plain float). A bug in one class therefore costs points in that
class's cell only. `mystery_networks` builds the two networks of the planted-bug hunt.

The whole-network checks and the check of `suspects` are the grader's own (they are not
in this file): they compare your gradients with exact ones it computes itself.

Shapes follow the course: a batch is (m, n, 1); Linear's W is (out, in).
"""

from types import SimpleNamespace

import numpy as np

from scoring import (
    CheckFailed,
    Report,
    build_network,
    expect_close,
    quiet,
    run_student,
    snapshot,
    stable_sigmoid,
    successful,
)
from utils import Module

__all__ = [
    "check_linear",
    "check_sigmoid",
    "check_tanh",
    "check_relu",
    "check_mse_loss",
    "check_bce_loss",
    "check_model",
    "mystery_networks",
]


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
            ]
            if r.previous_dW is not None:
                hints.append((expected + r.previous_dW,
                              "dW accumulates across calls (+=): backward must overwrite dW"))
            shape_hints = {
                (n_in, n_out): "dW must have W's shape (out, in): dz @ a_prev.T, not a_prev @ dz.T",
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


def check_sigmoid(Sigmoid, points=None, seed=0):
    """Sigmoid.backward returns da * a * (1 - a) with a = sigmoid(z)."""
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
    return report.finish()


def check_tanh(Tanh, points=None, seed=0):
    """Tanh.backward returns da * (1 - a**2) with a = tanh(z)."""
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
            ]
            expect_close("the returned gradient", result, da * (1 - a**2), hints)
    return report.finish()


def check_relu(ReLU, points=None, seed=0):
    """ReLU.backward returns da where z > 0 and 0 where z < 0 (anything in [0, da] at z = 0)."""
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
    """Model.backward visits the modules last to first, chaining each returned gradient."""
    rng = _rng(seed)
    report = Report("Model.backward", points)
    log = []
    names = ["first", "second", "third", "fourth"]
    factors = [2.0, -3.0, 0.5, 5.0]
    grad = rng.standard_normal((3, 2, 1))
    error = None
    try:
        model = run_student(Model)
        recorders = [_Recorder(n, f, log) for n, f in zip(names, factors)]
        for recorder in recorders:
            model.add_module(recorder, recorder.name)
        run_student(model.forward, rng.standard_normal((3, 2, 1)))
        del log[:]
        run_student(model.backward, grad.copy())
    except CheckFailed as failure:
        error = str(failure)

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
    return report.finish()


# ------------------------------------------------------------ planted-bug hunt
# How one gradient of a mystery network is spoiled: the factor it is multiplied by, for a
# batch of m samples (summed instead of averaged, the sign flipped, divided by m twice,
# never computed). Which gradient of which layer, and how, is drawn from the seed.
_FACTORS = (lambda m: float(m), lambda m: -1.0, lambda m: 1.0 / m, lambda m: 0.0)


def mystery_networks(Linear, ReLU, Sigmoid, BCELoss, Model, seed=0):
    """Two networks, each with one planted gradient bug, for the student to find.

    Both are 2-4-3-1 networks of your classes (ReLU hidden layers, a sigmoid output, BCE).
    Every Linear layer of a network is the same copy of your Linear; in each network, one
    gradient of one layer comes out wrong. Only a gradient check tells which.

    Returns:
        dict name -> (model, loss_fn, X, Y) to pass to `gradient_check`.
    """
    from dataset import dataset_circles

    rng = _rng(seed)
    X, Y = dataset_circles(m=16, radius=0.7, noise=0.0, seed=seed)
    sizes = [2, 4, 3, 1]
    shapes = [(n_out, n_in) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    places = [(shape, gradient) for shape in shapes for gradient in ("dW", "db")]
    networks = {}
    for key, place in zip("AB", rng.choice(len(places), size=2, replace=False)):
        shape, gradient = places[int(place)]
        Layer = _mystery_linear(Linear, shape, gradient, _FACTORS[int(rng.integers(len(_FACTORS)))])
        layers = []
        for i, ((n_out, n_in), (W, b)) in enumerate(zip(shapes, _lively_weights(rng, shapes, X)), start=1):
            last = i == len(shapes)
            layer = Layer(n_in, n_out)
            layer.W, layer.b = W, b
            layers.append((f"Dense_{i}_out" if last else f"Dense_{i}", layer))
            layers.append(("Sigmoid", Sigmoid()) if last else (f"ReLU_{i}", ReLU()))
        networks[key] = (build_network(Model, layers), BCELoss(), X, Y)
    return networks


def _lively_weights(rng, shapes, X):
    """[(W, b)] of a ReLU network in which every hidden unit is active on some sample of X (no
    dead unit, so that every gradient is non-zero and a spoiled one always shows)."""
    while True:
        weights, a, lively = [], X, True
        for i, (n_out, n_in) in enumerate(shapes):
            W, b = rng.standard_normal((n_out, n_in)), rng.standard_normal((n_out, 1)) * 0.5
            weights.append((W, b))
            z = W @ a + b
            if i < len(shapes) - 1:
                lively = lively and bool(np.all(np.any(z > 0, axis=0)))
                a = np.maximum(z, 0)
        if lively:
            return weights


def _mystery_linear(Linear, shape, gradient, factor):
    """Your Linear, except that backward scales `gradient` of the layer whose W has `shape`.

    Every layer of a mystery network is an instance of the one class this returns, which
    looks like your Linear (same name, same attributes), so that printing the model or its
    layers gives nothing away.
    """

    class Layer(Linear):
        def backward(self, dz):
            result = super().backward(dz)
            value = getattr(self, gradient, None)
            if np.shape(getattr(self, "W", None)) == shape and isinstance(value, np.ndarray):
                setattr(self, gradient, value * factor(np.shape(dz)[0]))
            return result

    for attribute in ("__name__", "__qualname__", "__module__", "__doc__"):
        try:
            setattr(Layer, attribute, getattr(Linear, attribute))
        except (AttributeError, TypeError):
            pass
    return Layer
