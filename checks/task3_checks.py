"""Checks of Task 3 (training): one function per answer cell.

Each `check_*` function tests one answer alone, through its public API only,
against values computed here. Called without `points` it is the student's
self-check (prints the list of parts and records the result for the notebook's last cell);
with `points` it is the autograder (prints the same list and returns the partial
credit as a plain float).

Isolation, so that a bug costs points in its own cell only:
- `check_sgd` steps stand-in modules that hold known W, b, dW, db (no Linear).
- `check_train` runs the student's loop on a network built from the given
  `framework` classes, with this module's reference optimizer, and with the
  reference `accuracy` swapped into the notebook for the duration of the check
  (the student's version is put back afterwards). When grading, the grader also
  swaps in its own `minibatches` (its `minibatches` argument); the self-check
  uses the student's.

Shapes follow the course: a batch is (m, n, 1); Linear's W is (out, in).
"""

import contextlib
import itertools
import math

import numpy as np

from scoring import CheckFailed, Report, expect_close, run_student, snapshot
from utils import Module, parameters_of

_Module = Module

__all__ = [
    "check_sgd",
    "check_minibatches",
    "check_accuracy",
    "check_train",
    "TRAIN_BUDGET",
]

# The budget `check_train` gives the student's loop on circles (stated in the notebook).
TRAIN_BUDGET = {
    "dataset": "circles",
    "m": 128,
    "sizes": (2, 16, 16, 1),
    "lr": 0.5,
    "epochs": 300,
    "batch_size": 16,
    "target_accuracy": 0.95,
}


def _rng(seed):
    return np.random.default_rng(seed)


# ------------------------------------------------------- reference implementations
# Used by check_train in place of the student's answers, so that a bug in SGD,
# minibatches or accuracy costs points in that cell only.
class _ReferenceSGD:
    def __init__(self, model, lr):
        self.model, self.lr = model, lr

    def step(self):
        for _, module, attr in parameters_of(self.model):
            setattr(module, attr, getattr(module, attr) - self.lr * getattr(module, "d" + attr))


def _reference_accuracy(Y_hat, Y, threshold=0.5):
    return float(np.mean((np.asarray(Y_hat) > threshold) == (np.asarray(Y) > 0.5)))


# ---------------------------------------------------------------------------- SGD
class _Layer(Module):
    """A stand-in for Linear: it only holds W, b and the gradients dW, db."""

    def __init__(self, W, b, dW, db):
        super().__init__()
        self.W, self.b = W, b
        self.dW, self.db = dW, db  # as left by an earlier backward pass


class _NoParameters(Module):
    """A stand-in for an activation: nothing to update."""

    def forward(self, input):
        return input


