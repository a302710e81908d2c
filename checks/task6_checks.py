"""Checks of Task 6 (softmax and cross-entropy on handwritten digits): one function per answer cell.

Each `check_*` function tests one answer alone, through its public API only, against
values computed here from the formulas of the lesson. Called without `points` it is the
student's self-check (prints the list of parts and records the result for the notebook's
last cell); with `points` it is the autograder (prints the same list and returns the
partial credit as a plain float).

- `check_softmax`, `check_cross_entropy`, `check_softmax_cross_entropy`: the module on the
  check's own logits, probabilities and one-hot targets, including logits in the
  thousands and probabilities of exactly 0; Softmax also inside a Linear -> Softmax
  network of the given framework classes, whose exact gradients are computed here.
- `check_one_hot`, `check_predict`: the function on the check's own labels and outputs.
- `check_digits_network`: the trained network of the notebook, evaluated HERE with its own
  forward pass on the test split: nothing the network's process reports is used.

`explain_errors` keeps the notebook's experiments from stopping Run All while an exercise is unfinished.
Shapes follow the course: a batch is (m, k, 1); per-sample losses are (m, 1, 1).
"""


import numpy as np

from scoring import CheckFailed, ExplainErrors, Report, build_network, expect_array, expect_close, run_student, snapshot

__all__ = [
    "check_softmax",
    "check_cross_entropy",
    "check_softmax_cross_entropy",
    "check_one_hot",
    "check_predict",
    "check_digits_network",
    "explain_errors",
    "DIGITS_TARGET",
    "SELF_CHECKS",
]

# The Report titles of the notebook's self-checks, in notebook order (its last cell sums them up).
SELF_CHECKS = ("Softmax", "CrossEntropyLoss", "SoftmaxCrossEntropy", "one_hot", "predict",
               "The trained network on the test split")
DIGITS_TARGET = 0.95  # the test accuracy `check_digits_network` asks for
# What the student writes, and where: a failing experiment names the exercise to finish.
EXERCISES = {"Softmax": "Exercise 1", "CrossEntropyLoss": "Exercise 2", "SoftmaxCrossEntropy": "Exercise 3",
             "one_hot": "Exercise 4", "predict": "Exercise 5"}
SAFE_RTOL = 1e-4  # where p >= 0.01, every correct way of keeping log(0) away (eps <= 1e-7) agrees this well


def _rng(seed):
    return np.random.default_rng(seed)


