"""Checks of Task 4 (optimizers and initialization): one function per answer cell.

Each `check_*` function tests one answer alone, through its public API only, against
values computed here from the update rules the notebook derives (PyTorch's
`torch.optim.SGD` with momentum, `RMSprop` and `Adam`). Called without `points` it is
the student's self-check (prints the list of parts and records the result for the
notebook's last cell); with `points` it is the autograder (prints the same list and returns the
partial credit as a plain float).

Isolation, so that a bug costs points in its own cell only:
- the optimizer checks step stand-in modules (`_Layer`) that hold known W, b and, before
  every step, brand-new gradients dW, db (as backward leaves them); every expected
  parameter is computed here from those numbers, never read back from the student;
- the initialization checks measure the weights the student's function leaves in
  stand-in layers of fixed, large shapes: the tolerances are many standard errors wide,
  so a correct answer passes whatever its random numbers;
- `check_adam_spiral` trains a network of the given framework classes with the
  student's Adam and judges the trained parameters with its own forward pass.

Shapes follow the course: a batch is (m, n, 1); Linear's W is (out, in), b is (out, 1).

For the notebook: `explain_errors` keeps a demo cell that runs the student's optimizers or
initializations from stopping Run All (one line names the exercise to finish), `answer_of`
reads the prediction exercise's answer without raising while it is unwritten, and
`SELF_CHECKS` lists the self-checks the last cell sums up.
"""


import numpy as np

from scoring import CheckFailed, ExplainErrors, Report, expect_close, quiet, run_student, snapshot, stable_sigmoid
from utils import Module

_Module = Module

__all__ = [
    "SELF_CHECKS",
    "explain_errors",
    "answer_of",
    "check_momentum",
    "check_rmsprop",
    "check_adam",
    "check_adam_spiral",
    "check_xavier_init",
    "check_he_init",
    "check_predictions_format",
    "SPIRAL_BUDGET",
    "PREDICTION_KEYS",
]

# The budget `check_adam_spiral` gives the student's Adam (stated in the notebook).
SPIRAL_BUDGET = {
    "dataset": "spiral",
    "m": 300,
    "sizes": (2, 32, 32, 1),
    "lr": 0.01,
    "epochs": 60,
    "batch_size": 16,
    "target_accuracy": 0.95,
}

# The questions of the prediction exercise: key -> the kind of answer expected.
PREDICTION_KEYS = {
    "momentum_terminal_step": float,
    "rmsprop_first_step": float,
    "adam_first_step": float,
    "adam_first_step_uncorrected": float,
    "relu_xavier_trend": str,
}
TRENDS = ("grows", "shrinks", "stays")


# The titles of the notebook's self-checks, in notebook order (its last cell sums them up).
SELF_CHECKS = ("Momentum.step", "RMSProp.step", "Adam.step", "Adam on the spiral", "xavier_init", "he_init",
               "predictions (form only: the hidden test checks the values)")
# What the student writes, and where: a failing demo cell names the exercise to finish.
EXERCISES = {"Momentum": "Exercise 1", "RMSProp": "Exercise 2", "Adam": "Exercise 3", "xavier_init": "Exercise 4",
             "he_init": "Exercise 5", "my_predictions": "Exercise 6"}


def explain_errors(*uses):
    """`with explain_errors("Momentum", "he_init"):` around a demo cell that runs those answers."""
    return ExplainErrors(EXERCISES, uses)


def answer_of(function):
    """What `function()` returns, or None while it raises (e.g. NotImplementedError): the answer
    cell of the predictions calls it, so that the unwritten exercise does not stop Run All."""
    try:
        with quiet():
            return function()
    except Exception:  # the self-check below the cell says what is missing
        return None


def _rng(seed):
    return np.random.default_rng(seed)


# ------------------------------------------------------------- the update rules
DEFAULTS = {
    "momentum": {"beta": 0.9},
    "rmsprop": {"beta": 0.99, "eps": 1e-8},
    "adam": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
}
DEFAULT_LR = 1e-3  # Adam's; Momentum and RMSProp have no default learning rate