def check_sgd(SGD, points=None, seed=0, helpers=None):
    """SGD.step: W -= lr * dW and b -= lr * db in every module that has W and b.

    `helpers` ({"Module", "_Layer", "_NoParameters"}: classes) lets the grader build
    the stand-in model where the student's SGD runs (the grader's spec lists them).
    """
    helpers = helpers or {}
    Module, Layer, NoParameters = (helpers.get(name, default) for name, default in
                                   (("Module", _Module), ("_Layer", _Layer), ("_NoParameters", _NoParameters)))
    rng = _rng(seed)
    report = Report("SGD.step", points)
    sizes = [(int(rng.integers(2, 5)), int(rng.integers(2, 5))) for _ in range(3)]
    sizes[-1] = (1, sizes[-1][1])
    runs = []  # (before, grads, after, lr, previous_grads, error) for each step
    for lr in (0.1, 0.73):
        model = Module()
        layers = {}
        # W, b and the gradients as this check set them: what it expects is computed from
        # these, never from what the layers report back.
        current, previous_grads = {}, {}
        for i, (n_out, n_in) in enumerate(sizes, start=1):
            name = f"Dense_{i}"
            current[name] = (rng.standard_normal((n_out, n_in)), rng.standard_normal((n_out, 1)))
            previous_grads[name] = (rng.standard_normal((n_out, n_in)), rng.standard_normal((n_out, 1)))
            layers[name] = Layer(*(value.copy() for value in current[name] + previous_grads[name]))
            model.add_module(layers[name], name)
            if i < len(sizes):
                model.add_module(NoParameters(), f"ReLU_{i}")
        try:
            optimizer = run_student(SGD, model, lr)
        except CheckFailed as failure:
            runs.append((None,) * 5 + (f"SGD(model, lr) {failure}",))
            continue
        for _ in range(2):
            # Like backward, every step gets brand-new gradient arrays.
            grads = {
                name: (rng.standard_normal(W.shape), rng.standard_normal(b.shape)) for name, (W, b) in current.items()
            }
            for name, layer in layers.items():
                layer.dW, layer.db = grads[name][0].copy(), grads[name][1].copy()
            before = {name: (W.copy(), b.copy()) for name, (W, b) in current.items()}
            try:
                run_student(optimizer.step)
                after = {
                    name: (snapshot(getattr(layer, "W", None)), snapshot(getattr(layer, "b", None)))
                    for name, layer in layers.items()
                }
                runs.append((before, grads, after, lr, previous_grads, None))
            except CheckFailed as failure:
                runs.append((None,) * 5 + (f"step() {failure}",))
                break
            previous_grads = grads
            # Where a correct step leaves W and b: the next step starts there (the parts below
            # stop at the first wrong step, so a later step is only judged after right ones).
            current = {name: (W - lr * grads[name][0], b - lr * grads[name][1]) for name, (W, b) in current.items()}

    def each_run():
        for run in runs:
            if run[-1] is not None:
                raise CheckFailed(run[-1])
            yield run[:-1]

    def expect_update(attr, index):
        for before, grads, after, lr, previous_grads in each_run():
            for position, name in enumerate(before):
                old, grad, got = before[name][index], grads[name][index], after[name][index]
                expected = old - lr * grad
                hints = [
                    (
                        old + lr * grad,
                        f"{attr} moved uphill: the update is {attr} -= lr * d{attr} (minus: we descend the gradient)",
                    ),
                    (
                        old - lr * previous_grads[name][index],
                        f"the step used the d{attr} of an earlier backward pass: backward stores a new "
                        f"array, so read module.d{attr} at every step instead of keeping the arrays "
                        "found in __init__",
                    ),
                    (
                        old,
                        f"{name}.{attr} was not updated: step must update every module that "
                        f"has W and b" + (" (only the first layer was)" if position > 0 else ""),
                    ),
                    (old - grad, "the learning rate is missing: use self.lr"),
                    (
                        old - lr * grads[name][1 - index] if grads[name][1 - index].shape == old.shape else np.zeros(0),
                        f"{attr} was updated with the other gradient",
                    ),
                    (-lr * grad, f"{attr} was replaced by -lr * d{attr}; subtract it from {attr}"),
                ]
                expect_close(f"{name}.{attr} after step()", got, expected, hints, rtol=1e-12, atol=1e-14)

    with report.part("W -= lr * dW for every layer", weight=1.5):
        expect_update("W", 0)
    with report.part("b -= lr * db for every layer", weight=1):
        expect_update("b", 1)
    return report.finish()


# -------------------------------------------------------------------- minibatches
def _tagged_data(m, n_in=3, n_out=2):
    """X, Y whose rows carry the sample index: X[i, 0, 0] = i, Y[i, 0, 0] = i + 0.5."""
    X = np.zeros((m, n_in, 1))
    X[:, 0, 0] = np.arange(m)
    X[:, 1:, 0] = -np.arange(m)[:, None] * 0.25
    Y = np.zeros((m, n_out, 1))
    Y[:, 0, 0] = np.arange(m) + 0.5
    Y[:, 1:, 0] = 7.0
    return X, Y


