"""Checks of Task 3 (training): one function per answer cell.

Each `check_*` function tests one answer alone, through its public API only,
against values computed here. Called without `points` it is the student's
self-check (prints the list of parts and records the result for the notebook's last cell);
with `points` it is the autograder (prints the same list and returns the partial
credit as a plain float).

Isolation, so that a bug costs points in its own cell only:
- `check_sgd` steps stand-in modules that hold known W, b, dW, db (no Linear), under
  names that are not all `Dense_...`.
- `check_train` runs the student's loop on a network built from the given
  `framework` classes, with this module's reference optimizer, and with the
  reference `minibatches` and `accuracy` swapped into the notebook for the duration
  of the check (the student's versions are put back afterwards). The self-check and
  the grader do the same, so a bug in Exercise 2 or 3 never shows in the check of `train`.
- `check_tiny_batch` trains its own networks with the student's settings.

`explain_errors` is for the notebook's demo cells (scoring.ExplainErrors): it turns an error of
unfinished student code into one line naming the exercise, so that Run All reaches the end of the
notebook.

Shapes follow the course: a batch is (m, n, 1); Linear's W is (out, in).
"""

import contextlib
import itertools

import numpy as np

from scoring import CheckFailed, ExplainErrors, Report, expect_close, run_student, snapshot
from utils import Module, parameters_of

_Module = Module

__all__ = [
    "check_sgd",
    "check_minibatches",
    "check_accuracy",
    "check_train",
    "check_split",
    "check_tiny_batch",
    "explain_errors",
    "tiny_batch",
    "TRAIN_BUDGET",
    "TINY_BUDGET",
    "SELF_CHECKS",
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

# The tiny batch the settings of exercise 6 must memorise (stated in the notebook): one batch
# of `m` circle points, a Tanh network of `sizes`, full-batch gradient descent.
TINY_BUDGET = {
    "dataset": "circles",
    "m": 8,
    "data_seed": 0,
    "sizes": (2, 16, 16, 1),
    "max_epochs": 300,
    "target_loss": 0.01,
}

# The Report titles of the notebook's self-checks, in notebook order (its last cell sums them up).
SELF_CHECKS = ("SGD.step", "minibatches", "accuracy", "train", "tiny_batch_settings", "split_train_validation")

# What the student writes, and where: a failing demo cell names the exercise to finish.
EXERCISES = {"SGD": "Exercise 1", "minibatches": "Exercise 2", "accuracy": "Exercise 3", "train": "Exercise 4",
             "tiny_batch_settings": "Exercise 5", "split_train_validation": "Exercise 6"}


def _rng(seed):
    return np.random.default_rng(seed)


def explain_errors(*uses):
    """`with explain_errors("SGD", "train"):` around a demo cell that runs them."""
    return ExplainErrors(EXERCISES, uses)


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


def _permutation(m, seed):
    """The order the notebook names: np.random.default_rng(seed).permutation(m)."""
    return np.random.default_rng(seed).permutation(m)


def _batch_indices(m, batch_size, shuffle=True, seed=None):
    """The index arrays of one epoch's batches, as Exercise 2 cuts them (the last one may be shorter)."""
    return [index for index, _ in _reference_batches(np.arange(m), np.arange(m), batch_size, shuffle, seed)]


def _reference_batches(X, Y, batch_size, shuffle=True, seed=None):
    """Exercise 2's iterator: what check_train's runs of the student's loop call as `minibatches`.

    NumPy only (the one owner of the batch order; _batch_indices reads it): the grader may define it, with
    _reference_accuracy, beside the student's loop for the long learning run, so that 2,400
    mini-batches do not each cross the sandbox wall.
    """
    order = np.random.default_rng(seed).permutation(len(X)) if shuffle else np.arange(len(X))
    for start in range(0, len(X), batch_size):
        yield X[order[start : start + batch_size]], Y[order[start : start + batch_size]]


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


# The names of the stand-in layers: never all Dense_..., so that a step that picks modules
# by name (not by their W and b) is seen.
_LAYER_NAMES = (("Dense_1", "hidden", "out"), ("fc1", "Dense_2", "output"), ("layer_a", "layer_b", "Dense_3"))


_PARAMETER_NAMES = {"W": "weights", "b": "biases"}


def _not_updated_hint(name, attr, position, updated, other_updated):
    """Why `name`.`attr` kept its value, judged from which layers `updated` did change, and in which
    layers `other_updated` the other parameter (b for W, W for b) changed."""
    other = "b" if attr == "W" else "W"
    if not updated and other_updated:
        return (f"the {_PARAMETER_NAMES[attr]} ({attr}) were not updated in any layer, but the "
                f"{_PARAMETER_NAMES[other]} ({other}) were: step must update every parameter that parameters_of "
                f"lists, {attr} as well as {other}")
    if not updated:
        return (f"{name}.{attr} was not updated, nor any other layer: step must update every module "
                "that has W and b (find them by their W and b, e.g. parameters_of, not by class or name)")
    if all(other.startswith("Dense") for other in updated) and not name.startswith("Dense"):
        return (f"{name}.{attr} was not updated: step must update every module that has W and b, "
                f"whatever it is called (only {', '.join(updated)} changed)")
    first_only = " (only the first layer was)" if position > 0 and len(updated) == 1 else ""
    return f"{name}.{attr} was not updated: step must update every module that has W and b{first_only}"


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
    names = _LAYER_NAMES[int(rng.integers(len(_LAYER_NAMES)))]
    runs = []  # (before, grads, after, lr, previous_grads, error) for each step
    for lr in (0.1, 0.73):
        model = Module()
        layers = {}
        # W, b and the gradients as this check set them: what it expects is computed from
        # these, never from what the layers report back.
        current, previous_grads = {}, {}
        for i, ((n_out, n_in), name) in enumerate(zip(sizes, names), start=1):
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

    def changed(before, after, index):
        """The layers whose parameter `index` (0: W, 1: b) the step changed."""
        found = []
        for name in before:
            got = after[name][index]
            try:
                same = np.array_equal(np.asarray(got, dtype=float), before[name][index])
            except (TypeError, ValueError):
                same = False
            if not same:
                found.append(name)
        return found

    def expect_update(attr, index):
        for before, grads, after, lr, previous_grads in each_run():
            updated, other_updated = changed(before, after, index), changed(before, after, 1 - index)
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
                    (old, _not_updated_hint(name, attr, position, updated, other_updated)),
                    (old - grad, "the learning rate is missing: use self.lr"),
                    (
                        old - lr * grads[name][1 - index] if grads[name][1 - index].shape == old.shape else np.zeros(0),
                        f"{attr} was updated with the other gradient",
                    ),
                    (-lr * grad, f"{attr} was replaced by -lr * d{attr}; subtract it from {attr}"),
                    (old - lr * old, f"the step used {attr} instead of d{attr}: subtract lr times the gradient, "
                     f"which backward stores under the same name with a d in front (module.d{attr})"),
                ]
                expect_close(f"{name}.{attr} after step()", got, expected, hints, rtol=1e-12, atol=1e-14)

    with report.part("W -= lr * dW for every module that has W and b, whatever its name", weight=1.5):
        expect_update("W", 0)
    with report.part("b -= lr * db for every module that has W and b", weight=1):
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