def simulate(kind, start, grads_per_step, lr, bug=None, **hyper):
    """The parameters after each step of optimizer `kind` ("momentum", "rmsprop", "adam").

    Args:
        start: {parameter name: array} before the first step, in parameters_of order.
        grads_per_step: [{parameter name: gradient}] for steps 1, 2, ...
        lr, hyper: the hyper-parameters (missing ones take their defaults).
        bug: None for the rule itself, or the name of a known mistake (see `_BUGS`),
            so that a check can tell a student which one their numbers show.

    Returns:
        [{parameter name: array}] after step 1, 2, ...
    """
    h = {**DEFAULTS[kind], **hyper}
    theta = {name: np.array(value, dtype=float) for name, value in start.items()}
    state = {}
    counter = 0  # parameter updates so far (for the "t per parameter" mistake)
    after = []
    for t, grads in enumerate(grads_per_step, start=1):
        for name, g in grads.items():
            counter += 1
            key = theta[name].shape if bug == "shared" else name
            s = state.setdefault(key, {"a": np.zeros_like(g), "b": np.zeros_like(g)})
            theta[name] = theta[name] - _update(kind, s, g, t, counter, lr, h, bug)
        after.append({name: value.copy() for name, value in theta.items()})
    return after


def _update(kind, s, g, t, counter, lr, h, bug):
    """The step -delta of one parameter; updates its state `s` (velocity or moments) in place."""
    if kind == "momentum":
        beta = h["beta"]
        old = s["a"]
        s["a"] = beta * old + ((1 - beta) * g if bug == "dampened" else g)
        if bug == "no_velocity":
            return lr * g
        if bug == "nesterov":
            return lr * (g + beta * s["a"])
        if bug == "order":
            return lr * old
        return lr * s["a"]
    if kind == "rmsprop":
        beta, eps = h["beta"], h["eps"]
        old = s["a"]
        if bug == "no_one_minus":
            s["a"] = beta * old + g**2
        elif bug == "swapped":
            s["a"] = (1 - beta) * old + beta * g**2
        elif bug == "no_memory":
            s["a"] = (1 - beta) * g**2
        else:
            s["a"] = beta * old + (1 - beta) * g**2
        square = old if bug == "order" else s["a"]
        if bug == "eps_inside":
            return lr * g / np.sqrt(square + eps)
        if bug == "no_sqrt":
            return lr * g / (square + eps)
        return lr * g / (np.sqrt(square) + eps)
    beta1, beta2, eps = h["beta1"], h["beta2"], h["eps"]
    if bug == "swapped":
        beta1, beta2 = beta2, beta1
    old_m, old_v = s["a"], s["b"]
    s["a"] = beta1 * old_m + (1 - beta1) * g
    s["b"] = beta2 * old_v + (1 - beta2) * g**2
    m, v = (old_m, old_v) if bug == "order" else (s["a"], s["b"])
    step = {"t_fixed": 1, "t_per_parameter": counter}.get(bug, t)
    if bug == "no_correction":
        m_hat, v_hat = m, v
    else:
        m_hat, v_hat = m / (1 - beta1**step), v / (1 - beta2**step)
    if bug == "corrected_stored":
        s["a"], s["b"] = m_hat, v_hat
    if bug == "eps_inside":
        return lr * m_hat / np.sqrt(v_hat + eps)
    return lr * m_hat / (np.sqrt(v_hat) + eps)