def _collect(minibatches, X, Y, batch_size, **kwargs):
    """Run the student's iterator once; return the list of (X_batch, Y_batch) as arrays."""
    limit = len(X) + 5  # never loop forever on an iterator that does not stop

    def run():
        return list(itertools.islice(iter(minibatches(X, Y, batch_size, **kwargs)), limit))

    if run_student(minibatches, X, Y, batch_size, **kwargs) is None:
        raise CheckFailed("minibatches returned None: `yield` each (X_batch, Y_batch) pair")
    batches = run_student(run)
    result = []
    for k, item in enumerate(batches):
        try:
            X_batch, Y_batch = item
        except (TypeError, ValueError):
            raise CheckFailed(f"item {k} is not a pair (X_batch, Y_batch): yield X_batch, Y_batch") from None
        X_batch, Y_batch = np.asarray(X_batch, dtype=float), np.asarray(Y_batch, dtype=float)
        result.append((X_batch, Y_batch))
    if len(batches) == limit:
        raise CheckFailed(
            f"the iterator yielded more than {limit - 1} batches for {len(X)} samples: does it ever stop?"
        )
    return result


def _ids(batches):
    return np.concatenate([X_batch[:, 0, 0] for X_batch, _ in batches]).astype(int) if batches else np.zeros(0)


def check_minibatches(minibatches, points=None, seed=0):
    """minibatches(X, Y, batch_size, shuffle=True, seed=None): every sample once, in batches."""
    rng = _rng(seed)
    report = Report("minibatches", points)
    s = int(rng.integers(0, 1000))
    # (m, batch_size, keyword arguments)
    size_cases = [
        (10, 4, {"seed": s}),
        (12, 4, {"seed": s + 1}),
        (3, 8, {"seed": s + 2}),
        (int(rng.integers(20, 40)), 7, {"shuffle": False}),
        (9, 1, {}),
    ]
    runs = []
    for m, batch_size, kwargs in size_cases:
        X, Y = _tagged_data(m)
        X_copy, Y_copy = X.copy(), Y.copy()
        try:
            batches = _collect(minibatches, X, Y, batch_size, **kwargs)
            runs.append((m, batch_size, kwargs, X, Y, X_copy, Y_copy, batches, None))
        except CheckFailed as failure:
            runs.append((m, batch_size, kwargs, X, Y, X_copy, Y_copy, None, str(failure)))

    def each_run():
        for run in runs:
            if run[-1] is not None:
                raise CheckFailed(run[-1])
            yield run[:-1]

    with report.part("batches of batch_size samples, shapes (k, n, 1); the last one may be smaller", weight=1):
        for m, batch_size, _, X, Y, _, _, batches in each_run():
            expected = [min(batch_size, m - start) for start in range(0, m, batch_size)]
            for X_batch, Y_batch in batches:
                if X_batch.ndim != 3 or X_batch.shape[1:] != X.shape[1:]:
                    raise CheckFailed(
                        f"X_batch has shape {X_batch.shape}; expected (k, {X.shape[1]}, 1): "
                        "index the first (sample) axis only"
                    )
                if Y_batch.shape[1:] != Y.shape[1:] or len(Y_batch) != len(X_batch):
                    raise CheckFailed(
                        f"Y_batch has shape {Y_batch.shape} next to X_batch {X_batch.shape}; "
                        f"expected ({len(X_batch)}, {Y.shape[1]}, 1)"
                    )
            got = [len(X_batch) for X_batch, _ in batches]
            if got == expected:
                continue
            message = f"{m} samples in batches of {batch_size} gave sizes {got}; expected {expected}"
            if got == expected[:-1] or got == [size for size in expected if size == batch_size]:
                message += ": the last, smaller batch was dropped (keep it: every sample must be seen)"
            elif got[:-1] == expected and got[-1] == 0:
                message += ": an empty batch was yielded at the end"
            elif len(set(got)) == 1 and len(got) == 1:
                message += ": the whole set came as one batch (use batch_size)"
            raise CheckFailed(message)

    with report.part("every sample exactly once per epoch, X and Y rows kept together", weight=1):
        for m, _, _, _, _, _, _, batches in each_run():
            ids = _ids(batches)
            for X_batch, Y_batch in batches:
                if not np.array_equal(Y_batch[:, 0, 0], X_batch[:, 0, 0] + 0.5):
                    raise CheckFailed(
                        "X_batch and Y_batch do not match row by row: shuffle both with the same index array"
                    )
            if np.array_equal(np.sort(ids), np.arange(m)):
                continue
            unique = np.unique(ids)
            if len(unique) < len(ids):
                raise CheckFailed(
                    f"some samples appear twice in one epoch (e.g. sample {_first_repeat(ids)}): "
                    "draw a permutation of the indices, not random indices with replacement"
                )
            missing = sorted(set(range(m)) - set(unique.tolist()))
            raise CheckFailed(f"{len(missing)} of {m} samples never appear in the epoch (e.g. sample {missing[0]})")

    with report.part("X and Y themselves are left unchanged (no in-place shuffle)", weight=0.5):
        for _, _, _, X, Y, X_copy, Y_copy, _ in each_run():
            if not (np.array_equal(X, X_copy) and np.array_equal(Y, Y_copy)):
                raise CheckFailed(
                    "the iterator changed the caller's X or Y (in-place shuffle); "
                    "index with a permutation instead, e.g. X[order]"
                )

    with report.part("shuffle=True shuffles; the same seed gives the same order, another seed another", weight=1):
        X, Y = _tagged_data(24)
        first = _ids(_collect(minibatches, X, Y, 5, shuffle=True, seed=s))
        again = _ids(_collect(minibatches, X, Y, 5, shuffle=True, seed=s))
        other = _ids(_collect(minibatches, X, Y, 5, shuffle=True, seed=s + 7))
        if np.array_equal(first, np.arange(24)):
            raise CheckFailed("with shuffle=True the samples came in their original order: shuffle them")
        if not np.array_equal(first, again):
            raise CheckFailed(
                "two calls with the same seed gave different orders: build the random "
                "generator from `seed`, e.g. np.random.default_rng(seed)"
            )
        if np.array_equal(first, other):
            raise CheckFailed("different seeds gave the same order: the seed must drive the shuffle")

    with report.part("shuffle=False keeps the original order", weight=0.5):
        for _, _, kwargs, _, _, _, _, batches in each_run():
            ids = _ids(batches)
            if kwargs.get("shuffle", True) is False and not np.array_equal(ids, np.arange(len(ids))):
                raise CheckFailed("with shuffle=False the samples must come in their original order")
    return report.finish()


