"""What every assignment's grader-only spec shares: never shipped, never in a sandbox.

- `CLASS_CELLS`, `class_checks_table`: the TRUSTED table of a task that grades one class
  per answer cell (Tasks 1 and 2).
- The grader's own reference mathematics: the activations, the per-sample losses and their
  derivatives, and the forward and backward pass of a chain of Linear layers and
  activations (`reference_pass`), written here from the formulas, so that no expected
  value ever comes from the student's code.
- `compare_network`: the student's network (stand-ins for their objects) against that
  reference, each piece on the grader's own inputs.
- `reference_classes()`: the course's reference classes, cut from the Task 2 source
  notebook's answer cells (as Task 3's framework.py is), for the checks that must run the
  notebook's own helpers (e.g. the mystery networks) on correct classes.

The shared student-facing helpers (Report, expect_close, build_network, ...) live in
checks/scoring.py, which is shipped.
"""

import functools

import numpy as np

from scoring import CheckFailed, run_student, stable_sigmoid

# The graded classes of Tasks 1 and 2: answer cell -> class name, in notebook order.
CLASS_CELLS = {"linear": "Linear", "sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "ReLU",
               "mse_loss": "MSELoss", "bce_loss": "BCELoss", "model": "Model"}


def class_checks_table(checks, network_check):
    """The TRUSTED table of a task that grades CLASS_CELLS: `test_<cell>` runs `checks["check_<cell>"]`
    on that class alone; `test_model_network` runs `network_check` on all of them together."""
    table = {f"test_{cell}": (cell, checks[f"check_{cell}"], name) for cell, name in CLASS_CELLS.items()}
    table["test_model_network"] = (tuple(CLASS_CELLS), network_check, tuple(CLASS_CELLS.values()))
    return table


# ------------------------------------------------------------- reference mathematics
ACTIVATIONS = {
    "Sigmoid": stable_sigmoid,
    "Tanh": np.tanh,
    "ReLU": lambda z: np.maximum(z, 0.0),
}
# d activation / dz, from the input z and the output a.
DERIVATIVES = {
    "Sigmoid": lambda z, a: a * (1.0 - a),
    "Tanh": lambda z, a: 1.0 - a**2,
    "ReLU": lambda z, a: (z > 0).astype(float),
}
BCE_EPS = 1e-12
# The grader keeps BCE's predictions this far from 0 and 1, where every correct way of
# clipping (eps from 1e-15 to 1e-7, or eps in the denominator) gives the same numbers.
SAFE_P = 1e-4
# ReLU pre-activations are kept at least this far from the kink, where every correct
# subgradient agrees.
SAFE_Z = 1e-6


def loss_forward(kind, p, y):
    """The per-sample loss, shape (m, 1, 1): the mean over the n output features."""
    if kind == "MSE":
        return np.mean((p - y) ** 2, axis=1, keepdims=True)
    q = np.clip(p, BCE_EPS, 1 - BCE_EPS)
    return -np.mean(y * np.log(q) + (1 - y) * np.log(1 - q), axis=1, keepdims=True)


def loss_backward(kind, p, y):
    """d(per-sample loss) / dp for every sample, shape of p (no 1/m: that lives in Linear)."""
    n = p.shape[1]
    if kind == "MSE":
        return 2.0 * (p - y) / n
    q = np.clip(p, BCE_EPS, 1 - BCE_EPS)
    return (q - y) / (q * (1 - q)) / n


class Pass:
    """The reference forward and backward pass of one network on one batch."""

    def __init__(self, output, pre_activations, loss_gradient, gradients, input_gradient):
        self.output = output
        self.pre_activations = pre_activations  # {activation kind: [its inputs z]}
        self.loss_gradient = loss_gradient  # dL_i/dp_i, the argument of the model's backward
        self.gradients = gradients  # [(dW, db)] of every Linear, in order
        self.input_gradient = input_gradient  # dL_i/dx_i, what the model's backward returns