def _order_hint(ids, m, seed, again):
    """Why the sample order `ids` of a shuffled epoch is not default_rng(seed).permutation(m)."""
    if np.array_equal(ids, np.arange(m)):
        return "with shuffle=True the samples came in their original order: shuffle them"
    if not np.array_equal(ids, again):
        return ("two calls with the same seed gave different orders: build the random generator "
                "from `seed`, np.random.default_rng(seed)")
    if np.array_equal(ids, np.random.RandomState(seed).permutation(m)):
        return ("that is the order of NumPy's legacy generator (np.random.seed or RandomState); "
                "use np.random.default_rng(seed).permutation(m), as the notebook says")
    if np.array_equal(ids, np.random.default_rng(seed).choice(m, m, replace=False)):
        return ("that is a random order, but rng.choice's, not rng.permutation(m)'s: use "
                "np.random.default_rng(seed).permutation(m), as the notebook says")
    return (f"the order is not np.random.default_rng(seed).permutation(m): for m = {m} and seed = {seed} "
            f"the first samples are {_permutation(m, seed)[:5].tolist()}, yours {ids[:5].tolist()}")


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

    with report.part("shuffle=True: the order of np.random.default_rng(seed).permutation(m), "
                     "the same for the same seed", weight=1):
        # (m >= 10: a handful of samples may come in the order of another generator by chance)
        seeded = [(m, batch_size, kwargs["seed"]) for m, batch_size, kwargs in size_cases
                  if "seed" in kwargs and m >= 10]
        cases = [(24, 5, s), (24, 5, s + 7), *seeded]
        for m, batch_size, case_seed in cases:
            X, Y = _tagged_data(m)
            ids = _ids(_collect(minibatches, X, Y, batch_size, shuffle=True, seed=case_seed))
            if not np.array_equal(np.sort(ids), np.arange(m)) or np.array_equal(ids, _permutation(m, case_seed)):
                continue  # samples missing or repeated: the second part says so
            again = _ids(_collect(minibatches, X, Y, batch_size, shuffle=True, seed=case_seed))
            raise CheckFailed(_order_hint(ids, m, case_seed, again))

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
def _accuracy_hints(p, y, threshold, m, expected, default_used):
    """(candidate, message) pairs for a wrong accuracy: each a mistake's result on these inputs."""
    hints = [
        (float(np.mean((p >= threshold) == (y > 0.5))),
         "at a tie (p equal to the threshold) the prediction must be class 0: class 1 is predicted where "
         "p > threshold, strictly greater (use >, not >=)"),
        (1 - expected, "the threshold is on the wrong side: class 1 is predicted where p > threshold"),
        (float(np.mean((p < threshold) == (y > 0.5))),
         "the threshold is on the wrong side: class 1 is predicted where p > threshold"),
        (expected * 100, "accuracy returned a percentage; return the fraction in [0, 1] (0.8, not 80)"),
        (expected * m,
         "accuracy returned the number of correct predictions; divide by the number of samples to get a "
         "fraction in [0, 1]"),
        (float(np.mean(p == y)), "the probabilities were compared to the labels directly; threshold them first"),
    ]
    if not default_used:
        hints.append((float(np.mean((p > 0.5) == (y > 0.5))),
                      f"the threshold argument ({threshold}) was ignored: the 0.5 is hard-coded"))
    return hints