def _first_repeat(ids):
    seen = set()
    for i in ids.tolist():
        if i in seen:
            return i
        seen.add(i)
    return None


# ----------------------------------------------------------------------- accuracy
def check_accuracy(accuracy, points=None, seed=0):
    """accuracy(Y_hat, Y, threshold=0.5): the fraction of samples with (p > threshold) == y."""
    rng = _rng(seed)
    report = Report("accuracy", points)

    hand = (
        np.array([0.9, 0.2, 0.6, 0.4, 0.51]).reshape(5, 1, 1),
        np.array([1.0, 0.0, 0.0, 0.0, 1.0]).reshape(5, 1, 1),
    )  # 4 of 5 right

    def random_case(m):
        p = rng.uniform(0.01, 0.99, (m, 1, 1))
        y = (rng.uniform(size=(m, 1, 1)) < 0.5).astype(float)
        return p, y

    def expect(p, y, threshold, got, default_used=False):
        if got is None:
            raise CheckFailed("accuracy returned None: did you forget `return`?")
        try:
            value = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            raise CheckFailed(f"accuracy returned a {type(got).__name__}, not a number") from None
        if value.ndim != 0:
            raise CheckFailed(
                f"accuracy returned an array of shape {value.shape}; "
                "expected one number (take the mean over all samples)"
            )
        m = len(p)
        predictions = p > threshold
        expected = float(np.mean(predictions == (y > 0.5)))
        hints = [
            (1 - expected, "the threshold is on the wrong side: class 1 is predicted where p > threshold"),
            (
                expected * m,
                "accuracy returned the number of correct predictions; divide by the number "
                "of samples to get a fraction in [0, 1]",
            ),
            (float(np.mean(p == y)), "the probabilities were compared to the labels directly; threshold them first"),
        ]
        if not default_used:
            hints.append(
                (
                    float(np.mean((p > 0.5) == (y > 0.5))),
                    f"the threshold argument ({threshold}) was ignored: the 0.5 is hard-coded",
                )
            )
        expect_close("accuracy", value, expected, hints, rtol=1e-12, atol=1e-12)

    with report.part("fraction of samples with (p > 0.5) == y, hand-made and random cases", weight=2):
        p, y = hand
        expect(p, y, 0.5, run_student(accuracy, p.copy(), y.copy()), default_used=True)
        for m in (int(rng.integers(8, 30)), 1, 2):
            p, y = random_case(m)
            expect(p, y, 0.5, run_student(accuracy, p.copy(), y.copy()), default_used=True)

    with report.part("uses the threshold argument (0.8 and 0.2)", weight=1):
        p, y = hand
        for threshold in (0.8, 0.2):
            expect(p, y, threshold, run_student(accuracy, p.copy(), y.copy(), threshold=threshold))
        p, y = random_case(int(rng.integers(10, 30)))
        expect(p, y, 0.3, run_student(accuracy, p.copy(), y.copy(), 0.3))

    with report.part("returns a plain number between 0 and 1 (a float)", weight=0.5):
        p, y = hand
        got = run_student(accuracy, p.copy(), y.copy())
        if isinstance(got, (bool, np.bool_)) or not isinstance(got, (float, int, np.floating, np.integer)):
            raise CheckFailed(f"accuracy returned a {type(got).__name__}; return a float, e.g. float(np.mean(...))")
        if not 0.0 <= float(got) <= 1.0:
            raise CheckFailed(f"accuracy returned {got}, outside [0, 1]: return a fraction, not a count")
    return report.finish()