# What a mistake's numbers mean, told to the student when theirs match them.
_BUGS = {
    "momentum": {
        "no_velocity": "that is plain SGD (theta -= lr * g): keep a velocity v = beta * v + g per "
                       "parameter and step with it",
        "dampened": "you averaged v = beta * v + (1 - beta) * g; PyTorch's rule (the one asked for) adds "
                    "the gradient itself: v = beta * v + g",
        "nesterov": "that is Nesterov momentum (theta -= lr * (g + beta * v)); the plain rule steps with "
                    "theta -= lr * v",
        "order": "the step used the velocity of the previous step: update v first, then theta -= lr * v",
        "shared": "parameters of the same shape share one velocity: keep one state per parameter "
                  "(e.g. a dict keyed by the parameter's name, or one array per module and attribute)",
    },
    "rmsprop": {
        "eps_inside": "eps is inside the square root (sqrt(s + eps)); the rule adds it outside: "
                      "g / (sqrt(s) + eps)",
        "no_one_minus": "s = beta * s + g**2 is missing the factor (1 - beta) in front of g**2",
        "swapped": "beta and 1 - beta are swapped: s = beta * s + (1 - beta) * g**2",
        "no_sqrt": "the square root is missing: divide by sqrt(s) + eps",
        "no_memory": "s forgets its past (s = (1 - beta) * g**2 every step): keep s from step to step",
        "order": "the step used the s of the previous step: update s first, then divide by its root",
        "shared": "parameters of the same shape share one s: keep one state per parameter",
    },
    "adam": {
        "no_correction": "the bias correction is missing: divide m by 1 - beta1**t and v by 1 - beta2**t",
        "t_fixed": "the bias correction always uses t = 1: count the steps (t = 1, 2, 3, ...)",
        "t_per_parameter": "t grows with every parameter updated, not once per step(): "
                           "increment it once per call of step()",
        "eps_inside": "eps is inside the square root (sqrt(v_hat + eps)); the rule adds it outside: "
                      "m_hat / (sqrt(v_hat) + eps)",
        "swapped": "beta1 and beta2 are swapped: m (the mean of g) uses beta1, v (the mean of g**2) beta2",
        "corrected_stored": "m_hat and v_hat were stored back into m and v: keep the raw averages as the "
                            "state and correct a copy at every step",
        "order": "the step used m and v of the previous step: update them first, then step",
        "shared": "parameters of the same shape share one m and v: keep one state per parameter",
    },
}

_CLASS_NAMES = {"momentum": "Momentum", "rmsprop": "RMSProp", "adam": "Adam"}


# ------------------------------------------------------------------ stand-ins
class _Layer(Module):
    """A stand-in for Linear: it only holds W, b and the gradients dW, db."""

    def __init__(self, W, b, dW, db):
        super().__init__()
        self.W, self.b = W, b
        self.dW, self.db = dW, db


class _NoParameters(Module):
    """A stand-in for an activation: nothing to update."""

    def forward(self, input):
        return input


def _classes(helpers):
    helpers = helpers or {}
    return tuple(helpers.get(name, default) for name, default in
                 (("Module", _Module), ("_Layer", _Layer), ("_NoParameters", _NoParameters)))


def _stand_in_model(shapes, rng, helpers, bias=None):
    """A Module of _Layers with W ~ N(0, 1) of `shapes` [(out, in)] and activations between.

    Returns (model, {layer name: layer}, {parameter name: start value}).
    """
    Module, Layer, NoParameters = _classes(helpers)
    model, layers, start = Module(), {}, {}
    for i, (n_out, n_in) in enumerate(shapes, start=1):
        name = f"Dense_{i}"
        W = rng.standard_normal((n_out, n_in))
        b = rng.standard_normal((n_out, 1)) if bias is None else np.full((n_out, 1), float(bias))
        start[f"{name}.W"], start[f"{name}.b"] = W, b
        layers[name] = Layer(W.copy(), b.copy(), np.zeros_like(W), np.zeros_like(b))
        model.add_module(layers[name], name)
        if i < len(shapes):
            model.add_module(NoParameters(), f"ReLU_{i}")
    return model, layers, start