def check_accuracy(accuracy, points=None, seed=0):
    """accuracy(Y_hat, Y, threshold=0.5): the fraction of samples with (p > threshold) == y."""
    rng = _rng(seed)
    report = Report("accuracy", points)

    hand = (
        np.array([0.9, 0.2, 0.6, 0.4, 0.51]).reshape(5, 1, 1),
        np.array([1.0, 0.0, 0.0, 0.0, 1.0]).reshape(5, 1, 1),
    )  # 4 of 5 right
    # A prediction exactly at 0.5 (class 0): 4 of 5 right with >, 3 with >=, 2 with <, 1 with <=.
    ties = (
        np.array([0.5, 0.7, 0.1, 0.8, 0.3]).reshape(5, 1, 1),
        np.array([0.0, 1.0, 0.0, 0.0, 0.0]).reshape(5, 1, 1),
    )

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
        expected = float(np.mean((p > threshold) == (y > 0.5)))
        hints = _accuracy_hints(p, y, threshold, len(p), expected, default_used)
        expect_close("accuracy", value, expected, hints, rtol=1e-12, atol=1e-12)

    with report.part("fraction of samples with (p > 0.5) == y, ties at 0.5 included", weight=2):
        for p, y in (hand, ties):
            expect(p, y, 0.5, run_student(accuracy, p.copy(), y.copy()), default_used=True)
        for m in (int(rng.integers(8, 30)), 1, 2):
            p, y = random_case(m)
            expect(p, y, 0.5, run_student(accuracy, p.copy(), y.copy()), default_used=True)

    with report.part("uses the threshold argument (0.8, 0.15, and 0.6 at a tie)", weight=1):
        p, y = hand
        for threshold in (0.8, 0.15, 0.6):
            expect(p, y, threshold, run_student(accuracy, p.copy(), y.copy(), threshold=threshold))
        p, y = random_case(int(rng.integers(10, 30)))
        expect(p, y, 0.3, run_student(accuracy, p.copy(), y.copy(), 0.3))

    with report.part("returns a plain number between 0 and 1 (a float)", weight=0.5):
        p, y = hand
        got = run_student(accuracy, p.copy(), y.copy())
        if isinstance(got, (bool, np.bool_)) or not isinstance(got, (float, int, np.floating, np.integer)):
            raise CheckFailed(f"accuracy returned a {type(got).__name__}; return a float, e.g. float(np.mean(...))")
        if not 0.0 <= float(got) <= 1.0:
            raise CheckFailed(f"accuracy returned {got}, outside [0, 1]: return a fraction, not a count "
                              "or a percentage")
    return report.finish()


# -------------------------------------------------------------------------- train
@contextlib.contextmanager
def _reference_helpers(train, helpers=None):
    """Swap the reference minibatches and accuracy into the namespace `train` reads.

    The student's loop calls `minibatches` and `accuracy` by name; during the
    check they are the reference ones, so a bug there costs points only in the
    checks of those two functions. The student's versions are restored after.
    `helpers` may hold copies of the two made where the loop runs (the grader's
    sandbox, see _expect_learning); otherwise they are this module's.
    """
    namespace = getattr(train, "__globals__", None)
    helpers = helpers or {}
    replacements = {"minibatches": helpers.get("_reference_batches") or _reference_batches,
                    "accuracy": helpers.get("_reference_accuracy") or _reference_accuracy}
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


_SHORT_SIZES = (2, 4, 1)  # the network of the short runs