# -------------------------------------------------------------------------- train
@contextlib.contextmanager
def _reference_helpers(train, minibatches=None):
    """Swap the reference accuracy (and `minibatches`, when given) into the namespace `train` reads.

    The student's loop calls `minibatches` and `accuracy` by name; during the
    check they are the reference ones, so a bug there costs points only in the
    checks of those two functions. The student's versions are restored after.
    The grader passes its own `minibatches`; a student's self-check uses theirs.
    """
    namespace = getattr(train, "__globals__", None)
    replacements = {"accuracy": _reference_accuracy}
    if minibatches is not None:
        replacements["minibatches"] = minibatches
    if not isinstance(namespace, dict) and hasattr(train, "globals_during_calls"):
        # The grader's stand-in for a `train` that runs in its sandbox: it swaps them there.
        train.globals_during_calls = replacements
        try:
            yield
        finally:
            train.globals_during_calls = {}
        return
    saved = {}
    if isinstance(namespace, dict):
        for name, function in replacements.items():
            if name in namespace:
                saved[name] = namespace[name]
                namespace[name] = function
    try:
        yield
    finally:
        if isinstance(namespace, dict):
            namespace.update(saved)


def _framework():
    from framework import BCELoss, Linear, Model, Sigmoid, Tanh

    return Linear, Tanh, Sigmoid, BCELoss, Model


def _build(sizes, rng, Model=None, classes=None):
    """A Tanh network with a Sigmoid output, Xavier-scaled weights from `rng`.

    `classes`: (Linear, Tanh, Sigmoid, BCELoss, Model) to build it from (default: the framework's).
    """
    Linear, Tanh, Sigmoid, _, FrameworkModel = classes or _framework()
    model = (Model or FrameworkModel)()
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        layer = Linear(n_in, n_out)
        layer.W = rng.standard_normal((n_out, n_in)) * np.sqrt(1.0 / n_in)
        layer.b = np.zeros((n_out, 1))
        model.add_module(layer, f"Dense_{i}")
        last = i == len(sizes) - 1
        model.add_module(Sigmoid() if last else Tanh(), "Sigmoid" if last else f"Tanh_{i}")
    return model


def _parameters(model):
    return [getattr(module, attr).copy() for _, module, attr in parameters_of(model)]


def _load(model, values):
    for (_, module, attr), value in zip(parameters_of(model), values):
        setattr(module, attr, value.copy())
    return model