def _run_optimizer(Optimizer, kind, shapes, args, steps, rng, helpers, grad_scale=1.0):
    """Step the student's optimizer `steps` times on a stand-in model; what it left after each.

    Returns a dict: start, grads [{name: g}], got [{name: array}] (one per step that ran),
    args, error (None or the message of the first failure).
    """
    model, layers, start = _stand_in_model(shapes, rng, helpers)
    run = {"start": start, "grads": [], "got": [], "args": args, "error": None}
    label = f"{_CLASS_NAMES[kind]}(model{''.join(f', {a:g}' for a in args)})"
    try:
        optimizer = run_student(Optimizer, model, *args)
    except CheckFailed as failure:
        run["error"] = f"{label} {failure}"
        return run
    for t in range(1, steps + 1):
        grads = {name: rng.standard_normal(value.shape) * grad_scale for name, value in start.items()}
        run["grads"].append(grads)
        try:
            for name, layer in layers.items():
                layer.dW, layer.db = grads[f"{name}.W"].copy(), grads[f"{name}.b"].copy()
            run_student(optimizer.step)
            got = {}
            for name, layer in layers.items():
                got[f"{name}.W"] = snapshot(getattr(layer, "W", None))
                got[f"{name}.b"] = snapshot(getattr(layer, "b", None))
            run["got"].append(got)
        except CheckFailed as failure:
            run["error"] = f"step {t} of {label}: {failure}"
            return run
    return run


def _expect_steps(kind, run, first, last, hyper):
    """The student's parameters after steps first..last (1-based) against the rule; hints from `_BUGS`."""
    if run["error"] is not None and len(run["got"]) < last:
        raise CheckFailed(run["error"])
    lr = run["args"][0] if run["args"] else DEFAULT_LR
    expected = simulate(kind, run["start"], run["grads"], lr, **hyper)
    candidates = {bug: simulate(kind, run["start"], run["grads"], lr, bug=bug, **hyper) for bug in _BUGS[kind]}
    for t in range(first, last + 1):
        for name, want in expected[t - 1].items():
            got = run["got"][t - 1][name]
            unchanged = (run["start"][name], f"{name} did not move: step() must update every module that has W "
                         "and b, read module.dW / module.db at every step (backward stores new arrays each time), "
                         "and update the state before stepping with it")
            hints = [unchanged] + [(candidates[bug][t - 1][name], message) for bug, message in _BUGS[kind].items()]
            shape_hint = {run["start"][other].shape: "it has the shape of another parameter: parameters share "
                          "one state; keep one state per parameter" for other in run["start"] if other != name}
            expect_close(f"{name} after step {t}", got, want, hints, shape_hints=shape_hint,
                         rtol=1e-9, atol=1e-12)


def _shapes(rng, count=3):
    sizes = [int(rng.integers(2, 6)) for _ in range(count + 1)]
    return [(sizes[i + 1], sizes[i]) for i in range(count)]


def _check_optimizer(kind, points, cases):
    """The shared body of the three optimizer checks. `cases`: [(label, weight, run, first, last, hyper)]."""
    report = Report(f"{_CLASS_NAMES[kind]}.step", points)
    for label, weight, run, first, last, hyper in cases:
        with report.part(label, weight=weight):
            _expect_steps(kind, run, first, last, hyper)
    return report.finish()


# --------------------------------------------------------------------- Momentum
def check_momentum(Momentum, points=None, seed=0, helpers=None):
    """Momentum(model, lr, beta=0.9).step: v = beta * v + g, theta -= lr * v, per parameter.

    `helpers` ({"Module", "_Layer", "_NoParameters"}: classes) lets the grader build the
    stand-in model where the student's optimizer runs.
    """
    rng = _rng(seed)
    lr, beta = float(rng.choice([0.05, 0.1, 0.2])), float(rng.choice([0.5, 0.7, 0.8]))
    main = _run_optimizer(Momentum, "momentum", _shapes(rng), (lr, beta), 4, rng, helpers)
    n = int(rng.integers(2, 5))
    equal = _run_optimizer(Momentum, "momentum", [(n, n)] * 3, (lr, beta), 3, rng, helpers)
    default = _run_optimizer(Momentum, "momentum", _shapes(rng, 2), (lr,), 3, rng, helpers)
    return _check_optimizer("momentum", points, [
        ("first step: v = g, theta -= lr * v", 0.5, main, 1, 1, {"beta": beta}),
        (f"next steps: v = beta * v + g, theta -= lr * v (beta = {beta:g} as passed)", 1.5, main, 2, 4,
         {"beta": beta}),
        ("one velocity per parameter (three layers of the same shape)", 1, equal, 1, 3, {"beta": beta}),
        ("Momentum(model, lr) uses beta = 0.9", 0.5, default, 1, 3, {}),
    ])