# ------------------------------------------------------------- the reference mathematics
def _softmax(z):
    """The softmax of every sample's k logits, z of shape (m, k, 1): stable for any finite z."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _log_softmax(z):
    """log softmax(z), computed without ever forming a probability that could underflow to 0."""
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _softmax_backward(p, dp):
    """dz = J^T dp with J = diag(p) - p p^T: p * (dp - sum_k p_k dp_k), for every sample."""
    return p * (dp - np.sum(p * dp, axis=1, keepdims=True))


def _logits(rng, m, k, scale=2.0):
    return rng.standard_normal((m, k, 1)) * scale


def _targets(rng, m, k):
    """One-hot targets (m, k, 1) of random labels."""
    return np.eye(k)[rng.integers(0, k, size=m)][:, :, None]


def _huge_logits():
    """Logits in the thousands, of both signs, where exp overflows (or underflows to 0 everywhere)."""
    z = np.array([[1000.0, 2000.0, 3000.0, 0.0], [-3000.0, -1000.0, -2000.0, -2500.0],
                  [800.0, -800.0, 799.0, 0.0], [5000.0, 5000.0, -5000.0, 1.0]])
    y = np.eye(4)[[0, 1, 2, 3]]  # the true class is sometimes the largest logit, sometimes far below it
    return z[:, :, None], y[:, :, None]


def _runs(make, calls, cases):
    """Make a fresh module per case and call `calls(module, *case)`; [(case, result, error)]."""
    runs = []
    for case in cases:
        try:
            module = run_student(make)
            runs.append((case, calls(module, *case), None))
        except CheckFailed as failure:
            runs.append((case, None, str(failure)))
    return runs


def _each(runs):
    """Yield (case, result) of each run; a run that failed fails the part with its message."""
    for case, result, error in runs:
        if error is not None:
            raise CheckFailed(error)
        yield case, result


# ------------------------------------------------------------------------- Softmax
def _softmax_forward_and_backward(module, z, dp):
    run_student(module.forward, np.zeros_like(z) + 5.0)  # a stale cache must not be used
    p = snapshot(run_student(module.forward, z.copy()))
    return p, snapshot(run_student(module.backward, dp.copy()))


def _network_classes(helpers):
    if helpers:
        return helpers["Linear"], helpers["Model"]
    from framework import Linear, Model

    return Linear, Model


def _softmax_network(Softmax, helpers, rng):
    """A Linear -> Softmax network of the given Linear and Model and the student's Softmax: the
    Linear layer's (dW, db) after backward of dL/dp, the expected ones, and the first failure."""
    Linear, Model = _network_classes(helpers)
    m, n, k = 6, 5, 4
    W, b = rng.standard_normal((k, n)), rng.standard_normal((k, 1))
    X, dp = rng.standard_normal((m, n, 1)), rng.standard_normal((m, k, 1))
    p = _softmax(W @ X + b)
    dz = _softmax_backward(p, dp)
    expected = (np.mean(dz @ X.transpose(0, 2, 1), axis=0), dz.mean(axis=0))
    try:
        layer = run_student(Linear, n, k)
        layer.W, layer.b = W.copy(), b.copy()
        model = build_network(Model, [("Dense_1", layer), ("Softmax", run_student(Softmax))])
        run_student(model, X.copy())
        run_student(model.backward, dp.copy())
        return (snapshot(run_student(getattr, layer, "dW")), snapshot(run_student(getattr, layer, "db"))), \
            expected, None
    except CheckFailed as failure:
        return None, expected, f"the network Linear -> Softmax: {failure}"


def check_softmax(Softmax, points=None, seed=0, helpers=None):
    """Softmax: p = exp(z) / sum_k exp(z_k) per sample, stable for any logits; backward dz = J^T dp.

    `helpers` ({"Linear", "Model"}: the given framework classes where the student's Softmax
    runs) lets the grader build the Linear -> Softmax network next to it.
    """
    rng = _rng(seed)
    report = Report("Softmax", points)
    cases = [(_logits(rng, m, k), rng.standard_normal((m, k, 1))) for m, k in ((5, 4), (3, 10), (1, 3))]
    huge, _ = _huge_logits()
    runs = _runs(Softmax, _softmax_forward_and_backward, cases)
    stable = _runs(Softmax, _softmax_forward_and_backward, [(huge, rng.standard_normal(huge.shape))])
    network = _softmax_network(Softmax, helpers, rng)

    def forward_hints(z):
        over_batch = np.exp(z - z.max(axis=0, keepdims=True))
        return [(over_batch / over_batch.sum(axis=0, keepdims=True),
                 "normalised over the batch (axis 0): each sample's k probabilities must add up to 1 (axis 1)"),
                (np.exp(z) / np.exp(z).sum(), "normalised over every entry of the batch at once: normalise each "
                 "sample over its k classes (axis=1, keepdims=True)"),
                (np.exp(z), "not normalised: divide by the sum of the exponentials over the k classes")]

    def shape_hints(z):
        m, k, _ = z.shape
        return {(m, k): "keep the column layout (m, k, 1)",
                (m, 1, 1): "that is one number per sample; softmax returns k probabilities per sample, shape (m, k, 1)"}

    with report.part("each sample's k probabilities add up to 1 (normalised over axis 1, the classes)", weight=0.5):
        for (z, _), (p, _) in _each(runs):
            totals = _array_of_shape("the output p", p, z.shape, shape_hints(z)).sum(axis=1)
            if not np.allclose(totals, 1.0, rtol=0, atol=1e-9):
                raise CheckFailed(f"the sums of each sample's probabilities are {np.round(totals.ravel(), 4)}, not 1")
    with report.part("forward: p_j = exp(z_j) / sum_k exp(z_k), shape (m, k, 1)", weight=1):
        for (z, _), (p, _) in _each(runs):
            expect_close("the output p", p, _softmax(z), forward_hints(z), shape_hints(z), rtol=1e-9, atol=1e-12)
    with report.part("stable for logits in the thousands (subtract each sample's largest logit first)", weight=1):
        for (z, _), (p, _) in _each(stable):
            expect_close("softmax of logits in the thousands", p, _softmax(z), rtol=1e-9, atol=1e-12)
    with report.part("backward: dz_j = p_j (dp_j - sum_k p_k dp_k), the Jacobian diag(p) - p p^T times dp",
                     weight=1.5):
        for (z, dp), (_, dz) in _each(runs):
            p = _softmax(z)
            hints = [(dp * p * (1 - p), "that is only the diagonal of the Jacobian, p_j (1 - p_j): every p_j depends "
                      "on every z_k, so subtract p_j * sum_k p_k dp_k"),
                     (p * dp, "the term - p_j * sum_k p_k dp_k (the off-diagonal part of the Jacobian) is missing"),
                     (dp, "backward returned dp unchanged: multiply by the softmax's Jacobian"),
                     (-_softmax_backward(p, dp), "the sign is flipped"),
                     (p * (dp - np.sum(p * dp, axis=0, keepdims=True)),
                      "the sum runs over the batch (axis 0); it must run over each sample's k classes (axis 1)"),
                     (_softmax_backward(p, dp) / z.shape[0], "divided by m: the 1/m lives in Linear.backward; an "
                      "activation's backward is per sample")]
            expect_close("the returned gradient dz", dz, _softmax_backward(p, dp), hints, rtol=1e-8, atol=1e-12)
    with report.part("in a network Linear -> Softmax: model.backward(dL/dp) gives the exact dW and db", weight=0.5):
        got, (dW, db), error = network
        if error is not None:
            raise CheckFailed(error)
        expect_close("Dense_1.dW", got[0], dW, rtol=1e-8, atol=1e-12)
        expect_close("Dense_1.db", got[1], db, rtol=1e-8, atol=1e-12)
    return report.finish()