def _history_values(history, key, epochs):
    if not isinstance(history, dict):
        raise CheckFailed(
            f"train returned a {type(history).__name__}; expected a dict {{'loss': [...], 'accuracy': [...]}}"
        )
    if key not in history:
        raise CheckFailed(f"the history has no key {key!r} (keys: {sorted(map(str, history))})")
    try:
        values = np.asarray(history[key], dtype=float)
    except (TypeError, ValueError):
        raise CheckFailed(f"history[{key!r}] is not a list of numbers") from None
    if values.ndim != 1 or len(values) != epochs:
        raise CheckFailed(f"history[{key!r}] has shape {values.shape}; expected one number per epoch ({epochs} epochs)")
    return values


def _logged_classes(log):
    """A framework Model and a reference optimizer that write what happens into `log`."""
    _, _, _, _, Model = _framework()

    class LoggedModel(Model):
        def forward(self, input):
            output = super().forward(input)
            log.append(("forward", np.array(input, copy=True), np.array(output, copy=True)))
            return output

        def backward(self, grad):
            log.append(("backward", np.array(grad, copy=True)))
            return super().backward(grad)

    class LoggedSGD(_ReferenceSGD):
        def step(self):
            super().step()
            log.append(("step", _parameters(self.model)))

    return LoggedModel, LoggedSGD