# ---------------------------------------------------------------------- RMSProp
def check_rmsprop(RMSProp, points=None, seed=0, helpers=None):
    """RMSProp(model, lr, beta=0.99, eps=1e-8).step: s = beta s + (1 - beta) g^2, theta -= lr g / (sqrt(s) + eps)."""
    rng = _rng(seed)
    lr, beta = float(rng.choice([0.01, 0.02, 0.05])), float(rng.choice([0.8, 0.9, 0.95]))
    eps = 1e-8
    main = _run_optimizer(RMSProp, "rmsprop", _shapes(rng), (lr, beta, eps), 4, rng, helpers)
    # Gradients of about 1e-3 and eps = 1e-3: where eps sits (inside or outside the root) matters.
    tiny = _run_optimizer(RMSProp, "rmsprop", _shapes(rng, 2), (lr, beta, 1e-3), 3, rng, helpers, grad_scale=1e-3)
    n = int(rng.integers(2, 5))
    equal = _run_optimizer(RMSProp, "rmsprop", [(n, n)] * 3, (lr, beta, eps), 3, rng, helpers)
    default = _run_optimizer(RMSProp, "rmsprop", _shapes(rng, 2), (lr,), 3, rng, helpers)
    return _check_optimizer("rmsprop", points, [
        ("first step: s = (1 - beta) * g**2, theta -= lr * g / (sqrt(s) + eps)", 0.5, main, 1, 1,
         {"beta": beta, "eps": eps}),
        (f"next steps: s = beta * s + (1 - beta) * g**2 (beta = {beta:g} as passed)", 1, main, 2, 4,
         {"beta": beta, "eps": eps}),
        ("eps as passed, added outside the square root (gradients of about 1e-3, eps = 1e-3)", 0.5, tiny, 1, 3,
         {"beta": beta, "eps": 1e-3}),
        ("one s per parameter (three layers of the same shape)", 0.5, equal, 1, 3, {"beta": beta, "eps": eps}),
        ("RMSProp(model, lr) uses beta = 0.99, eps = 1e-8", 0.5, default, 1, 3, {}),
    ])


# ------------------------------------------------------------------------- Adam
def check_adam(Adam, points=None, seed=0, helpers=None):
    """Adam(model, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8).step with bias correction, per parameter."""
    rng = _rng(seed)
    lr = float(rng.choice([0.01, 0.02, 0.05]))
    beta1, beta2 = float(rng.choice([0.8, 0.85])), float(rng.choice([0.95, 0.99]))
    eps = 1e-8
    hyper = {"beta1": beta1, "beta2": beta2, "eps": eps}
    main = _run_optimizer(Adam, "adam", _shapes(rng), (lr, beta1, beta2, eps), 5, rng, helpers)
    tiny = _run_optimizer(Adam, "adam", _shapes(rng, 2), (lr, beta1, beta2, 1e-3), 3, rng, helpers, grad_scale=1e-3)
    n = int(rng.integers(2, 5))
    equal = _run_optimizer(Adam, "adam", [(n, n)] * 3, (lr, beta1, beta2, eps), 3, rng, helpers)
    default = _run_optimizer(Adam, "adam", _shapes(rng, 2), (), 3, rng, helpers)
    return _check_optimizer("adam", points, [
        ("first step (t = 1): bias-corrected m_hat = g, v_hat = g**2, a step of lr * g / (|g| + eps)", 0.5, main,
         1, 1, hyper),
        (f"next steps (t = 2, 3, ...): m, v averaged with beta1 = {beta1:g}, beta2 = {beta2:g} as passed, "
         "bias-corrected with the step count t", 1.5, main, 2, 5, hyper),
        ("eps as passed, added outside the square root (gradients of about 1e-3, eps = 1e-3)", 0.5, tiny, 1, 3,
         {**hyper, "eps": 1e-3}),
        ("one m and one v per parameter (three layers of the same shape)", 0.5, equal, 1, 3, hyper),
        ("Adam(model) uses lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8", 0.5, default, 1, 3, {}),
    ])