def reference_pass(plan, loss, X, Y):
    """Forward, then backward, of the network `plan` = [("Linear", W, b) | ("Sigmoid",) | ...].

    The batch cost is J = mean over the batch of the per-sample `loss` ("MSE" or "BCE"),
    so dW and db are averaged over the batch and the gradients between modules are per sample.
    """
    a, cache, seen = X, [], {}
    for step in plan:
        if step[0] == "Linear":
            _, W, b = step
            cache.append(a)
            a = W @ a + b
        else:
            z = a
            a = ACTIVATIONS[step[0]](z)
            cache.append((z, a))
            seen.setdefault(step[0], []).append(z)
    output = a
    grad = loss_backward(loss, output, Y)
    loss_gradient, gradients = grad, []
    m = X.shape[0]
    for step, cached in zip(reversed(plan), reversed(cache)):
        if step[0] == "Linear":
            _, W, _ = step
            a_prev = cached
            gradients.append((np.einsum("moi,mni->on", grad, a_prev) / m, grad.mean(axis=0)))
            grad = W.T @ grad
        else:
            z, a = cached
            grad = grad * DERIVATIVES[step[0]](z, a)
    return Pass(output, seen, loss_gradient, gradients[::-1], grad)


def plan_is_safe(plan, loss, X, Y):
    """No ReLU input at the kink and, for BCE, no prediction within SAFE_P of 0 or 1."""
    result = reference_pass(plan, loss, X, Y)
    if any(np.min(np.abs(z)) < SAFE_Z for z in result.pre_activations.get("ReLU", [])):
        return False
    return loss != "BCE" or bool(np.all((result.output > SAFE_P) & (result.output < 1 - SAFE_P)))


def random_plan(kinds, shapes, rng, loss, X, Y, scale=None, bias=0.1, tries=20):
    """A plan with the grader's own random W and b for Linear shapes `shapes` [(out, in)] and
    activations `kinds` (one per Linear; None for none), drawn from `rng` until it is safe
    (see `plan_is_safe`); each retry shrinks the weights a little."""
    shrink = 1.0
    for _ in range(tries):
        plan = []
        for (n_out, n_in), kind in zip(shapes, kinds):
            factor = (np.sqrt(1.0 / n_in) if scale == "xavier" else 1.0) * shrink
            plan.append(("Linear", rng.standard_normal((n_out, n_in)) * factor, rng.standard_normal((n_out, 1)) * bias))
            if kind is not None:
                plan.append((kind,))
        if plan_is_safe(plan, loss, X, Y):
            return plan
        shrink *= 0.8
    raise RuntimeError("the grader found no safe weights for its network")  # the grader's own failure


# ------------------------------------------------------------- comparing gradients
# The student's numbers must be the exact ones up to float64 rounding, measured against the size
# of the whole array (an entry's own relative error is meaningless where the entry is nearly 0).
# Correct float64 code of every formulation in the bank lands within 2e-11 of the reference, float32
# code about 1e-7 away: the tolerance sits between the two, so a network computed in float32 fails.
GRADIENT_RTOL = 1e-9  # relative to the norm of the exact array
GRADIENT_ATOL = 1e-13
FLOAT32_RANGE = (GRADIENT_RTOL, 1e-5)  # a relative error in here is float32 rounding, not a wrong formula


def relative_difference(a, b):
    """||a - b|| / (||a|| + ||b||), as gradient_check prints it (0.0 when both are zero)."""
    a, b = np.ravel(a), np.ravel(b)
    denominator = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denominator == 0 else float(np.linalg.norm(a - b) / denominator)


def gradients_agree(got, expected):
    """Whether `got` is `expected` up to rounding: same shape, and a difference within
    GRADIENT_RTOL of the exact array's norm plus GRADIENT_ATOL."""
    got = np.asarray(got, dtype=float)
    if got.shape != expected.shape or not np.all(np.isfinite(got)):
        return False
    return bool(np.linalg.norm(got - expected) <= GRADIENT_RTOL * np.linalg.norm(expected) + GRADIENT_ATOL)