def _array_of_shape(name, got, shape, shape_hints=None):
    """`got` as a finite float array of `shape` (scoring.expect_array), a wrong shape explained by `shape_hints`."""
    try:
        return expect_array(name, got, shape)
    except CheckFailed as failure:
        hint = (shape_hints or {}).get(np.shape(got)) if got is not None and np.shape(got) != tuple(shape) else None
        raise CheckFailed(f"{failure}. {hint}" if hint else str(failure)) from None


# ------------------------------------------------------------------- the two losses
def _loss_forward_and_backward(module, prediction, target):
    loss = snapshot(run_student(module.forward, prediction.copy(), target.copy()))
    return loss, snapshot(run_student(module.backward, prediction.copy(), target.copy()))


def _loss_shape_hints(m, k):
    return {(m,): "one loss per sample must keep the layout (m, 1, 1): sum with axis=1, keepdims=True",
            (m, 1): "one loss per sample must keep the layout (m, 1, 1): sum with axis=1, keepdims=True",
            (): "that is one number for the whole batch: return one loss per sample, shape (m, 1, 1)",
            (1, 1): "summed or averaged over the batch: return one loss per sample, shape (m, 1, 1)",
            (m, k, 1): "that is one number per class: sum over the k classes (axis=1, keepdims=True)"}


def _gradient_shape_hints(m, k):
    return {(k, 1): "averaged or summed over the batch (axis 0): return one gradient per sample, shape (m, k, 1)",
            (m, 1, 1): "one number per sample; the gradient has the shape of the input, (m, k, 1)"}