# --------------------------------------------------------------- initialization
# Fixed, large layer shapes (out, in): 30 000 or more weights each, so the measured std is
# within 0.5 % (one standard error) of the true one; fan_in and fan_out differ 3:1 both ways.
INIT_SHAPES = ((300, 100), (100, 300), (200, 200))
STD_TOLERANCE = 0.05  # relative: more than 10 standard errors of the measured std
KURTOSIS_TOLERANCE = 0.4  # |excess kurtosis|: normal 0 (standard error 0.03), uniform -1.2


def _std_candidates(fan_in, fan_out):
    """(std, what it means) for common ways of getting an initialization wrong."""
    return [
        (np.sqrt(2.0 / (fan_in + fan_out)), "Xavier's std sqrt(2 / (fan_in + fan_out))"),
        (np.sqrt(1.0 / fan_in), "sqrt(1 / fan_in), with fan_in only (the LeCun simplification)"),
        (np.sqrt(2.0 / fan_in), "He's std sqrt(2 / fan_in)"),
        (np.sqrt(1.0 / fan_out), "sqrt(1 / fan_out): fan_in is W.shape[1] (W is (out, in))"),
        (np.sqrt(2.0 / fan_out), "sqrt(2 / fan_out): fan_in is W.shape[1] (W is (out, in)), not W.shape[0]"),
        (np.sqrt(1.0 / (fan_in + fan_out)), "sqrt(1 / (fan_in + fan_out)): the 2 is missing"),
        (2.0 / (fan_in + fan_out), "2 / (fan_in + fan_out): that is the variance; the std is its square root"),
        (2.0 / fan_in, "2 / fan_in: that is the variance; the std is its square root"),
        (1.0 / fan_in, "1 / fan_in: that is a variance; the std is its square root"),
        (1.0, "1: the weights were not rescaled"),
    ]


def _check_init(init, name, std_of, rule, points, seed, helpers):
    rng = _rng(seed)
    report = Report(name, points)
    model, layers, _ = _stand_in_model(INIT_SHAPES, rng, helpers, bias=1.0)
    after, error = {}, None
    try:
        run_student(init, model)
        for layer_name, layer in layers.items():
            after[layer_name] = (snapshot(getattr(layer, "W", None)), snapshot(getattr(layer, "b", None)))
    except CheckFailed as failure:
        error = f"{name}(model) {failure}"

    def each_layer():
        if error is not None:
            raise CheckFailed(error)
        for (layer_name, (W, b)), shape in zip(after.items(), INIT_SHAPES):
            yield layer_name, W, b, shape

    with report.part(f"every layer's W: mean 0, std {rule} (fan_in = W.shape[1], fan_out = W.shape[0])", weight=2):
        for layer_name, W, _, (n_out, n_in) in each_layer():
            W = _weights(f"{layer_name}.W", W, (n_out, n_in))
            want = std_of(n_in, n_out)
            measured = float(W.std())
            if abs(measured / want - 1) <= STD_TOLERANCE:
                if abs(W.mean()) > 8 * want / np.sqrt(W.size):  # 8 standard errors of the mean
                    raise CheckFailed(f"{layer_name}.W has mean {W.mean():.3g}; the weights must be centred on 0")
                continue
            message = (f"{layer_name}.W (shape {(n_out, n_in)}: fan_in {n_in}, fan_out {n_out}) has std "
                       f"{measured:.4g}; expected {want:.4g}")
            for candidate, meaning in _std_candidates(n_in, n_out):
                if abs(measured / candidate - 1) <= STD_TOLERANCE:
                    message += f" — that is {meaning}"
                    break
            raise CheckFailed(message)

    with report.part("normal weights (np.random.randn), not uniform", weight=0.5):
        for layer_name, W, _, shape in each_layer():
            W = _weights(f"{layer_name}.W", W, shape)
            z = (W - W.mean()) / W.std()
            excess = float(np.mean(z**4) - 3)
            if abs(excess) > KURTOSIS_TOLERANCE:
                shape_of = "uniform (np.random.rand or uniform)" if excess < -0.8 else "not normal"
                raise CheckFailed(f"{layer_name}.W looks {shape_of} (excess kurtosis {excess:.2f}; a normal "
                                  "distribution has 0): draw with np.random.randn(fan_out, fan_in) * std")

    with report.part("every b set to zeros of shape (out, 1)", weight=0.5):
        for layer_name, _, b, (n_out, _) in each_layer():
            expect_close(f"{layer_name}.b", b, np.zeros((n_out, 1)),
                         [(np.ones((n_out, 1)), "the biases were left as they were: set them to zero")],
                         shape_hints={(n_out,): "b must stay a column of shape (out, 1): np.zeros((out, 1))"})
    return report.finish()


