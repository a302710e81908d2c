"""Checks of Task 2 (the backward pass): one function per class the student writes.

Each `check_*` function tests one class alone, through its public API only
(`W`, `b`, `dW`, `db`, `forward`, `backward`, calling it), against closed-form
gradients computed here. Called without `points` it is the student's
self-check (prints the list of parts and raises AssertionError when one fails);
with `points` it is the autograder (prints the same list and returns the partial
credit as a plain float). A bug in one class therefore costs points in that
class's cell only; `check_network` and `check_main` test whole networks.

Shapes follow the course: a batch is (m, n, 1); Linear's W is (out, in).
"""

from types import SimpleNamespace

import numpy as np

from scoring import (
    CheckFailed,
    Report,
    build_network,
    class_checks_table,
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
    "check_network",
    "check_main",
    "mystery_networks",
    "check_suspects",
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


# ---------------------------------------------------------------- whole networks
def _network_gradient_difference(model, loss_fn, X, Y, layers, epsilon=1e-6):
    """gradient_check's relative difference over `layers`, through the public API only.

    Reads W, b, dW, db and calls forward/backward, so it works the same on the
    student's objects in the notebook and on the grader's stand-ins for them.
    """
    prediction = model.forward(X)
    model.backward(loss_fn.backward(prediction, Y))
    analytic, numeric = [], []
    for layer in layers:
        for attr in ("W", "b"):
            value = np.array(getattr(layer, attr), dtype=float)
            grad = getattr(layer, "d" + attr, None)
            if grad is None or np.shape(grad) != value.shape:
                grad = np.zeros_like(value)  # missing or misshapen: counts as wrong
            shifted = []  # value + eps and value - eps at every entry, in that order
            for index in np.ndindex(value.shape):
                for sign in (1.0, -1.0):
                    copy = value.copy()
                    copy[index] += sign * epsilon
                    shifted.append(copy)
            # The grader's stand-in for a model evaluates all of them in one round trip.
            many = getattr(model, "__course_losses__", None)
            if many is not None:
                losses = many(loss_fn, X, Y, layer, attr, shifted)
            else:
                losses = []
                for copy in shifted:
                    setattr(layer, attr, copy)
                    losses.append(loss_fn.forward(model.forward(X), Y))
            setattr(layer, attr, value)
            means = np.array([float(np.mean(loss)) for loss in losses]).reshape(-1, 2)
            estimate = ((means[:, 0] - means[:, 1]) / (2 * epsilon)).reshape(value.shape)
            analytic.append(np.asarray(grad, dtype=float).ravel())
            numeric.append(estimate.ravel())
    a, n = np.concatenate(analytic), np.concatenate(numeric)
    denominator = np.linalg.norm(a) + np.linalg.norm(n)
    return 0.0 if denominator == 0 else float(np.linalg.norm(a - n) / denominator)


def check_network(classes, points=None, seed=0):
    """Whole networks built from the student's classes pass gradient_check.

    Args:
        classes: dict with the student's Linear, Sigmoid, Tanh, ReLU, MSELoss,
            BCELoss and Model (e.g. `globals()`).
    """
    from dataset import dataset_circles

    rng = _rng(seed)
    report = Report("Whole network: gradient check", points)
    C = classes
    X, Y = dataset_circles(m=32, radius=0.7, noise=0.0, seed=seed)

    layers = []  # the Linear layers of the network being built, for the gradient check

    def linear(n_in, n_out):
        layer = C["Linear"](n_in, n_out)
        layer.W = rng.standard_normal((n_out, n_in))
        layer.b = rng.standard_normal((n_out, 1)) * 0.1
        layers.append(layer)
        return layer

    networks = [
        ("2-3-4-5-1, Tanh, Sigmoid, BCE", lambda: (build_network(C["Model"], [
            ("Dense_1", linear(2, 3)), ("Tanh_1", C["Tanh"]()),
            ("Dense_2", linear(3, 4)), ("Tanh_2", C["Tanh"]()),
            ("Dense_3", linear(4, 5)), ("Tanh_3", C["Tanh"]()),
            ("Dense_4_out", linear(5, 1)), ("Sigmoid", C["Sigmoid"]())]), C["BCELoss"](), X, Y)),
        ("2-8-8-1, ReLU, Sigmoid, MSE", lambda: (build_network(C["Model"], [
            ("Dense_1", linear(2, 8)), ("ReLU_1", C["ReLU"]()),
            ("Dense_2", linear(8, 8)), ("ReLU_2", C["ReLU"]()),
            ("Dense_3_out", linear(8, 1)), ("Sigmoid", C["Sigmoid"]())]), C["MSELoss"](), X, Y)),
        ("3-5-2, Sigmoid hidden layer, two outputs, MSE", lambda: (build_network(C["Model"], [
            ("Dense_1", linear(3, 5)), ("Sigmoid_1", C["Sigmoid"]()),
            ("Dense_2_out", linear(5, 2))]), C["MSELoss"](),
            rng.standard_normal((6, 3, 1)), rng.standard_normal((6, 2, 1)))),
    ]
    for label, build in networks:
        with report.part(label, weight=1):
            del layers[:]
            model, loss_fn, inputs, targets = run_student(build)
            difference = run_student(_network_gradient_difference, model, loss_fn, inputs, targets, list(layers))
            if not difference < 1e-6:
                raise CheckFailed(f"gradient_check difference = {difference:.3g} (must be < 1e-6)")
    return report.finish()


def _linear_layers(model):
    """The modules of `model` that have an array W, in order."""
    return [module for module in dict(model.modules).values() if isinstance(getattr(module, "W", None), np.ndarray)]


def check_main(namespace, points=None):
    """The main processing cell: `mlp` with at least 3 hidden layers, `loss_fn`, a gradient check."""
    report = Report("Main processing cell", points)
    mlp, loss_fn = namespace.get("mlp"), namespace.get("loss_fn")
    no_model = None if mlp is not None and hasattr(mlp, "modules") else "define `mlp` as a Model built with add_module"
    with report.part("`mlp` is a Model with at least 3 hidden layers", weight=1):
        if no_model:
            raise CheckFailed(no_model)
        n_linear = len(run_student(_linear_layers, mlp))
        if n_linear < 4:
            raise CheckFailed(f"`mlp` has {n_linear} Linear layers; 3 hidden layers need at least 4")
    with report.part("`mlp` maps circles (m, 2, 1) to probabilities (m, 1, 1)", weight=1):
        from dataset import dataset_circles

        X, Y = dataset_circles(m=64, radius=0.7, noise=0.0, seed=1)
        if no_model:
            raise CheckFailed(no_model)
        out = run_student(mlp, X)
        if np.shape(out) != (64, 1, 1):
            raise CheckFailed(f"mlp(X) has shape {np.shape(out)}; expected (64, 1, 1)")
    with report.part("gradient_check(mlp, loss_fn, X, Y) < 1e-6", weight=1):
        if no_model:
            raise CheckFailed(no_model)
        if loss_fn is None:
            raise CheckFailed("define `loss_fn` (e.g. BCELoss())")
        layers = run_student(_linear_layers, mlp)
        difference = run_student(_network_gradient_difference, mlp, loss_fn, X, Y, layers)
        if not difference < 1e-6:
            raise CheckFailed(f"gradient_check difference = {difference:.3g} (must be < 1e-6)")
    return report.finish()


# ------------------------------------------------------------ planted-bug hunt
# Which parameter's gradient is wrong in each mystery network, and how.
_PLANTED = {"A": ("Dense_2", "dW", lambda g, m: g * m), "B": ("Dense_3_out", "db", lambda g, m: -g)}


def mystery_networks(Linear, ReLU, Sigmoid, BCELoss, Model, seed=0):
    """Two networks, each with one planted gradient bug, for the student to find.

    Returns:
        dict name -> (model, loss_fn, X, Y) to pass to `gradient_check`.
    """
    from dataset import dataset_circles

    rng = _rng(seed)
    X, Y = dataset_circles(m=16, radius=0.7, noise=0.0, seed=seed)
    networks = {}
    for key, (bad_layer, bad_grad, corrupt) in _PLANTED.items():
        layers = []
        sizes = [2, 4, 3, 1]
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
            name = f"Dense_{i}" if i < len(sizes) - 1 else f"Dense_{i}_out"
            cls = Linear
            if name == bad_layer:
                cls = _planted_class(Linear, bad_grad, corrupt)
            layer = cls(n_in, n_out)
            layer.W = rng.standard_normal((n_out, n_in))
            layers.append((name, layer))
            layers.append((f"ReLU_{i}" if i < len(sizes) - 1 else "Sigmoid",
                           ReLU() if i < len(sizes) - 1 else Sigmoid()))
        networks[key] = (build_network(Model, layers), BCELoss(), X, Y)
    return networks


def _planted_class(Linear, attribute, corrupt):
    class Linear(Linear):  # same name, so that printing the model gives nothing away
        def backward(self, dz):
            result = super().backward(dz)
            setattr(self, attribute, corrupt(getattr(self, attribute), dz.shape[0]))
            return result

    return Linear


def check_suspects(suspects, points=None):
    """`suspects` maps each mystery network to the parameter with the wrong gradient."""
    report = Report("Planted-bug hunt", points)
    if not isinstance(suspects, dict):
        suspects = {}
    for key, (layer, grad, _) in _PLANTED.items():
        with report.part(f"network {key}", weight=1):
            answer = suspects.get(key)
            expected = f"{layer}.{grad[1:]}"
            if not isinstance(answer, str) or not answer.strip():
                raise CheckFailed(f"give the parameter's name as a string, e.g. suspects['{key}'] = 'Dense_1.b'")
            if answer.strip() != expected:
                raise CheckFailed(f"{answer!r} is not the parameter whose gradient is wrong")
    return report.finish()


# The checks the grader also runs itself, against the answer cells alone in their own
# sandbox (autograder/trusted.py): test cell -> (answer cell(s), check, class name(s)).
# Whole networks (test_model_network): every answer cell together, the classes passed as a dict.
TRUSTED = class_checks_table(globals(), check_network)
# Answers that are plain data, read from the notebook after it ran and checked by the grader
# itself: test cell -> (notebook variable, check, answer cell).
TRUSTED_VALUES = {"test_find_bug": ("suspects", check_suspects, "find_bug")}
# Checks of objects the notebook made, run by the grader against stand-ins for them after the
# notebook ran: test cell -> (notebook variables, check).
TRUSTED_NAMESPACE = {"test_model_main": (("mlp", "loss_fn"), check_main)}