def check_cross_entropy(CrossEntropyLoss, points=None, seed=0):
    """CrossEntropyLoss: L_i = -sum_k y_k log p_k per sample (m, 1, 1); backward -y / p; safe at p = 0."""
    rng = _rng(seed)
    report = Report("CrossEntropyLoss", points)
    # Probabilities of at least 0.01 (softmax of logits of std 1): every correct way of keeping
    # log(0) away (clipping at eps <= 1e-7, or log(p + eps)) gives the same numbers there.
    cases = [(_softmax(_logits(rng, m, k, scale=1.0)), _targets(rng, m, k)) for m, k in ((6, 4), (3, 10), (1, 2))]
    zeros_p = np.array([[0.0, 1.0, 0.0], [0.5, 0.0, 0.5], [0.5, 0.0, 0.5], [0.0, 0.2, 0.8]])[:, :, None]
    zeros_y = np.eye(3)[[1, 1, 0, 0]][:, :, None]  # p_true is 1, 0, 0.5 and 0
    runs = _runs(CrossEntropyLoss, _loss_forward_and_backward, cases)
    zeros = _runs(CrossEntropyLoss, _loss_forward_and_backward, [(zeros_p, zeros_y)])

    with report.part("forward: L_i = -sum_k y_k log p_k, one loss per sample, shape (m, 1, 1)", weight=1):
        for (p, y), (loss, _) in _each(runs):
            m, k, _ = p.shape
            expected = -np.sum(y * np.log(p), axis=1, keepdims=True)
            hints = [(expected / k, "averaged over the k classes: cross-entropy SUMS over them (it is -log of the "
                      "probability of the true class)"),
                     (-expected, "the sign is flipped: L = -sum_k y_k log p_k is positive"),
                     (-np.sum(y * np.log(p) + (1 - y) * np.log(1 - p), axis=1, keepdims=True),
                      "that is BCE summed over the classes: cross-entropy has no (1 - y) log(1 - p) terms")]
            expect_close("forward(p, y)", loss, expected, hints, _loss_shape_hints(m, k), rtol=SAFE_RTOL)
    with report.part("backward: dL_i/dp = -y / p for every sample (not divided by m)", weight=1):
        for (p, y), (_, grad) in _each(runs):
            m, k, _ = p.shape
            expected = -y / p
            hints = [(expected / m, "divided by m: return the per-sample derivative (the 1/m lives in "
                      "Linear.backward)"),
                     (expected / k, "divided by k: the forward pass sums over the classes, so no 1/k"),
                     (-expected, "the sign is flipped: d(-y log p)/dp = -y / p"),
                     (p - y, "that is the gradient with respect to the logits (softmax and cross-entropy fused); "
                      "CrossEntropyLoss.backward returns dL/dp"),
                     (-1 / p, "the target y is not multiplied in: dL/dp_k = -y_k / p_k is 0 for the wrong classes")]
            expect_close("backward(p, y)", grad, expected, hints, _gradient_shape_hints(m, k), rtol=SAFE_RTOL)
    with report.part("safe at probabilities of exactly 0: finite losses and gradients (keep p away from 0)",
                     weight=0.5):
        for (p, y), (loss, grad) in _each(zeros):
            loss = _array_of_shape("forward(p, y) at p = 0", loss, (4, 1, 1), _loss_shape_hints(4, 3))[:, 0, 0]
            grad = _array_of_shape("backward(p, y) at p = 0", grad, p.shape, _gradient_shape_hints(4, 3))
            if abs(loss[0]) > 1e-6 or abs(loss[2] - np.log(2)) > 1e-4:
                raise CheckFailed(f"the losses are {np.round(loss, 4)}: where the true class has p = 1 the loss is 0, "
                                  "where it has p = 0.5 it is log 2 = 0.693, whatever the p of the other classes")
            if min(loss[1], loss[3]) < 10:
                raise CheckFailed(f"the losses where the true class has p = 0 are {loss[1]:.3g} and {loss[3]:.3g}; "
                                  "they must be large (about -log(eps), e.g. 27.6 for eps = 1e-12)")
            if np.any(grad[y == 0] != 0) or np.any(grad[y == 1] >= 0):
                raise CheckFailed("at p = 0 the gradient must stay -y / p: 0 for the wrong classes, a large negative "
                                  "number for the true one")
    return report.finish()