class _Run:
    """One short run of the student's loop on a logged network: what went in and what happened.

    The data are circle points, whose rows are all different: each input the model sees
    is traced back to its row of X (`ids`).
    """

    def __init__(self, m, batch_size, epochs, seed, data_seed):
        from dataset import dataset_circles

        self.m, self.batch_size, self.epochs, self.seed = m, batch_size, epochs, seed
        self.X, self.Y = dataset_circles(m=m, seed=data_seed)
        self.X_before, self.Y_before = self.X.copy(), self.Y.copy()
        self.rows = {x.tobytes(): i for i, x in enumerate(self.X)}
        self.log, self.history, self.error = [], None, None
        self.label = f"train(..., X, Y, epochs={epochs}, batch_size={batch_size}, seed={seed}) on {m} samples"
        self._batches = None

    def start(self, train, rng):
        LoggedModel, LoggedSGD = _logged_classes(self.log)
        model = _build(_SHORT_SIZES, rng, LoggedModel)
        BCELoss = _framework()[3]
        try:
            with _reference_helpers(train):
                # The caller's own arrays, not copies: train must leave them as they were.
                self.history = run_student(train, model, BCELoss(), LoggedSGD(model, 0.5), self.X, self.Y,
                                           self.epochs, self.batch_size, seed=self.seed)
        except CheckFailed as failure:
            self.error = f"{self.label}: {failure}"
        return self

    def require(self):
        if self.error is not None:
            raise CheckFailed(self.error)

    def ids(self, X_batch, what="the model was trained on"):
        """The rows of X that the inputs `X_batch` (k, n, 1) are, as an int array (k,)."""
        try:
            return np.array([self.rows[np.asarray(x, dtype=float).tobytes()] for x in X_batch], dtype=int)
        except (KeyError, TypeError, ValueError):
            raise CheckFailed(f"{what} inputs that are not rows of X") from None

    @property
    def without_backward(self):
        """Whether the loop never called model.backward (the call-order part says so)."""
        return not any(event[0] == "backward" for event in self.log)

    def batches(self):
        """[(ids, Y_hat)] of every backward call: the inputs and output of the forward just before it.
        A loop that never calls backward trains on nothing: then its forward passes are the batches it
        meant to train on, so that the parts about the batches and the records judge what it did."""
        if self._batches is None:
            found, last = [], None
            for event in self.log:
                if event[0] == "forward" and self.without_backward:
                    found.append((self.ids(event[1]), event[2]))
                elif event[0] == "forward":
                    last = event
                elif event[0] == "backward" and last is not None:
                    found.append((self.ids(last[1]), last[2]))
            self._batches = found
        return self._batches

    def epochs_seen(self):
        """Per epoch, ([(ids, Y_hat)] of its batches, the parameters after its last step or None):
        the training batches cut into epochs where m samples have been seen."""
        try:
            return self._epochs_seen()
        except CheckFailed:
            if self.without_backward:  # e.g. a forward pass over all of X for the records: no batches to tell
                raise CheckFailed("not judged without model.backward (see above): it marks the training batches "
                                  "among the forward passes") from None
            raise

    def _epochs_seen(self):
        snapshots = [event[1] for event in self.log if event[0] == "step"]
        epochs, chunk, seen = [], [], 0
        for k, (ids, Y_hat) in enumerate(self.batches()):
            chunk.append((ids, Y_hat))
            seen += len(ids)
            if seen > self.m:
                raise CheckFailed(f"{self.label}: {self._overrun_hint(len(epochs), chunk)}")
            if seen == self.m:
                epochs.append((chunk, snapshots[k] if k < len(snapshots) else None))
                chunk, seen = [], 0
        if len(epochs) != self.epochs or chunk:
            total = sum(len(ids) for ids, _ in self.batches())
            raise CheckFailed(f"{self.label}: the forward passes that backward followed saw {total} samples; "
                              f"expected {self.epochs} epochs of {self.m}")
        return epochs

    def _overrun_hint(self, epoch, chunk):
        """Why the batches `chunk` of epoch `epoch` went past m samples (fewer than m came before the last)."""
        earlier = np.concatenate([ids for ids, _ in chunk[:-1]]) if len(chunk) > 1 else np.zeros(0, int)
        repeat = _first_repeat(earlier)
        if repeat is not None:
            return (f"sample {repeat} came twice among the first {len(earlier)} samples of epoch {epoch}, before "
                    f"all {self.m} had come: each epoch trains on every sample exactly once")
        return (f"the first {len(earlier)} samples of epoch {epoch} were all different (not all {self.m}), then "
                f"a batch of {len(chunk[-1][0])} went past {self.m}: each epoch trains on every sample exactly "
                "once, the last, smaller batch too")


def _short_runs(train, rng):
    """The check's two short runs: different sizes, batch sizes (each with a smaller last batch) and seeds."""
    plans = [(50, int(rng.choice([6, 7, 9, 12])), 3), (33, int(rng.choice([4, 5, 8, 10])), 2)]
    return [_Run(m, batch_size, epochs, int(rng.integers(1, 1000)), int(rng.integers(0, 10_000)))
            .start(train, rng) for m, batch_size, epochs in plans]