def _weights(name, W, shape):
    if W is None or not hasattr(W, "shape"):
        raise CheckFailed(f"{name} is not an array")
    if W.shape != tuple(shape):
        raise CheckFailed(f"{name} has shape {W.shape}; expected {tuple(shape)} (W is (fan_out, fan_in))")
    if not np.all(np.isfinite(W)):
        raise CheckFailed(f"{name} contains NaN or inf")
    return W


def check_xavier_init(xavier_init, points=None, seed=0, helpers=None):
    """xavier_init(model): every W ~ N(0, 2 / (fan_in + fan_out)), every b = 0."""
    return _check_init(xavier_init, "xavier_init", lambda n_in, n_out: np.sqrt(2.0 / (n_in + n_out)),
                       "sqrt(2 / (fan_in + fan_out))", points, seed, helpers)


def check_he_init(he_init, points=None, seed=0, helpers=None):
    """he_init(model): every W ~ N(0, 2 / fan_in), every b = 0."""
    return _check_init(he_init, "he_init", lambda n_in, n_out: np.sqrt(2.0 / n_in), "sqrt(2 / fan_in)",
                       points, seed, helpers)


# ------------------------------------------------------------ Adam on the spiral
class _Fit:
    """Mini-batch training of `model` with `optimizer` (runs where the model lives).

    Each epoch visits the samples in the order of default_rng(seed + epoch).permutation:
    forward, loss gradient, backward, step, for every batch.
    """

    def __init__(self, model, loss_fn, optimizer, X, Y, epochs, batch_size, seed):
        for epoch in range(int(epochs)):
            order = np.random.default_rng(int(seed) + epoch).permutation(len(X))
            for start in range(0, len(X), int(batch_size)):
                index = order[start:start + int(batch_size)]
                Y_hat = model(X[index])
                model.backward(loss_fn.backward(Y_hat, Y[index]))
                optimizer.step()


def _spiral_network(rng, classes):
    """A ReLU network with a Sigmoid output, He-initialized from `rng`, built from `classes`."""
    Linear, ReLU, Sigmoid, Model = classes
    model, sizes = Model(), SPIRAL_BUDGET["sizes"]
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        layer = Linear(n_in, n_out)
        W, b = rng.standard_normal((n_out, n_in)) * np.sqrt(2.0 / n_in), np.zeros((n_out, 1))
        layer.W, layer.b = W, b
        model.add_module(layer, f"Dense_{i}")
        last = i == len(sizes) - 1
        model.add_module(Sigmoid() if last else ReLU(), "Sigmoid" if last else f"ReLU_{i}")
    return model


def _forward(params, X):
    """The trained network's output, computed here: [(W, b)] of ReLU layers and a sigmoid output."""
    a = X
    for i, (W, b) in enumerate(params):
        z = W @ a + b
        a = np.maximum(z, 0.0) if i < len(params) - 1 else stable_sigmoid(z)
    return a