def check_softmax_cross_entropy(SoftmaxCrossEntropy, points=None, seed=0):
    """SoftmaxCrossEntropy on logits: L_i = log sum_k exp(z_k) - z_true, backward p - y per sample; stable."""
    rng = _rng(seed)
    report = Report("SoftmaxCrossEntropy", points)
    cases = [(_logits(rng, m, k), _targets(rng, m, k)) for m, k in ((6, 4), (3, 10), (1, 3))]
    runs = _runs(SoftmaxCrossEntropy, _loss_forward_and_backward, cases)
    stable = _runs(SoftmaxCrossEntropy, _loss_forward_and_backward, [_huge_logits()])

    def loss_hints(z, y, expected):
        return [(expected / z.shape[1], "averaged over the k classes: cross-entropy SUMS over them"),
                (-expected, "the sign is flipped: the loss -log p_true is positive")]

    def gradient_hints(z, y, expected):
        m, k, _ = z.shape
        over_batch = np.exp(z - z.max(axis=0, keepdims=True))
        p = np.maximum(_softmax(z), 1e-300)  # no division by an underflowed 0 in the hint below
        return [(expected / m, "divided by m: the loss's backward is per sample (the 1/m lives in Linear.backward)"),
                (expected / k, "divided by k: the loss sums over the classes, so no 1/k"),
                (-expected, "the sign is flipped: dL/dz = p - y"),
                (_softmax(z), "the target is not subtracted: dL/dz = p - y"),
                (over_batch / over_batch.sum(axis=0, keepdims=True) - y,
                 "the softmax is normalised over the batch (axis 0); normalise each sample over its classes (axis 1)"),
                (-y / p, "that is dL/dp (CrossEntropyLoss.backward); the fused loss returns dL/dz = p - y")]

    with report.part("forward: L_i = log(sum_k exp(z_k)) - z_true = -log softmax(z)_true, shape (m, 1, 1)", weight=1):
        for (z, y), (loss, _) in _each(runs):
            expected = -np.sum(y * _log_softmax(z), axis=1, keepdims=True)
            expect_close("forward(z, y)", loss, expected, loss_hints(z, y, expected),
                         _loss_shape_hints(*z.shape[:2]), rtol=1e-8, atol=1e-12)
    with report.part("forward exact for logits in the thousands (log-sum-exp with the largest logit subtracted: "
                     "never log of a probability that underflowed to 0)", weight=1):
        for (z, y), (loss, _) in _each(stable):
            expected = -np.sum(y * _log_softmax(z), axis=1, keepdims=True)
            expect_close("forward(z, y) for logits in the thousands", loss, expected, loss_hints(z, y, expected),
                         _loss_shape_hints(*z.shape[:2]), rtol=1e-8, atol=1e-9)
    with report.part("backward: dL_i/dz = softmax(z) - y for every sample (not divided by m)", weight=1.5):
        for (z, y), (_, grad) in _each(runs):
            expected = _softmax(z) - y
            expect_close("backward(z, y)", grad, expected, gradient_hints(z, y, expected),
                         _gradient_shape_hints(*z.shape[:2]), rtol=1e-8, atol=1e-12)
    with report.part("backward exact for logits in the thousands", weight=0.5):
        for (z, y), (_, grad) in _each(stable):
            expected = _softmax(z) - y
            expect_close("backward(z, y) for logits in the thousands", grad, expected, gradient_hints(z, y, expected),
                         _gradient_shape_hints(*z.shape[:2]), rtol=1e-8, atol=1e-12)
    return report.finish()


# --------------------------------------------------------------- labels in, labels out
class _OneHotCall:
    """one_hot(labels, k) run where the student's code lives (the grader's helper): the labels go
    in as integers, which an array crossing the grader's wall (always float64) would not be."""

    def __init__(self, labels, k):
        self.value = globals()["one_hot"](np.asarray(labels).astype(np.int64), int(k))


class _PredictCall:
    """predict(Y_hat) run where the student's code lives (the grader's helper); `integer` is 1.0
    when it returned integers, which what crosses the grader's wall (always float64) would hide."""

    def __init__(self, Y_hat):
        self.value = globals()["predict"](Y_hat)
        self.integer = float(np.issubdtype(np.asarray(self.value).dtype, np.integer))