def check_train(train, points=None, seed=0, helpers=None, minibatches=None):
    """train(model, loss_fn, optimizer, X, Y, epochs, batch_size, seed): the training loop.

    Checked with the framework classes, the reference optimizer and the reference
    accuracy (and `minibatches`, when given): forward, backward, step once per
    mini-batch in this order; one loss and one accuracy per epoch; and it learns circles.

    `helpers` (the framework classes and `_ReferenceSGD`, by name) lets the grader build
    the network of the long learning run where the student's loop runs; its final
    parameters are then evaluated here. `minibatches`: the grader's own iterator, used
    in place of the student's (None: the student's, as in the self-check).
    """
    from dataset import dataset_circles

    rng = _rng(seed)
    report = Report("train", points)
    _, _, _, BCELoss, Model = _framework()

    # Run 1: a small network, a few epochs, a last batch smaller than the others.
    m, batch_size, epochs, sizes = 50, 16, 3, (2, 4, 1)
    X, Y = dataset_circles(m=m, seed=int(rng.integers(0, 10_000)))
    labels = {x.tobytes(): y for x, y in zip(X, Y)}
    log = []
    LoggedModel, LoggedSGD = _logged_classes(log)
    model = _build(sizes, rng, LoggedModel)
    loss_fn = BCELoss()
    history, error = None, None
    try:
        with _reference_helpers(train, minibatches):
            history = run_student(
                train, model, loss_fn, LoggedSGD(model, 0.5), X.copy(), Y.copy(), epochs, batch_size, seed=seed
            )
    except CheckFailed as failure:
        error = str(failure)
    steps_per_epoch = math.ceil(m / batch_size)

    def require_run():
        if error is not None:
            raise CheckFailed(error)

    def training_batches():
        """(X_batch, Y_hat, Y_batch) of each backward call: the forward just before it."""
        batches, last_forward = [], None
        for event in log:
            if event[0] == "forward":
                last_forward = event
            elif event[0] == "backward" and last_forward is not None:
                X_batch, Y_hat = last_forward[1], last_forward[2]
                try:
                    Y_batch = np.stack([labels[x.tobytes()] for x in X_batch])
                except KeyError:
                    raise CheckFailed("the model was trained on inputs that are not rows of X") from None
                batches.append((X_batch, Y_hat, Y_batch))
        return batches

    with report.part("returns {'loss': [...], 'accuracy': [...]}, one value per epoch", weight=0.5):
        require_run()
        _history_values(history, "loss", epochs)
        _history_values(history, "accuracy", epochs)

    with report.part("for every mini-batch: forward, then backward of the loss gradient, then one step", weight=1.5):
        require_run()
        kinds = [event[0] for event in log if event[0] in ("backward", "step")]
        if "backward" not in kinds:
            raise CheckFailed(
                "model.backward was never called: without it there are no gradients and step() changes nothing useful"
            )
        if "step" not in kinds:
            raise CheckFailed("optimizer.step() was never called: the parameters never change")
        if kinds[0] == "step":
            raise CheckFailed(
                "optimizer.step() was called before model.backward: step uses the "
                "gradients of the current batch, so backward must come first"
            )
        expected_steps = steps_per_epoch * epochs
        if kinds.count("step") != expected_steps:
            raise CheckFailed(
                f"{m} samples, batch_size {batch_size}, {epochs} epochs: expected "
                f"{expected_steps} steps (one per mini-batch), got {kinds.count('step')}"
            )
        if kinds != ["backward", "step"] * expected_steps:
            raise CheckFailed("backward and step must alternate: backward, step, backward, step, ...")
        last_forward = None
        for event in log:
            if event[0] == "forward":
                last_forward = event
            elif event[0] == "backward":
                if last_forward is None:
                    raise CheckFailed("model.backward was called before any forward pass")
                X_batch, Y_hat = last_forward[1], last_forward[2]
                if X_batch.shape[0] > batch_size:
                    raise CheckFailed(
                        f"backward followed a forward pass on {X_batch.shape[0]} samples; "
                        f"train on mini-batches of at most {batch_size}"
                    )
                Y_batch = np.stack([labels.get(x.tobytes(), np.full((1, 1), np.nan)) for x in X_batch])
                with np.errstate(all="ignore"):
                    expected = BCELoss().backward(Y_hat, Y_batch)
                grad = event[1]
                if grad.shape != expected.shape or not np.allclose(grad, expected, rtol=1e-6, atol=1e-9):
                    with np.errstate(all="ignore"):
                        per_sample = BCELoss()(Y_hat, Y_batch)
                    if grad.shape == per_sample.shape and np.allclose(grad, per_sample):
                        raise CheckFailed(
                            "model.backward received the loss itself; pass the loss "
                            "gradient loss_fn.backward(Y_hat, Y_batch)"
                        )
                    raise CheckFailed(
                        "model.backward did not receive loss_fn.backward(Y_hat, Y_batch) "
                        "of the forward pass just before it"
                    )
                last_forward = None

    # What each epoch saw: the batches between its steps, and the parameters at its end.
    def per_epoch():
        batches = training_batches()
        if len(batches) < steps_per_epoch * epochs:
            raise CheckFailed(
                f"only {len(batches)} forward/backward passes for {epochs} epochs of "
                f"{steps_per_epoch} mini-batches: cannot tell the epochs apart"
            )
        snapshots = [event[1] for event in log if event[0] == "step"]
        epochs_seen = []
        for e in range(epochs):
            chunk = batches[e * steps_per_epoch : (e + 1) * steps_per_epoch]
            index = (e + 1) * steps_per_epoch - 1
            end = snapshots[index] if index < len(snapshots) else None
            epochs_seen.append((chunk, end))
        return epochs_seen

    def evaluate(values):
        clone = _load(_build(sizes, _rng(0)), values)
        with np.errstate(all="ignore"):
            Y_hat = clone(X)
        return Y_hat

    with report.part("history['loss'][e] = mean per-sample loss over epoch e", weight=1):
        require_run()
        got = _history_values(history, "loss", epochs)
        expected, hints = [], {"batch_means": [], "last": [], "sum": [], "full": []}
        with np.errstate(all="ignore"):
            for chunk, end in per_epoch():
                losses = [BCELoss()(Y_hat, Y_batch)[:, 0, 0] for _, Y_hat, Y_batch in chunk]
                expected.append(np.concatenate(losses).mean())
                hints["batch_means"].append(np.mean([loss.mean() for loss in losses]))
                hints["last"].append(losses[-1].mean())
                hints["sum"].append(np.concatenate(losses).sum())
                hints["full"].append(BCELoss()(evaluate(end), Y).mean() if end is not None else np.nan)
        ok = [
            np.allclose(got, expected, rtol=1e-6, atol=1e-9),
            np.allclose(got, hints["batch_means"], rtol=1e-6, atol=1e-9),  # also an epoch mean
            np.allclose(got, hints["full"], rtol=1e-6, atol=1e-9),
        ]  # the whole set after the epoch
        if not any(ok):
            expect_close(
                "history['loss']",
                got,
                expected,
                hints=[
                    (
                        hints["last"],
                        "that is the loss of the last mini-batch of each epoch; average the "
                        "per-sample losses over the whole epoch",
                    ),
                    (hints["sum"], "the per-sample losses were summed; divide by the number of samples"),
                    (
                        np.array(hints["last"]) * (m % batch_size or batch_size),
                        "that is the summed loss of the last mini-batch only",
                    ),
                ],
            )

    with report.part("history['accuracy'][e] = training accuracy of epoch e, in [0, 1]", weight=0.5):
        require_run()
        got = _history_values(history, "accuracy", epochs)
        candidates = {"batches": [], "batch_means": [], "full": []}
        last_batch = []
        for chunk, end in per_epoch():
            correct = [(Y_hat > 0.5) == (Y_batch > 0.5) for _, Y_hat, Y_batch in chunk]
            candidates["batches"].append(np.concatenate([c.ravel() for c in correct]).mean())
            candidates["batch_means"].append(np.mean([c.mean() for c in correct]))
            candidates["full"].append(np.mean((evaluate(end) > 0.5) == (Y > 0.5)) if end is not None else np.nan)
            last_batch.append(correct[-1].mean())
        if not any(np.allclose(got, values, rtol=1e-9, atol=1e-9) for values in candidates.values()):
            expect_close(
                "history['accuracy']",
                got,
                candidates["batches"],
                hints=[
                    (last_batch, "that is the accuracy of the last mini-batch only"),
                    (np.array(candidates["batches"]) * m, "that is a count of correct predictions, not a fraction"),
                ],
            )

    with report.part(
        "learns: lowers the loss and reaches >= 95 % training accuracy on circles "
        f"(2-16-16-1 Tanh/Sigmoid, BCE, lr {TRAIN_BUDGET['lr']}, {TRAIN_BUDGET['epochs']} "
        f"epochs, batch_size {TRAIN_BUDGET['batch_size']})",
        weight=1,
    ):
        require_run()
        X, Y = dataset_circles(m=TRAIN_BUDGET["m"], seed=0)
        local = _build(TRAIN_BUDGET["sizes"], _rng(0))
        loss_fn = BCELoss()
        with np.errstate(all="ignore"):
            before = float(np.mean(loss_fn(local(X), Y)))
        names = ("Linear", "Tanh", "Sigmoid", "BCELoss", "Model")
        classes = tuple(helpers[name] for name in names) if helpers else None
        model = _build(TRAIN_BUDGET["sizes"], _rng(0), classes=classes)
        SGD = helpers["_ReferenceSGD"] if helpers else _ReferenceSGD
        with _reference_helpers(train, minibatches):
            run_student(
                train,
                model,
                classes[3]() if classes else loss_fn,
                SGD(model, TRAIN_BUDGET["lr"]),
                X.copy(),
                Y.copy(),
                TRAIN_BUDGET["epochs"],
                TRAIN_BUDGET["batch_size"],
                seed=seed,
            )
        trained = _load(local, run_student(_parameters, model))  # evaluated here, whatever ran the loop
        with np.errstate(all="ignore"):
            Y_hat = trained(X)
            after = float(np.mean(loss_fn(Y_hat, Y)))
        reached = _reference_accuracy(Y_hat, Y)
        if not np.isfinite(after):
            raise CheckFailed("the loss became NaN or inf during training")
        if not after < 0.5 * before:
            raise CheckFailed(
                f"the loss went from {before:.3f} to {after:.3f}: training did not lower it "
                "enough (are backward and step called for every mini-batch?)"
            )
        if reached < TRAIN_BUDGET["target_accuracy"]:
            raise CheckFailed(
                f"training accuracy after training is {reached:.1%}; expected at least "
                f"{TRAIN_BUDGET['target_accuracy']:.0%}"
            )
    return report.finish()