def check_adam_spiral(Adam, points=None, seed=0, helpers=None):
    """Adam trains the spiral: >= 95 % training accuracy within SPIRAL_BUDGET.

    `helpers` (the framework's Linear, ReLU, Sigmoid, BCELoss, Model and `_Fit`, by name)
    lets the grader build the network and run the loop where the student's Adam runs; the
    trained parameters are evaluated here.
    """
    from dataset import load_dataset

    report = Report("Adam on the spiral", points)
    budget = SPIRAL_BUDGET
    with report.part(f"trains a {'-'.join(map(str, budget['sizes']))} ReLU network on the spiral "
                     f"(m = {budget['m']}) to >= {budget['target_accuracy']:.0%} training accuracy: "
                     f"Adam(model, {budget['lr']}), {budget['epochs']} epochs, batches of {budget['batch_size']}",
                     weight=1):
        if helpers:
            classes = tuple(helpers[name] for name in ("Linear", "ReLU", "Sigmoid", "Model"))
            loss_fn, Fit = helpers["BCELoss"](), helpers["_Fit"]
        else:
            from framework import BCELoss, Linear, Model, ReLU, Sigmoid

            classes, loss_fn, Fit = (Linear, ReLU, Sigmoid, Model), BCELoss(), _Fit
        X, Y = load_dataset(budget["dataset"], m=budget["m"], seed=0)
        model = _spiral_network(_rng(seed), classes)
        optimizer = run_student(Adam, model, budget["lr"])
        run_student(Fit, model, loss_fn, optimizer, X.copy(), Y.copy(), budget["epochs"], budget["batch_size"],
                    seed)
        params = [(snapshot(run_student(getattr, module, "W")), snapshot(run_student(getattr, module, "b")))
                  for name, module in run_student(lambda: list(model.modules.items())) if name.startswith("Dense")]
        for (W, b), (n_in, n_out) in zip(params, zip(budget["sizes"][:-1], budget["sizes"][1:])):
            _weights("W", W, (n_out, n_in))
            _weights("b", b, (n_out, 1))
        Y_hat = _forward(params, X)
        reached = float(np.mean((Y_hat > 0.5) == (Y > 0.5)))
        if reached < budget["target_accuracy"]:
            raise CheckFailed(f"training accuracy {reached:.1%} after training; expected at least "
                              f"{budget['target_accuracy']:.0%} (does step() move every layer the way the "
                              "self-check of Adam expects?)")
    return report.finish()


# ------------------------------------------------------------------ predictions
def check_predictions_format(predictions):
    """Only the form of `predictions` (the grader compares the values with its own measurements)."""
    report = Report("predictions (form only: the hidden test checks the values)")
    with report.part("a dict with the keys " + ", ".join(PREDICTION_KEYS)):
        if predictions is None:
            raise CheckFailed("predictions is None: my_predictions() is not written yet, or it raised an error "
                              "(run my_predictions() in a cell of its own to see which)")
        if not isinstance(predictions, dict):
            raise CheckFailed(f"predictions is a {type(predictions).__name__}; expected a dict")
        missing = [key for key in PREDICTION_KEYS if key not in predictions]
        if missing:
            raise CheckFailed(f"missing keys: {missing}")
    with report.part("numbers where numbers are asked, one of " + "/".join(TRENDS) + " for the trend"):
        if not isinstance(predictions, dict):
            raise CheckFailed("no dictionary to check yet")
        for key, kind in PREDICTION_KEYS.items():
            value = predictions.get(key) if isinstance(predictions, dict) else None
            if kind is float and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not np.isfinite(value)):
                raise CheckFailed(f"predictions[{key!r}] must be a number, not {value!r}")
            if kind is str and value not in TRENDS:
                raise CheckFailed(f"predictions[{key!r}] must be one of {TRENDS}, not {value!r}")
    return report.finish()