def check_one_hot(one_hot, points=None, seed=0, helpers=None):
    """one_hot(labels, k): (m, k, 1) with a 1.0 in row labels[i] of sample i, zeros elsewhere.

    `helpers` ({"_OneHotCall"}) lets the grader call the student's function with integer labels.
    """
    rng = _rng(seed)
    report = Report("one_hot", points)
    full = [(rng.permutation(np.arange(10).repeat(2)), 10), (np.array([2, 0, 1, 1, 2]), 3), (np.array([1]), 2)]
    narrow = [(rng.integers(0, 6, size=8), 10)]  # no label above 5: the width must still be k = 10

    def call(labels, k):
        try:
            if helpers:
                return snapshot(run_student(lambda: helpers["_OneHotCall"](labels, k).value))
            return snapshot(run_student(one_hot, labels.copy(), k))
        except CheckFailed as failure:
            raise CheckFailed(f"one_hot({labels.tolist()}, {k}) {failure}") from None

    def expect(labels, k):
        m = len(labels)
        expected = np.eye(k)[labels][:, :, None]
        hints = [(expected.transpose(1, 0, 2), "one column per class instead of one per sample: the result is "
                  "(m, k, 1), one column vector per sample")]
        shape_hints = {(m, k): "keep the column layout (m, k, 1): one column vector per sample",
                       (k, m): "transposed, and without the trailing axis: the result is (m, k, 1)",
                       (m, int(labels.max()) + 1, 1): "the width comes from the labels (labels.max() + 1); it must "
                       "be k: a batch need not hold every class"}
        expect_close(f"one_hot({labels.tolist()}, {k})", call(labels, k), expected, hints, shape_hints)

    with report.part("sample i gets a column of k zeros with a 1.0 in row labels[i]: shape (m, k, 1)", weight=1):
        for labels, k in full:
            expect(labels, k)
    with report.part("k rows even when the largest label is below k - 1 (a batch need not hold every class)",
                     weight=0.5):
        for labels, k in narrow:
            expect(labels, k)
    return report.finish()


def check_predict(predict, points=None, seed=0, helpers=None):
    """predict(Y_hat): the index of each sample's largest output, integers of shape (m,).

    `helpers` ({"_PredictCall"}) lets the grader see the dtype of what the student's function returns.
    """
    rng = _rng(seed)
    report = Report("predict", points)
    cases = [_logits(rng, 7, 10), _softmax(_logits(rng, 4, 3)), _logits(rng, 1, 5), np.eye(4)[[3, 0, 2]][:, :, None]]
    results = []
    for Y_hat in cases:
        try:
            if helpers:
                call = run_student(helpers["_PredictCall"], Y_hat)
                labels, integer = (snapshot(run_student(getattr, call, name)) for name in ("value", "integer"))
                results.append((Y_hat, labels, bool(integer), None))
            else:
                labels = run_student(predict, Y_hat.copy())
                results.append((Y_hat, snapshot(labels), np.issubdtype(np.asarray(labels).dtype, np.integer), None))
        except CheckFailed as failure:
            results.append((Y_hat, None, False, f"predict of a batch of shape {Y_hat.shape} {failure}"))

    def each():
        for Y_hat, labels, integer, error in results:
            if error is not None:
                raise CheckFailed(error)
            yield Y_hat, labels, integer

    with report.part("the index of each sample's largest output (argmax over axis 1), shape (m,)", weight=1):
        for Y_hat, labels, _ in each():
            m, k, _ = Y_hat.shape
            expected = Y_hat[:, :, 0].argmax(axis=1).astype(float)
            shape_hints = {(m, 1): "drop the trailing axis: one label per sample, shape (m,) (e.g. "
                           "np.argmax(Y_hat[:, :, 0], axis=1))",
                           (k,): "the argmax runs over the batch (axis 0); it must run over each sample's k outputs "
                           "(axis 1)",
                           (k, 1): "the argmax runs over the batch (axis 0); it must run over each sample's k outputs "
                           "(axis 1)",
                           (): "the argmax runs over every entry of the batch; it must run over each sample's k "
                           "outputs (axis 1)",
                           (m, k): "the argmax runs over the last axis (of length 1); it must run over the k outputs "
                           "(axis 1)"}
            expect_close("the predicted labels", labels, expected, shape_hints=shape_hints)
    with report.part("integer labels (np.argmax gives them), so that they can index arrays", weight=0.25):
        for _, _, integer in each():
            if not integer:
                raise CheckFailed("the labels are floats: return np.argmax's integers as they are")
    return report.finish()