def _gradient_hint(got, expected, m):
    """A word about a wrong array that is a known multiple of the right one, or float32 rounding of it."""
    for factor, text in ((m, "it looks summed over the batch instead of averaged (no 1/m)"),
                         (1.0 / m, "it looks divided by m once too often"),
                         (-1.0, "its sign is flipped"),
                         (0.0, "it is zero: was it computed at all?")):
        if gradients_agree(got, factor * expected):
            return f": {text}"
    error = np.linalg.norm(got - expected) / (np.linalg.norm(expected) or 1.0)
    if FLOAT32_RANGE[0] < error < FLOAT32_RANGE[1]:
        return (": that is the size of float32 rounding: does a module compute in float32 (astype, np.float32)? "
                "Keep every array float64")
    return ""


def expect_gradient(name, got, expected, m):
    """Raise CheckFailed unless the student's array `got` (a gradient, an output) agrees with the exact `expected`."""
    if got is None:
        raise CheckFailed(f"{name} is missing (None): did backward store it, did the method return it?")
    try:
        array = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise CheckFailed(f"{name} is a {type(got).__name__}, not an array of numbers") from None
    if array.shape != expected.shape:
        transposed = " (transposed)" if array.shape == expected.shape[::-1] else ""
        raise CheckFailed(f"{name} has shape {array.shape}{transposed}; expected {expected.shape}")
    if not gradients_agree(array, expected):
        raise CheckFailed(f"{name} differs from the exact value (relative difference "
                          f"{relative_difference(array, expected):.3g}){_gradient_hint(array, expected, m)}")


def _attribute(module, name):
    """module.name, or None when the module has no such attribute."""
    try:
        return getattr(module, name, None)
    except AttributeError:
        return None


def set_parameters(layers, plan):
    """Give the student's Linear layers [(name, module)] the W and b of the grader's `plan`."""
    weights = [step for step in plan if step[0] == "Linear"]
    for (name, layer), (_, W, b) in zip(layers, weights):
        try:
            layer.W, layer.b = W.copy(), b.copy()
        except CheckFailed as failure:
            raise CheckFailed(f"setting {name}.W and {name}.b {failure}") from None


def compare_network(model, loss_fn, layers, plan, loss, X, Y, output=None):
    """The student's network against the reference, one piece at a time, on the grader's inputs.

    `model` and `loss_fn` are the student's objects (or stand-ins for them); `layers` are the
    student's Linear layers [(name, module)] in order, already holding the W and b of the
    grader's `plan`. Checks model(X) against the reference output, loss_fn.backward on the
    reference prediction against the reference loss gradient, and, after model.backward of
    the reference loss gradient, every dW and db and what it returned (the gradient with respect
    to X) against the exact ones. Raises CheckFailed at the first disagreement. `output`:
    model(X), when the caller has already run it.
    """
    expected = reference_pass(plan, loss, X, Y)
    m = X.shape[0]
    if output is None:
        output = run_student(model, X.copy())
    expect_gradient("the network's output model(X)", output, expected.output, m)
    grad = run_student(loss_fn.backward, expected.output.copy(), Y.copy())
    expect_gradient("loss_fn.backward(model(X), Y)", grad, expected.loss_gradient, m)
    returned = run_student(model.backward, expected.loss_gradient.copy())
    for (name, layer), (dW, db) in zip(layers, expected.gradients):
        expect_gradient(f"{name}.dW", run_student(_attribute, layer, "dW"), dW, m)
        expect_gradient(f"{name}.db", run_student(_attribute, layer, "db"), db, m)
    expect_gradient("what model.backward returns (the gradient with respect to X)", returned,
                    expected.input_gradient, m)


# ------------------------------------------------------------- the reference classes
@functools.cache
def reference_classes():
    """{class name: class} of the course's reference framework (the Task 2 source notebook's answers)."""
    from ..course import generate_given_code

    code = generate_given_code("task2_backward", list(CLASS_CELLS))
    namespace = {"__name__": "reference_framework"}
    exec(compile(code, "<the reference classes of task2_backward>", "exec"), namespace)
    return {name: namespace[name] for name in CLASS_CELLS.values()}