def _expect_call_order(run):
    """forward, backward of the loss gradient of that forward, step: for every batch, in this order."""
    run.require()
    BCELoss = _framework()[3]
    kinds = [event[0] for event in run.log if event[0] in ("backward", "step")]
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
    if kinds != ["backward", "step"] * (len(kinds) // 2):
        raise CheckFailed("backward and step must alternate, once per mini-batch: backward, step, backward, step, ...")
    last_forward = None
    for event in run.log:
        if event[0] == "forward":
            last_forward = event
        elif event[0] == "backward":
            if last_forward is None:
                raise CheckFailed("model.backward was called before any forward pass")
            Y_hat = last_forward[2]
            Y_batch = run.Y_before[run.ids(last_forward[1])]
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


def _same_batches(a, b):
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


def _batches_hint(run, epoch, got, order_of):
    """Why epoch `epoch` of `run` trained on the batches `got` instead of those of seed + epoch."""
    sizes = [len(ids) for ids in got]
    seed, B = run.seed, run.batch_size
    if len(got) == 1:
        return f"each epoch was one batch of all {run.m} samples: train on mini-batches of batch_size ({B})"
    if len(set(sizes[:-1])) == 1 and sizes[0] != B:
        return (f"the mini-batches have {sizes[0]} samples, but batch_size is {B}: pass the batch_size "
                "argument on to minibatches")
    if np.array_equal(np.concatenate(got), np.arange(run.m)):
        return "the samples came in their original order: shuffle them (shuffle=True)"
    if epoch > 0 and _same_batches(got, order_of(seed)):
        return (f"epoch {epoch} repeated the batches of epoch 0: shuffle every epoch with "
                "seed=seed + epoch, so that each epoch gets a new order")
    for other, text in ((seed + epoch + 1, "seed + epoch + 1"), (seed + epoch - 1, "seed + epoch - 1"),
                        (epoch, "the epoch number alone (the seed argument was ignored)")):
        if other >= 0 and _same_batches(got, order_of(other)):
            return f"epoch {epoch} was shuffled with {text}: use seed=seed + epoch (epoch 0 uses the seed itself)"
    return (f"epoch {epoch} did not train on the batches of minibatches(X, Y, batch_size, shuffle=True, "
            "seed=seed + epoch), in their order")


def _expect_epoch_batches(run):
    """Epoch e trains on the batches of minibatches(X, Y, batch_size, shuffle=True, seed=seed + e)."""
    run.require()

    def order_of(seed):
        """The batches (arrays of row ids) the reference minibatches yields for `seed`."""
        return _batch_indices(run.m, run.batch_size, seed=seed)

    for epoch, (chunk, _) in enumerate(run.epochs_seen()):
        got = [ids for ids, _ in chunk]
        if not _same_batches(got, order_of(run.seed + epoch)):
            raise CheckFailed(f"{run.label}: {_batches_hint(run, epoch, got, order_of)}")


def _expect_inputs_kept(run):
    run.require()
    if not (np.array_equal(run.X, run.X_before) and np.array_equal(run.Y, run.Y_before)):
        raise CheckFailed("train changed the caller's X or Y in place (an in-place shuffle?): let minibatches "
                          "pick the rows (X[index] is a new array) and leave X and Y as they were")


def _evaluate(values, X):
    """The output on X of the short runs' network with the parameters `values`."""
    clone = _load(_build(_SHORT_SIZES, _rng(0)), values)
    with np.errstate(all="ignore"):
        return clone(X)


def _epoch_records(run):
    """Per epoch: the per-sample losses and correct predictions of each batch, and the whole
    set's loss and accuracy after the epoch (nan when unknown)."""
    BCELoss = _framework()[3]
    records = []
    with np.errstate(all="ignore"):
        for chunk, end in run.epochs_seen():
            losses = [BCELoss()(Y_hat, run.Y_before[ids])[:, 0, 0] for ids, Y_hat in chunk]
            correct = [((Y_hat > 0.5) == (run.Y_before[ids] > 0.5)).ravel() for ids, Y_hat in chunk]
            full_loss, full_accuracy = np.nan, np.nan
            if end is not None:
                Y_hat = _evaluate(end, run.X_before)
                full_loss = float(np.mean(BCELoss()(Y_hat, run.Y_before)))
                full_accuracy = float(np.mean((Y_hat > 0.5) == (run.Y_before > 0.5)))
            records.append((losses, correct, full_loss, full_accuracy))
    return records


def _close(a, b):
    with np.errstate(all="ignore"):
        return bool(np.allclose(a, b, rtol=1e-6, atol=1e-9))


def _expect_epoch_loss(run):
    """history['loss'][e]: the mean per-sample loss over epoch e (or over the whole set after it)."""
    run.require()
    got = _history_values(run.history, "loss", run.epochs)
    records = _epoch_records(run)
    expected = [np.concatenate(losses).mean() for losses, _, _, _ in records]
    if _close(got, expected) or _close(got, [full for _, _, full, _ in records]):
        return
    last = np.array([losses[-1].mean() for losses, _, _, _ in records])
    expect_close("history['loss']", got, expected, hints=[
        ([np.mean([batch.mean() for batch in losses]) for losses, _, _, _ in records],
         "that is the plain mean of the batch means, in which the last, smaller batch counts as much as a "
         "full one; weight each batch by its size (add up the per-sample losses, divide by m)"),
        (last, "that is the loss of the last mini-batch of each epoch; average the per-sample losses over "
               "the whole epoch"),
        ([np.concatenate(losses).sum() for losses, _, _, _ in records],
         "the per-sample losses were summed; divide by the number of samples"),
        (last * len(records[0][0][-1]), "that is the summed loss of the last mini-batch only"),
    ])


def _expect_epoch_accuracy(run):
    """history['accuracy'][e]: the fraction of epoch e's predictions that were right (or the whole set's)."""
    run.require()
    got = _history_values(run.history, "accuracy", run.epochs)
    records = _epoch_records(run)
    expected = np.array([np.concatenate(correct).mean() for _, correct, _, _ in records])
    if _close(got, expected) or _close(got, [full for _, _, _, full in records]):
        return
    expect_close("history['accuracy']", got, expected, hints=[
        ([np.mean([batch.mean() for batch in correct]) for _, correct, _, _ in records],
         "that is the plain mean of the batch accuracies, in which the last, smaller batch counts as much "
         "as a full one; weight each batch by its size"),
        ([correct[-1].mean() for _, correct, _, _ in records], "that is the accuracy of the last mini-batch only"),
        (expected * 100, "that is a percentage; record the fraction in [0, 1]"),
        (expected * run.m, "that is a count of correct predictions, not a fraction"),
    ])


def _expect_learning(train, seed, helpers):
    """The student's loop trains TRAIN_BUDGET's network on circles to the target accuracy."""
    from dataset import dataset_circles

    _, _, _, BCELoss, _ = _framework()
    X, Y = dataset_circles(m=TRAIN_BUDGET["m"], seed=0)
    local = _build(TRAIN_BUDGET["sizes"], _rng(0))
    loss_fn = BCELoss()
    with np.errstate(all="ignore"):
        before = float(np.mean(loss_fn(local(X), Y)))
    names = ("Linear", "Tanh", "Sigmoid", "BCELoss", "Model")
    classes = tuple(helpers[name] for name in names) if helpers else None
    model = _build(TRAIN_BUDGET["sizes"], _rng(0), classes=classes)
    SGD = helpers["_ReferenceSGD"] if helpers else _ReferenceSGD
    # The batches and accuracies of this run feed no verdict but the final parameters', which are
    # evaluated here: the grader's copies of the reference helpers may run beside the loop.
    with _reference_helpers(train, helpers):
        run_student(train, model, classes[3]() if classes else loss_fn, SGD(model, TRAIN_BUDGET["lr"]),
                    X.copy(), Y.copy(), TRAIN_BUDGET["epochs"], TRAIN_BUDGET["batch_size"], seed=seed)
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


def check_train(train, points=None, seed=0, helpers=None):
    """train(model, loss_fn, optimizer, X, Y, epochs, batch_size, seed): the training loop.

    Two short runs (different batch sizes and seeds, a smaller last batch each) on a logged
    network of the framework classes, with the reference optimizer, minibatches and accuracy:
    forward, backward, step once per mini-batch in this order; epoch e on the batches of
    minibatches(X, Y, batch_size, shuffle=True, seed=seed + e); the caller's X and Y untouched;
    one loss and one accuracy per epoch, weighted by batch size. Then a long run: it learns circles.

    `helpers` (the framework classes and `_ReferenceSGD`, by name) lets the grader build
    the network of the long learning run where the student's loop runs; its final
    parameters are then evaluated here.
    """
    rng = _rng(seed)
    report = Report("train", points)
    runs = _short_runs(train, rng)

    def each(expectation, *args):
        for run in runs:
            expectation(run, *args)

    with report.part("returns {'loss': [...], 'accuracy': [...]}, one value per epoch", weight=0.5):
        for run in runs:
            run.require()
            _history_values(run.history, "loss", run.epochs)
            _history_values(run.history, "accuracy", run.epochs)
    with report.part("for every mini-batch: forward, then backward of the loss gradient, then one step", weight=1.5):
        each(_expect_call_order)
    with report.part("epoch e trains on the batches of minibatches(X, Y, batch_size, shuffle=True, "
                     "seed=seed + e)", weight=1):
        each(_expect_epoch_batches)
    with report.part("the caller's X and Y are left as they were", weight=0.5):
        each(_expect_inputs_kept)
    with report.part("history['loss'][e] = mean per-sample loss over epoch e (batches weighted by size)", weight=1):
        each(_expect_epoch_loss)
    with report.part("history['accuracy'][e] = training accuracy of epoch e, in [0, 1] (weighted by size)",
                     weight=0.5):
        each(_expect_epoch_accuracy)
    with report.part(
        "learns: lowers the loss and reaches >= 95 % training accuracy on circles "
        f"(2-16-16-1 Tanh/Sigmoid, BCE, lr {TRAIN_BUDGET['lr']}, {TRAIN_BUDGET['epochs']} "
        f"epochs, batch_size {TRAIN_BUDGET['batch_size']})",
        weight=1,
    ):
        for run in runs:
            run.require()
        _expect_learning(train, seed, helpers)
    return report.finish()


# ------------------------------------------------------------ the validation split
# (m, val_fraction): whole numbers val_fraction * m, then 1.75 (int() gives 1, round 2) and 5.4 (ceil gives
# 6, round 5); none near a half, where rounding conventions differ.
_SPLIT_CASES = ((40, 0.25), (12, 0.5), (25, 0.2), (7, 0.25), (18, 0.3))


def _split_size_error(parts, m, n_val, fraction):
    """Why the four parts do not have the sizes of round(fraction * m) validation samples, or None."""
    sizes, expected = [len(part) for part in parts], [m - n_val, m - n_val, n_val, n_val]
    if sizes == expected:
        return None
    message = f"for m = {m} and val_fraction = {fraction:g} the sizes are {sizes}; expected {expected}"
    if sizes[2] == n_val:
        return f"{message}: the training part is every sample not held out for validation"
    if sizes[2] == int(fraction * m):
        return (f"{message}: {fraction * m:g} was cut down to {sizes[2]} (as int() does); "
                "n_val = round(val_fraction * m)")
    if sizes[2] == int(np.ceil(fraction * m)):
        return f"{message}: {fraction * m:g} was rounded up to {sizes[2]}; n_val = round(val_fraction * m)"
    return f"{message}: round(val_fraction * m) validation samples, the rest for training"


def _split_parts(result, m, n_val):
    """The four arrays the split returned, as float arrays, after checking their count, shapes and order."""
    if not isinstance(result, (tuple, list)) or len(result) != 4:
        raise CheckFailed("split_train_validation must return four arrays: X_train, Y_train, X_val, Y_val")
    parts = [np.asarray(part, dtype=float) for part in result]
    sizes = [len(part) if part.ndim == 3 else None for part in parts]
    if None in sizes:
        raise CheckFailed(f"the four arrays have shapes {[part.shape for part in parts]}; each must be "
                          "(k, n, 1): index the sample axis only")
    if sizes == [n_val, n_val, m - n_val, m - n_val] and n_val != m - n_val:
        raise CheckFailed("the validation part came first: return X_train, Y_train, X_val, Y_val in this order")
    return parts


def _split_order_hint(train_ids, val_ids, m, n_val, seed):
    order = _permutation(m, seed)
    if np.array_equal(val_ids, np.arange(n_val)) or np.array_equal(train_ids, np.arange(m - n_val)):
        return ("the split is not random: one part is the first rows of X (datasets often come sorted by "
                "class); take the rows of a permutation, np.random.default_rng(seed).permutation(m)")
    if np.array_equal(val_ids, order[m - n_val:]) or np.array_equal(train_ids, order[:m - n_val]):
        return "validation must be the first n_val samples of the permutation and training the rest, not the other way"
    if np.array_equal(val_ids, np.random.RandomState(seed).permutation(m)[:n_val]):
        return ("that is the order of NumPy's legacy generator (np.random.seed or RandomState); use "
                "np.random.default_rng(seed).permutation(m)")
    if np.array_equal(np.sort(val_ids), np.sort(order[:n_val])):
        return "the right samples, but in another order: keep the order of the permutation (X[order[:n_val]])"
    return (f"the validation samples are not those of np.random.default_rng(seed).permutation(m)[:n_val]: "
            f"for m = {m}, seed = {seed} they start with {order[:4].tolist()}, yours with {val_ids[:4].tolist()}")


def check_split(split_train_validation, points=None, seed=0):
    """split_train_validation(X, Y, val_fraction, seed) -> X_train, Y_train, X_val, Y_val."""
    rng = _rng(seed)
    report = Report("split_train_validation", points)
    # (m, the validation size returned, seed, X, Y, X_copy, Y_copy, parts, error): a wrong size costs the
    # first part only (`size_errors`); the other parts judge the split the student made.
    runs, size_errors = [], []
    for m, fraction in _SPLIT_CASES:
        case_seed, n_val = int(rng.integers(0, 1000)), round(fraction * m)
        X, Y = _tagged_data(m)
        X_copy, Y_copy = X.copy(), Y.copy()
        try:
            parts = _split_parts(run_student(split_train_validation, X, Y, fraction, seed=case_seed), m, n_val)
            size_errors.append(_split_size_error(parts, m, n_val, fraction))
            runs.append((m, len(parts[2]), case_seed, X, Y, X_copy, Y_copy, parts, None))
        except CheckFailed as failure:
            runs.append((m, n_val, case_seed, X, Y, X_copy, Y_copy, None, str(failure)))

    def each_run():
        for run in runs:
            if run[-1] is not None:
                raise CheckFailed(run[-1])
            yield run[:-1]

    with report.part("returns X_train, Y_train, X_val, Y_val: round(val_fraction * m) validation samples, "
                     "the rest for training", weight=0.5):
        list(each_run())
        wrong_size = next(filter(None, size_errors), None)
        if wrong_size:
            raise CheckFailed(wrong_size)
    with report.part("every sample in exactly one part, X and Y rows kept together", weight=0.5):
        for m, _, _, _, _, _, _, (X_train, Y_train, X_val, Y_val) in each_run():
            for X_part, Y_part in ((X_train, Y_train), (X_val, Y_val)):
                if not np.array_equal(Y_part[:, 0, 0], X_part[:, 0, 0] + 0.5):
                    raise CheckFailed("X and Y do not match row by row: take both with the same index array")
            ids = np.concatenate([X_train[:, 0, 0], X_val[:, 0, 0]]).astype(int)
            if not np.array_equal(np.sort(ids), np.arange(m)):
                raise CheckFailed("some samples are in both parts or in neither: split one permutation "
                                  "of the indices in two")
    with report.part("the order of np.random.default_rng(seed).permutation(m): validation its first n_val "
                     "samples, training the rest", weight=0.5):
        for m, n_val, case_seed, _, _, _, _, (X_train, _, X_val, _) in each_run():
            train_ids, val_ids = X_train[:, 0, 0].astype(int), X_val[:, 0, 0].astype(int)
            order = _permutation(m, case_seed)
            if not (np.array_equal(val_ids, order[:n_val]) and np.array_equal(train_ids, order[n_val:])):
                raise CheckFailed(_split_order_hint(train_ids, val_ids, m, n_val, case_seed))
    with report.part("X and Y themselves are left unchanged", weight=0.25):
        for _, _, _, X, Y, X_copy, Y_copy, _ in each_run():
            if not (np.array_equal(X, X_copy) and np.array_equal(Y, Y_copy)):
                raise CheckFailed("the split changed the caller's X or Y (an in-place shuffle?): index with "
                                  "the permutation instead, X[order]")
    return report.finish()


# --------------------------------------------------------------- the tiny batch
def tiny_batch():
    """The TINY_BUDGET points: X (m, 2, 1) and Y (m, 1, 1)."""
    from dataset import dataset_circles

    return dataset_circles(m=TINY_BUDGET["m"], seed=TINY_BUDGET["data_seed"])


def _memorise(lr, epochs, init_seed):
    """Full-batch gradient descent of a fresh TINY_BUDGET network on the tiny batch, with this
    module's reference optimizer; (loss before, loss after, accuracy after)."""
    _, _, _, BCELoss, _ = _framework()
    X, Y = tiny_batch()
    model, loss_fn = _build(TINY_BUDGET["sizes"], _rng(init_seed)), BCELoss()
    optimizer = _ReferenceSGD(model, lr)
    with np.errstate(all="ignore"):
        start = float(np.mean(loss_fn(model(X), Y)))
        for _ in range(epochs):
            Y_hat = model(X)
            model.backward(loss_fn.backward(Y_hat, Y))
            optimizer.step()
        Y_hat = model(X)
        return start, float(np.mean(loss_fn(Y_hat, Y))), _reference_accuracy(Y_hat, Y)


def _tiny_settings(settings):
    """(lr, epochs) from the student's settings; CheckFailed unless they are usable."""
    limit = TINY_BUDGET["max_epochs"]
    if not isinstance(settings, dict) or not {"lr", "epochs"} <= set(settings):
        raise CheckFailed(f"tiny_batch_settings must return a dict {{'lr': ..., 'epochs': ...}}; got {settings!r:.60}")
    lr, epochs = settings["lr"], settings["epochs"]
    numbers = (int, float, np.integer, np.floating)
    if isinstance(lr, bool) or not isinstance(lr, numbers) or not np.isfinite(lr) or lr <= 0:
        raise CheckFailed(f"'lr' must be a positive number; got {lr!r:.40}")
    if isinstance(epochs, bool) or not isinstance(epochs, numbers) or not float(epochs).is_integer() \
            or not 1 <= epochs <= limit:
        raise CheckFailed(f"'epochs' must be a whole number from 1 to {limit}; got {epochs!r:.40}")
    return float(lr), int(epochs)


def check_tiny_batch(tiny_batch_settings, points=None, seed=0):
    """tiny_batch_settings() -> {"lr", "epochs"} with which full-batch gradient descent memorises
    the tiny batch, from any of three random initializations (trained here)."""
    rng = _rng(seed)
    report = Report("tiny_batch_settings", points)
    target, m = TINY_BUDGET["target_loss"], TINY_BUDGET["m"]
    settings, error = None, None
    try:
        settings = run_student(tiny_batch_settings)
    except CheckFailed as failure:
        error = f"tiny_batch_settings() {failure}"

    def usable():
        if error is not None:
            raise CheckFailed(error)
        return _tiny_settings(settings)

    with report.part(f"returns {{'lr': a positive number, 'epochs': a whole number from 1 to "
                     f"{TINY_BUDGET['max_epochs']}}}", weight=0.5):
        usable()
    with report.part(f"memorises the {m} points: loss below {target} and accuracy 100 %, from three random "
                     "initializations", weight=1):
        lr, epochs = usable()
        for init_seed in rng.integers(0, 10_000, size=3):
            start, after, reached = _memorise(lr, epochs, int(init_seed))
            if not np.isfinite(after) or after > start:
                raise CheckFailed(f"the loss blew up ({start:.2f} at the start, {after:.3g} after {epochs} epochs): "
                                  "the learning rate is too large, every step overshoots (section 2)")
            if after >= target or reached < 1.0:
                raise CheckFailed(f"after {epochs} epochs the loss is {after:.3f} (target: below {target}) and "
                                  f"{reached:.0%} of the points are right: larger steps or more epochs (at most "
                                  f"{TINY_BUDGET['max_epochs']})")
    return report.finish()