# ------------------------------------------------------------------ the trained network
def _attribute(module, name):
    try:
        return getattr(module, name, None)
    except AttributeError:
        return None


def _read_network(mlp):
    """[(W, b)] of the Linear layers of the ReLU network `mlp` (64 inputs, 10 logits), each module
    told by what it does (a Linear has W and b; the others must act as ReLU), never by its class."""
    modules = run_student(lambda: mlp.modules) if mlp is not None else None
    if not isinstance(modules, dict) or not modules:
        raise CheckFailed("`mlp` is not a Model with modules: run the training cell of section 6")
    rng, layers, width, after_linear = _rng(7), [], 64, False
    for name, module in modules.items():
        W, b = (snapshot(run_student(_attribute, module, attr)) for attr in ("W", "b"))
        if W is not None and after_linear:
            raise CheckFailed(f"two Linear layers in a row at {name!r}: the network is Linear, ReLU, ..., Linear")
        if W is not None:
            if np.ndim(W) != 2 or np.shape(W)[1] != width:
                raise CheckFailed(f"{name}.W has shape {np.shape(W)}; after {width} features, W is (out, {width})")
            W = expect_array(f"{name}.W", W)
            layers.append((W, expect_array(f"{name}.b", b, (W.shape[0], 1))))
            width, after_linear = W.shape[0], True
            continue
        if not after_linear:
            raise CheckFailed(f"module {name!r} does not follow a Linear layer")
        z = rng.standard_normal((4, width, 1))
        a = snapshot(run_student(module.forward, z.copy()))
        if a is None or np.shape(a) != z.shape or not np.allclose(a, np.maximum(z, 0.0)):
            raise CheckFailed(f"module {name!r} is not a ReLU: the check evaluates the notebook's Linear-ReLU network")
        after_linear = False
    if not after_linear or width != 10:
        raise CheckFailed("the network must end with a Linear layer of 10 outputs (the logits, no softmax)")
    return layers


def _forward(layers, X):
    a = X
    for i, (W, b) in enumerate(layers):
        a = W @ a + b
        if i < len(layers) - 1:
            a = np.maximum(a, 0.0)
    return a


def check_digits_network(mlp, points=None):
    """The trained `mlp`, evaluated here on the test split with this check's own forward pass: >= 95 %."""
    from dataset import dataset_digits

    report = Report("The trained network on the test split", points)
    X, Y = dataset_digits("test")
    reached, problem = None, None
    try:
        layers = _read_network(mlp)
        reached = float(np.mean(_forward(layers, X)[:, :, 0].argmax(axis=1) == Y[:, :, 0].argmax(axis=1)))
    except CheckFailed as failure:
        problem = str(failure)
    measured = "" if reached is None else f" (measured: {reached:.1%})"
    with report.part(f"the check's own forward pass of `mlp` classifies at least {DIGITS_TARGET:.0%} of the "
                     f"{len(X)} test digits right{measured}", weight=1):
        if problem is not None:
            raise CheckFailed(problem)
        if reached < DIGITS_TARGET:
            raise CheckFailed(f"{reached:.1%} of the test digits are classified right; {DIGITS_TARGET:.0%} needed "
                              "(does SoftmaxCrossEntropy.backward pass its self-check?)")
    return report.finish()


# ------------------------------------------------------------------ the experiments
def explain_errors(*uses):
    """`with explain_errors("SoftmaxCrossEntropy"):` around an experiment that runs them: an unfinished
    or failing answer ends the block with one line naming the exercise (scoring.ExplainErrors)."""
    return ExplainErrors(EXERCISES, uses)
