"""Checks of Task 5 (generalization): one function per answer cell, and the demo cells' helper.

Each `check_*` function tests one answer alone, through its public API only, against values
computed here. Called without `points` it is the student's self-check (prints the list of
parts and records the result for the notebook's last cell); with `points` it is the
autograder (prints the same list and returns the partial credit as a plain float).

Isolation, so that a bug costs points in its own cell only:
- `check_k_fold` gives the splits samples it can recognise one by one (every row of X and
  every label is a different number) and traces every sample of every returned part back
  to X and Y;
- `check_l2` builds a network of the given `framework` classes with known W and b, runs a
  forward and backward pass, writes known gradients into dW and db, and compares the
  penalty and the new gradients with the formulas;
- `check_l2_generalizes` trains a network with the student's `add_l2_gradient` (where the
  student's code runs) and judges the trained weights with its own forward pass on unseen
  data, against the same network trained here without the penalty;
- `check_dropout` measures the statistics of the student's masks on 100 000 entries: the
  tolerances are more than ten standard errors wide, so a correct answer passes whatever
  its random numbers;
- `check_early_stopping` feeds a known sequence of validation losses and writes known
  weights into the model before every epoch, as an optimizer would (new arrays, or the
  same arrays changed in place).

`explain_errors` is for the demo cells that run the student's code: an unfinished or failing
exercise prints one line naming it, so that Run All reaches the end of the notebook.
`SELF_CHECKS` lists the self-checks the last cell sums up.

Shapes follow the course: a batch is (m, n, 1); Linear's W is (out, in), b is (out, 1).
"""

import functools

import numpy as np

from scoring import CheckFailed, ExplainErrors, Report, expect_close, run_student, snapshot, stable_sigmoid

__all__ = [
    "SELF_CHECKS",
    "GENERALIZATION_BUDGET",
    "explain_errors",
    "check_k_fold",
    "check_l2",
    "check_l2_generalizes",
    "check_dropout",
    "check_early_stopping",
]

# The Report titles of the notebook's self-checks, in notebook order (its last cell sums them up).
SELF_CHECKS = ("k_fold_splits", "l2_penalty and add_l2_gradient", "L2 on unseen data", "Dropout",
               "EarlyStopping")
# What the student writes, and where: a failing demo cell names the exercise to finish.
EXERCISES = {"k_fold_splits": "Exercise 1", "l2_penalty": "Exercise 2", "add_l2_gradient": "Exercise 2",
             "Dropout": "Exercise 3", "EarlyStopping": "Exercise 4"}

# What `check_l2_generalizes` trains (stated in the notebook): full-batch Adam on `m` noisy
# moons, once with lam = 0 (here) and once with the student's L2 gradient; both are judged
# on `unseen` fresh points of the same distribution.
GENERALIZATION_BUDGET = {
    "dataset": "moons",
    "noise": 0.3,
    "m": 100,
    "unseen": 2000,
    "sizes": (2, 64, 64, 1),
    "lr": 0.01,
    "epochs": 400,
    "lam": 0.01,
    "max_loss_ratio": 0.5,  # the L2 network's unseen loss is at most half the other's ...
    "min_accuracy_gain": 0.01,  # ... and its unseen accuracy at least 1 point higher
}


def _rng(seed):
    return np.random.default_rng(seed)


# ------------------------------------------------------------ the demo cells' helper
def explain_errors(*uses):
    """`with explain_errors("Dropout", "EarlyStopping"):` around a demo cell that runs them."""
    return ExplainErrors(EXERCISES, uses)


# ------------------------------------------------------------ running student code in steps
class _Steps:
    """Student calls made one after the other; the first failure stops the rest.

    A part asks for the value of a step (`steps["out"]`) and fails with the first error when
    that step never ran, so that every part reports what went wrong before it.
    """

    def __init__(self):
        self.values, self.error = {}, None

    def run(self, name, what, function, *args):
        if self.error is not None:
            return
        try:
            value = run_student(function, *args)
            self.values[name] = snapshot(value) if isinstance(value, np.ndarray) else value
        except CheckFailed as failure:
            self.error = f"{what} {failure}"

    def __getitem__(self, name):
        if name not in self.values:
            raise CheckFailed(self.error or f"{name} was not computed")
        return self.values[name]

    def __contains__(self, name):
        return name in self.values


def _classes(helpers, names):
    """The classes a check builds, by name: the grader's stand-ins (`helpers`) or this side's own."""
    if helpers:
        return tuple(helpers[name] for name in names)
    from framework import BCELoss, Linear, Model, ReLU, Sigmoid
    from optimizers import Adam

    local = {"Linear": Linear, "ReLU": ReLU, "Sigmoid": Sigmoid, "BCELoss": BCELoss, "Model": Model,
             "Adam": Adam, "_SetWeights": _SetWeights, "_Restore": _Restore, "_SetMode": _SetMode,
             "_FitL2": _FitL2}
    return tuple(local[name] for name in names)


def _get(obj, name):
    """obj.name, read through run_student (a stand-in's attribute crosses the sandbox wall)."""
    return snapshot(run_student(getattr, obj, name))


# ------------------------------------------------------------------ k_fold_splits
def _recognisable_data(rng, m):
    """X (m, 2, 1) and Y (m, 1, 1) whose rows are all different numbers: each can be traced back."""
    X = rng.standard_normal((m, 2, 1))
    Y = rng.permutation(m).reshape(m, 1, 1) + rng.uniform(0.1, 0.9, size=(m, 1, 1))
    return X, Y


def _all_splits(k_fold_splits, *args):
    """The splits k_fold_splits(*args) gives, as a list (a list, a tuple or a generator of them)."""
    result = k_fold_splits(*args)
    if isinstance(result, np.ndarray) or not hasattr(result, "__iter__"):
        raise CheckFailed(f"returned a {type(result).__name__}; return a list of k tuples "
                          "(X_train, Y_train, X_val, Y_val)")
    return list(result)


def _folds_once(k_fold_splits, X, Y, k, seed):
    """{"label", "splits": [(train indices, val indices)], "changed", "detached", "m", "k"} of one call, or
    {"error"}: an index is the row of X a returned sample is; "detached" is the first split whose labels
    are not its samples' own (None: every one's are)."""
    X_in, Y_in = X.copy(), Y.copy()
    label = f"k_fold_splits(X, Y, k={k}, seed={seed}) with m = {len(X)}"
    try:
        result = run_student(_all_splits, k_fold_splits, X_in, Y_in, k, seed)
    except CheckFailed as failure:
        return {"error": f"{label} {failure}"}
    if len(result) != k:
        return {"error": f"{label} gave {len(result)} splits; expected k = {k}, one per fold"}
    rows = {row.tobytes(): i for i, row in enumerate(X)}
    splits, detached = [], None  # detached: the first split whose labels are not its samples' own
    for number, split in enumerate(result, start=1):
        if not isinstance(split, (tuple, list)) or len(split) != 4:
            return {"error": f"{label}: split {number} is not the four arrays X_train, Y_train, X_val, Y_val"}
        parts = [snapshot(part) for part in split]
        for name, part, like in zip(("X_train", "Y_train", "X_val", "Y_val"), parts, (X, Y, X, Y)):
            if not isinstance(part, np.ndarray) or part.dtype.kind != "f" or part.ndim != 3 or \
                    part.shape[1:] != like.shape[1:]:
                shape = getattr(part, "shape", type(part).__name__)
                return {"error": f"{label}: {name} of split {number} is {shape}; expected whole samples of "
                                 f"{name[0]}, shape (n, {like.shape[1]}, 1)"}
        indices = []
        for X_part, Y_part in (parts[:2], parts[2:]):
            if len(X_part) != len(Y_part):
                return {"error": f"{label}: split {number} holds {len(X_part)} inputs but {len(Y_part)} labels"}
            index = np.array([rows.get(np.ascontiguousarray(row).tobytes(), -1) for row in X_part], dtype=int)
            if np.any(index < 0):
                return {"error": f"{label}: some rows of split {number} are not samples of X (take whole rows, "
                                 "X[index])"}
            if detached is None and not np.array_equal(Y_part, Y[index]):
                detached = number
            indices.append(index)
        splits.append(tuple(indices))
    changed = not (np.array_equal(X_in, X) and np.array_equal(Y_in, Y))
    return {"label": label, "splits": splits, "changed": changed, "m": len(X), "k": k, "detached": detached}


def _usable(run):
    if "error" in run:
        raise CheckFailed(run["error"])
    return run


def _expect_folds(run):
    """The k validation folds are a partition of the samples into parts of m // k or m // k + 1."""
    label, m, k = run["label"], run["m"], run["k"]
    folds = [val for _, val in run["splits"]]
    everything = np.concatenate(folds)
    counts = np.bincount(everything, minlength=m)
    twice = [i for i, n in enumerate(counts) if n > 1]
    if k > 2 and np.all(counts == k - 1):
        raise CheckFailed(f"{label}: every sample is validated in {k - 1} splits and trained on in one: each split "
                          "validates on the other folds and trains on its own; the order is X_train, Y_train, "
                          "X_val, Y_val")
    if twice:
        raise CheckFailed(f"{label}: {len(twice)} sample(s) are validated in more than one split (sample "
                          f"{twice[0]}, ...): cut ONE permutation into k folds (a new permutation per split "
                          "overlaps the others)")
    never = m - len(everything)
    if never:
        raise CheckFailed(f"{label}: {never} sample(s) are validated in no split ({m} = {k} * {m // k} + "
                          f"{m % k}: the remainder is lost); np.array_split(order, k) spreads it over the folds")
    sizes = [len(fold) for fold in folds]
    if max(sizes) - min(sizes) > 1:
        raise CheckFailed(f"{label}: the folds hold {sizes} samples; make them differ by one at most (m // k or "
                          "m // k + 1 each, as np.array_split does), so that every fold's estimate counts alike")


def _expect_training_parts(run):
    """Each split trains on exactly the samples that are not in its validation fold."""
    label, m = run["label"], run["m"]
    for number, (train, val) in enumerate(run["splits"], start=1):
        leaked = np.intersect1d(train, val)
        if leaked.size:
            raise CheckFailed(f"{label}: split {number} trains on {leaked.size} of its own validation samples "
                              f"(sample {leaked[0]}, ...): a fold the network trained on says nothing about "
                              "unseen data")
        if len(np.unique(train)) < len(train):
            raise CheckFailed(f"{label}: a sample is twice in the training part of split {number}")
        missing = m - len(train) - len(val)
        if missing:
            raise CheckFailed(f"{label}: split {number} trains on {len(train)} samples; it should train on the "
                              f"other {m - len(val)} (every sample not in its validation fold)")


def check_k_fold(k_fold_splits, points=None, seed=0):
    """k_fold_splits(X, Y, k, seed): k splits whose validation folds cover every sample exactly once."""
    rng = _rng(seed)
    report = Report("k_fold_splits", points)
    runs = []
    for k, low, high in ((5, 4, 8), (int(rng.choice([3, 4])), 3, 6)):
        m = k * int(rng.integers(low, high)) + int(rng.integers(2, k))  # a remainder of 2 or more to spread
        X, Y = _recognisable_data(rng, m)
        runs.append(_folds_once(k_fold_splits, X, Y, k, int(rng.integers(0, 1000))))
    X, Y = _recognisable_data(rng, 20)
    fold_seed = int(rng.integers(0, 1000))
    first, again, other = (_folds_once(k_fold_splits, X, Y, 4, s) for s in (fold_seed, fold_seed, fold_seed + 1))

    with report.part("returns k splits, each X_train, Y_train, X_val, Y_val of whole samples", weight=0.5):
        for run in runs:
            _usable(run)
    with report.part("every sample is validated exactly once: k folds of m // k or m // k + 1 samples"):
        for run in runs:
            _expect_folds(_usable(run))
    with report.part("each split trains on exactly the other k - 1 folds"):
        for run in runs:
            _expect_training_parts(_usable(run))
    with report.part("every label stays with its sample", weight=0.5):
        for run in runs:
            if _usable(run)["detached"] is not None:
                raise CheckFailed(f"{run['label']}: in split {run['detached']} the labels no longer belong to their "
                                  "samples: index X and Y with the same indices")
    with report.part("random and seeded: the folds are not runs of the samples in their order; the same seed "
                     "gives the same folds, another seed others", weight=0.5):
        for run in runs:
            val = _usable(run)["splits"][0][1]
            if np.array_equal(np.sort(val), np.arange(len(val))):
                raise CheckFailed(f"{run['label']}: the first fold is the first {len(val)} samples: shuffle with "
                                  "a permutation first (a dataset is often sorted, e.g. by class)")
        folds = [[set(val.tolist()) for _, val in _usable(run)["splits"]] for run in (first, again, other)]
        if folds[0] != folds[1]:
            raise CheckFailed(f"calling {first['label']} twice gave different folds: draw the permutation from "
                              "the seed (np.random.default_rng(seed).permutation(m))")
        if folds[0] == folds[2]:
            raise CheckFailed("seeds 1 apart gave the same folds: the permutation must depend on the seed")
    with report.part("X and Y are left as they were (nothing shuffled in place)", weight=0.25):
        for run in runs:
            if _usable(run)["changed"]:
                raise CheckFailed(f"{run['label']} changed X or Y in place: index them (X[order]) instead of "
                                  "shuffling the caller's arrays")
    return report.finish()


# ------------------------------------------------------------------------------- L2
def _l2_network(rng, classes):
    """A 3-layer ReLU network of the framework's classes with the grader's W and b; its layers."""
    Linear, ReLU, Model = classes
    sizes = [int(rng.integers(2, 6)) for _ in range(4)]
    model, layers = Model(), []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        layer = Linear(n_in, n_out)
        W, b = rng.standard_normal((n_out, n_in)), rng.standard_normal((n_out, 1))
        layer.W, layer.b = W.copy(), b.copy()  # copies: what is expected never changes with the student's code
        model.add_module(layer, f"Dense_{i}")
        if i < len(sizes) - 1:
            model.add_module(ReLU(), f"ReLU_{i}")
        layers.append((f"Dense_{i}", layer, W, b))
    return model, layers, sizes


def _penalty_hints(lam, layers, m):
    squares = [float(np.sum(W**2)) for _, _, W, _ in layers]
    biases = [float(np.sum(b**2)) for _, _, _, b in layers]
    return [
        (lam / 2 * (sum(squares) + sum(biases)), "the biases are in it: the penalty is on the weights W only"),
        (lam * sum(squares), "the factor 1/2 is missing: lam / 2 * sum of ||W||^2 (its gradient is then lam * W)"),
        (lam / 2 * sum(np.sqrt(squares)), "the norms are not squared: sum the squares of the weights"),
        (lam / (2 * m) * sum(squares), f"it is divided by the batch size m = {m}: the penalty is added once to "
                                       "the batch cost J, which is already a mean over the batch"),
        (lam / 2 * sum(float(np.mean(W**2)) for _, _, W, _ in layers),
         "it averages the squares of each layer: the penalty is their sum"),
        (lam / 2 * squares[0], "only the first layer is in it: sum over every Linear layer"),
        (lam / 2 * squares[-1], "only the last layer is in it: sum over every Linear layer"),
        (0.0, "it is zero"),
    ]


def _gradient_hints(lam, W, dW, m):
    return [
        (dW, "dW did not change: add lam * W to it"),
        (lam * W, "dW was replaced by lam * W: add lam * W to the gradient backward stored"),
        (dW + 2 * lam * W, "that adds 2 * lam * W: the derivative of lam / 2 * ||W||^2 is lam * W"),
        (dW + lam * W / m, f"lam * W was divided by the batch size m = {m}: dW is the gradient of the batch "
                           "MEAN already (the 1/m is in Linear.backward), and the penalty is no sum over samples"),
        (dW - lam * W, "lam * W was subtracted: the penalty's gradient is added"),
        (dW + lam * np.sign(W), "that adds lam * sign(W), the gradient of L1 (lam * |W|), not of L2"),
    ]


def check_l2(l2_penalty, add_l2_gradient=None, points=None, seed=0, helpers=None):
    """l2_penalty(model, lam) = lam / 2 * sum of ||W||^2; add_l2_gradient(model, lam): dW += lam * W.

    The grader passes both functions of the cell at once, as {name: function}.
    """
    if isinstance(l2_penalty, dict):
        l2_penalty, add_l2_gradient = l2_penalty["l2_penalty"], l2_penalty["add_l2_gradient"]
    rng = _rng(seed)
    report = Report("l2_penalty and add_l2_gradient", points)
    lam = float(rng.choice([0.05, 0.1, 0.3]))
    model, layers, sizes = _l2_network(rng, _classes(helpers, ("Linear", "ReLU", "Model")))
    m = int(rng.integers(5, 10))
    # A real forward and backward pass first (what the training loop does before the penalty),
    # then gradients known here, so that every expected value is computed from this side's numbers.
    model.forward(rng.standard_normal((m, sizes[0], 1)))
    model.backward(rng.standard_normal((m, sizes[-1], 1)))
    grads = []
    for _, layer, W, b in layers:
        dW, db = rng.standard_normal(W.shape), rng.standard_normal(b.shape)
        layer.dW, layer.db = dW.copy(), db.copy()
        grads.append((dW, db))
    penalty, steps = _Steps(), _Steps()  # two functions: one failing costs the other nothing
    penalty.run("penalty", f"l2_penalty(model, {lam:g})", l2_penalty, model, lam)
    steps.run("added", f"add_l2_gradient(model, {lam:g})", add_l2_gradient, model, lam)
    for name, layer, _, _ in layers:
        for attr in ("W", "b", "dW", "db"):
            steps.run(f"{name}.{attr}", f"reading {name}.{attr} after add_l2_gradient:", _get, layer, attr)

    expected = lam / 2 * sum(float(np.sum(W**2)) for _, _, W, _ in layers)
    with report.part(f"l2_penalty(model, {lam:g}) = lam / 2 * (sum of ||W||^2 over every Linear layer, biases "
                     "excluded), a number", weight=1.5):
        value = penalty["penalty"]
        if isinstance(value, np.ndarray) and value.size == 1:
            value = float(value.reshape(()))
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)):
            raise CheckFailed(f"l2_penalty returned {type(value).__name__}; expected a number (a float)")
        expect_close("the penalty", float(value), expected, _penalty_hints(lam, layers, m), rtol=1e-9, atol=1e-12)
    with report.part(f"add_l2_gradient(model, {lam:g}) adds lam * W to the dW of every Linear layer", weight=1.5):
        for (name, _, W, _), (dW, _) in zip(layers, grads):
            expect_close(f"{name}.dW", steps[f"{name}.dW"], dW + lam * W, _gradient_hints(lam, W, dW, m),
                         rtol=1e-9, atol=1e-12)
    with report.part("... and leaves db, W and b as they were (biases are not penalized)"):
        for (name, _, W, b), (_, db) in zip(layers, grads):
            expect_close(f"{name}.db", steps[f"{name}.db"], db,
                         [(db + lam * b, "lam * b was added: the biases are not penalized, leave db alone")])
            for attr, value in (("W", W), ("b", b)):
                expect_close(f"{name}.{attr}", steps[f"{name}.{attr}"], value,
                             [(value * (1 - lam), f"{name}.{attr} was decayed: only change the gradients (the "
                               "optimizer takes the step)")])
    return report.finish()


# ------------------------------------------------------------- L2 on unseen data
class _FitL2:
    """Full-batch training with the L2 gradient: `epochs` times forward, backward, add_l2_gradient, step.

    Runs where the model lives. `add_gradient` is the function to call (None: the notebook's
    own `add_l2_gradient`); with lam = 0 it is not called at all.
    """

    def __init__(self, model, loss_fn, optimizer, X, Y, epochs, lam, add_gradient=None):
        if add_gradient is None and lam:
            add_gradient = globals()["add_l2_gradient"]  # the notebook's, where this class is defined
        for _ in range(int(epochs)):
            Y_hat = model(X)
            model.backward(loss_fn.backward(Y_hat, Y))
            if lam:
                add_gradient(model, lam)
            optimizer.step()


def _moons(seed, m):
    from dataset import load_dataset

    budget = GENERALIZATION_BUDGET
    return load_dataset(budget["dataset"], m=m, noise=budget["noise"], seed=seed)


def _start_weights(seed):
    """He-initialized [(W, b)] of GENERALIZATION_BUDGET's network, drawn from the check's seed."""
    rng, sizes = _rng(seed), GENERALIZATION_BUDGET["sizes"]
    return [(rng.standard_normal((n_out, n_in)) * np.sqrt(2.0 / n_in), np.zeros((n_out, 1)))
            for n_in, n_out in zip(sizes[:-1], sizes[1:])]


def _network(start, classes):
    """A ReLU network with a Sigmoid output holding the weights `start`, built from `classes`."""
    Linear, ReLU, Sigmoid, Model = classes
    model = Model()
    for i, (W, b) in enumerate(start, start=1):
        layer = Linear(W.shape[1], W.shape[0])
        layer.W, layer.b = W.copy(), b.copy()
        model.add_module(layer, f"Dense_{i}")
        last = i == len(start)
        model.add_module(Sigmoid() if last else ReLU(), "Sigmoid" if last else f"ReLU_{i}")
    return model


def _unseen_scores(params, X, Y):
    """(mean BCE, accuracy) of the network [(W, b)] (ReLU layers, a sigmoid output), computed here."""
    a = X
    for i, (W, b) in enumerate(params):
        z = W @ a + b
        a = np.maximum(z, 0.0) if i < len(params) - 1 else stable_sigmoid(z)
    p = np.clip(a, 1e-12, 1 - 1e-12)
    loss = float(-np.mean(Y * np.log(p) + (1 - Y) * np.log(1 - p)))
    return loss, float(np.mean((a > 0.5) == (Y > 0.5)))


@functools.lru_cache(maxsize=8)
def _without_l2(seed):
    """The unseen (loss, accuracy) of the network trained here with lam = 0 (the same start and data)."""
    budget = GENERALIZATION_BUDGET
    Linear, ReLU, Sigmoid, BCELoss, Model, Adam = _classes(None, ("Linear", "ReLU", "Sigmoid", "BCELoss", "Model",
                                                                  "Adam"))
    model = _network(_start_weights(seed), (Linear, ReLU, Sigmoid, Model))
    X, Y = _moons(seed, budget["m"])
    with np.errstate(all="ignore"):
        _FitL2(model, BCELoss(), Adam(model, budget["lr"]), X, Y, budget["epochs"], 0.0)
    params = [(layer.W, layer.b) for name, layer in model.modules.items() if name.startswith("Dense")]
    return _unseen_scores(params, *_moons(seed + 10_000, budget["unseen"]))


def check_l2_generalizes(add_l2_gradient, points=None, seed=0, helpers=None):
    """The network trained with add_l2_gradient does better on unseen data than without the penalty.

    `helpers` (the framework's classes, Adam and `_FitL2`, by name) lets the grader build and
    train the network where the student's function runs; the trained weights are judged here,
    on fresh points that never leave this side.
    """
    budget = GENERALIZATION_BUDGET
    report = Report("L2 on unseen data", points)
    Linear, ReLU, Sigmoid, BCELoss, Model, Adam, Fit = _classes(
        helpers, ("Linear", "ReLU", "Sigmoid", "BCELoss", "Model", "Adam", "_FitL2"))
    X, Y = _moons(seed, budget["m"])
    baseline_loss, baseline_accuracy = _without_l2(seed)
    scores, error = None, None
    try:
        model = _network(_start_weights(seed), (Linear, ReLU, Sigmoid, Model))
        optimizer = Adam(model, budget["lr"])
        extra = () if helpers else (add_l2_gradient,)
        run_student(Fit, model, BCELoss(), optimizer, X, Y, budget["epochs"], budget["lam"], *extra)
        params = []
        for (W0, b0), (name, layer) in zip(_start_weights(seed), [(n, mod) for n, mod in model.modules.items()
                                                                  if n.startswith("Dense")]):
            W, b = _get(layer, "W"), _get(layer, "b")
            if not (isinstance(W, np.ndarray) and W.shape == W0.shape and isinstance(b, np.ndarray)
                    and b.shape == b0.shape and np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
                raise CheckFailed(f"after training, {name}'s W or b is not a finite array of its shape")
            params.append((W, b))
        scores = _unseen_scores(params, *_moons(seed + 10_000, budget["unseen"]))
        print(f"on {budget['unseen']} unseen points: without L2 loss {baseline_loss:.3f}, accuracy "
              f"{baseline_accuracy:.1%}; with your L2 (lam = {budget['lam']:g}) loss {scores[0]:.3f}, accuracy "
              f"{scores[1]:.1%}")
    except CheckFailed as failure:
        error = f"training with add_l2_gradient: {failure}"

    setting = (f"{'-'.join(map(str, budget['sizes']))} ReLU network, {budget['m']} noisy moons, "
               f"{budget['epochs']} epochs of full-batch Adam({budget['lr']:g}), lam = {budget['lam']:g}")
    with report.part(f"with L2, the loss on {budget['unseen']} unseen points is at most "
                     f"{budget['max_loss_ratio']:g} times the loss without ({setting})"):
        if error:
            raise CheckFailed(error)
        if scores[0] > budget["max_loss_ratio"] * baseline_loss:
            raise CheckFailed(f"the unseen loss is {scores[0]:.3f} with your L2 and {baseline_loss:.3f} without: "
                              "is lam * W added to every dW (the self-check of add_l2_gradient says more)?")
    gain = 100 * budget["min_accuracy_gain"]
    with report.part(f"... and the accuracy on them at least {gain:g} percentage point{'s' * (gain != 1)} higher"):
        if error:
            raise CheckFailed(error)
        if scores[1] < baseline_accuracy + budget["min_accuracy_gain"]:
            raise CheckFailed(f"the unseen accuracy is {scores[1]:.1%} with your L2 and {baseline_accuracy:.1%} "
                              "without")
    return report.finish()


# -------------------------------------------------------------------------- Dropout
class _SetMode:
    """model.train() or model.eval(), as the notebook's training loop calls them."""

    def __init__(self, model, training):
        if training:
            model.train()
        else:
            model.eval()


# 100 000 entries: the fraction of dropped entries is measured within 0.0016 (one standard
# error), so a tolerance of 0.02 is more than ten standard errors wide.
DROPOUT_SHAPE = (400, 250, 1)
FRACTION_TOLERANCE = 0.02


def _scale_hints(p):
    return [(1.0, "the kept entries are not scaled: inverted dropout divides them by 1 - p while training "
                  "(so that the expected output is the input, and evaluation needs no scaling)"),
            (1 - p, "the kept entries are multiplied by 1 - p: divide by it"),
            (1 / p, "the kept entries are scaled by 1 / p: the scale is 1 / (1 - p), with p the probability of "
                    "dropping")]


def _expect_training_output(x, out, p):
    if out.shape != x.shape:
        raise CheckFailed(f"forward returned shape {out.shape} for an input of shape {x.shape}")
    kept = out != 0
    if kept.all():
        raise CheckFailed("nothing was dropped in training mode (a new module trains: self.training is True)")
    scale = out[kept] / x[kept]
    if np.allclose(scale, 1 / (1 - p), rtol=1e-9):
        return
    for value, hint in _scale_hints(p):
        if np.allclose(scale, value, rtol=1e-9):
            raise CheckFailed(hint)
    raise CheckFailed(f"the entries that are not 0 are not input / (1 - p) (scales from {scale.min():.3g} to "
                      f"{scale.max():.3g}; expected {1 / (1 - p):.4g})")


def _expect_fraction(out, p):
    dropped = float(np.mean(out == 0))
    if abs(dropped - p) <= FRACTION_TOLERANCE:
        masks = out == 0
        if np.all(masks == masks[:1]):
            raise CheckFailed("every sample got the same mask: draw one number per entry of the batch "
                              "(np.random.rand(*input.shape))")
        if np.all(masks == masks[:, :1]):
            raise CheckFailed("whole samples were dropped: draw one number per entry (sample and unit)")
        return
    if abs(dropped - (1 - p)) <= FRACTION_TOLERANCE:
        raise CheckFailed(f"{dropped:.1%} dropped for p = {p:g}: p is the probability of DROPPING an entry "
                          "(as in PyTorch's nn.Dropout(p)), not of keeping it")
    raise CheckFailed(f"{dropped:.1%} of the entries dropped for p = {p:g}; expected about {p:.0%}")


def check_dropout(Dropout, points=None, seed=0, helpers=None):
    """Dropout(p): inverted dropout while training (mask drawn in forward, reused in backward), identity in eval."""
    rng = _rng(seed)
    report = Report("Dropout", points)
    p, p_high = float(rng.choice([0.2, 0.3, 0.4])), float(rng.choice([0.6, 0.7]))
    Model, SetMode = _classes(helpers, ("Model", "_SetMode"))
    x = rng.uniform(0.5, 1.5, size=DROPOUT_SHAPE)
    g = rng.standard_normal(DROPOUT_SHAPE)
    steps = _Steps()
    steps.run("dropout", f"Dropout({p:g})", Dropout, p)
    if "dropout" in steps:
        dropout, model = steps["dropout"], Model()
        steps.run("added", "Model().add_module(Dropout(...), 'Dropout')", model.add_module, dropout, "Dropout")
        steps.run("out", "forward (training mode)", dropout.forward, x.copy())
        steps.run("back", "backward (training mode)", dropout.backward, g.copy())
        steps.run("out_next", "a second forward", dropout.forward, x.copy())
        steps.run("eval", "model.eval()", SetMode, model, False)
        steps.run("out_eval", "forward after model.eval()", dropout.forward, x.copy())
        steps.run("back_eval", "backward after model.eval()", dropout.backward, g.copy())
        steps.run("train", "model.train()", SetMode, model, True)
        steps.run("out_train", "forward after model.train()", dropout.forward, x.copy())
    high = _Steps()
    high.run("dropout", f"Dropout({p_high:g})", Dropout, p_high)
    if "dropout" in high:
        high.run("out", f"forward of Dropout({p_high:g})", high["dropout"].forward, x.copy())

    with report.part(f"training: each entry is 0 (dropped) or input / (1 - p) (kept and scaled; p = {p:g})"):
        _expect_training_output(x, steps["out"], p)
    with report.part(f"a fraction p of the entries dropped, one draw per sample and unit (p = {p:g} and {p_high:g})"):
        _expect_fraction(steps["out"], p)
        _expect_fraction(high["out"], p_high)
    with report.part("a new mask at every forward", weight=0.5):
        out, out_next = steps["out"], steps["out_next"]
        if out_next.shape == out.shape and np.array_equal(out_next == 0, out == 0):
            raise CheckFailed("two forward calls dropped the same entries: draw a new mask in every forward")
    with report.part("backward multiplies by the mask and scale of the last forward: da * mask / (1 - p)"):
        out, back = steps["out"], steps["back"]
        expected = g * out / x
        hints = [(g, "backward returned da unchanged: multiply it by the mask forward used"),
                 (g * (out != 0), "the 1 / (1 - p) is missing in backward: the derivative of "
                                  "input * mask / (1 - p) is mask / (1 - p)")]
        if isinstance(back, np.ndarray) and back.shape == g.shape and not np.array_equal(back == 0, out == 0):
            raise CheckFailed("backward zeroed other entries than forward: it drew a new mask; keep the mask "
                              "forward drew (e.g. self.mask) and use it in backward")
        expect_close("backward(da)", back, expected, hints, rtol=1e-9, atol=1e-12)
    with report.part("evaluation (model.eval()): forward and backward are the identity; model.train() drops again"):
        out_eval = steps["out_eval"]
        if isinstance(out_eval, np.ndarray) and out_eval.shape == x.shape and np.any(out_eval == 0):
            raise CheckFailed("entries were dropped after model.eval(): read self.training (False in "
                              "evaluation) and return the input unchanged")
        expect_close("forward after model.eval()", out_eval, x,
                     [(x * (1 - p), "the input was multiplied by 1 - p: that is dropout scaled at test time; "
                                    "inverted dropout scales while training, so evaluation is the identity")],
                     rtol=1e-12, atol=0)
        expect_close("backward after model.eval()", steps["back_eval"], g, rtol=1e-12, atol=0)
        dropped = float(np.mean(steps["out_train"] == 0))
        if abs(dropped - p) > FRACTION_TOLERANCE:
            raise CheckFailed(f"after model.train() {dropped:.1%} of the entries were dropped; expected about "
                              f"{p:.0%} (dropout must switch back on)")
    return report.finish()


# -------------------------------------------------------------------- EarlyStopping
class _SetWeights:
    """Give `layer` new weights as an optimizer would: new arrays, or written into its own (in_place)."""

    def __init__(self, layer, W, b, in_place):
        if in_place:
            layer.W[...] = W
            layer.b[...] = b
        else:
            layer.W, layer.b = np.array(W, dtype=float), np.array(b, dtype=float)


class _Restore:
    """stopper.restore(), called where the stopper lives."""

    def __init__(self, stopper):
        stopper.restore()


# (patience, validation losses before a random scale and shift, whether the "optimizer" writes the
# weights in place). The first needs the count of bad epochs restarted by a new best (epoch 4) and
# has a bad epoch lower than the one before it (epoch 6); the correct stops are at epochs 7 and 5,
# one epoch late would be 8 and 6, without the restart 6 and 4.
_STOPPING_CASES = (
    (3, (1.0, 0.8, 0.9, 0.7, 0.78, 0.74, 0.76, 0.77, 0.6), False),
    (2, (0.9, 0.95, 0.6, 0.62, 0.61, 0.63, 0.5), True),
)


def _stop_epoch(losses, patience, rule="best"):
    """The epoch (1-based) at which a stopper with `rule` says stop, or None: "best" is the rule;
    the others are common mistakes, told apart by their stopping epochs."""
    best, bad, previous = np.inf, 0, np.inf
    for epoch, loss in enumerate(losses, start=1):
        reference = previous if rule == "previous" else best
        if loss < reference:
            bad = bad if rule == "no_reset" else 0
        else:
            bad += 1
        best, previous = min(best, loss), loss
        if bad >= patience + (1 if rule == "late" else 0):
            return epoch
    return None


_STOP_HINTS = {
    "no_reset": "the count of epochs without improvement must restart at 0 when the loss reaches a new low",
    "previous": "compare with the lowest loss so far, not with the previous epoch's",
    "late": "that is one epoch late: stop as soon as `patience` epochs in a row brought no new low",
}


def _stopping_run(EarlyStopping, patience, losses, in_place, rng, helpers):
    """Feed `losses` to EarlyStopping(model, patience) epoch by epoch; what it answered and restored."""
    Linear, ReLU, Model, SetWeights, Restore = _classes(helpers, ("Linear", "ReLU", "Model", "_SetWeights",
                                                                  "_Restore"))
    model, layers = Model(), []
    for i, (n_in, n_out) in enumerate(((2, 3), (3, 1)), start=1):
        layers.append(Linear(n_in, n_out))
        model.add_module(layers[-1], f"Dense_{i}")
        if i == 1:
            model.add_module(ReLU(), "ReLU_1")
    weights = [[(rng.standard_normal((n_out, n_in)), rng.standard_normal((n_out, 1)))
                for n_in, n_out in ((2, 3), (3, 1))] for _ in range(len(losses) + 1)]  # epoch 0 = the start
    for layer, (W, b) in zip(layers, weights[0]):
        SetWeights(layer, W, b, False)
    run = {"losses": losses, "patience": patience, "weights": weights, "answers": []}
    label = f"EarlyStopping(model, patience={patience})"
    try:
        stopper = run_student(EarlyStopping, model, patience)
    except CheckFailed as failure:
        run["step_error"] = run["best_error"] = run["restore_error"] = f"{label} {failure}"
        return run
    try:
        for epoch, loss in enumerate(losses, start=1):
            for layer, (W, b) in zip(layers, weights[epoch]):
                run_student(SetWeights, layer, W, b, in_place)  # fails if the student's code broke the layer
            answer = run_student(stopper.step, float(loss))
            if isinstance(answer, np.ndarray) and answer.size == 1:
                answer = float(answer.reshape(()))
            if answer is None or not isinstance(answer, (bool, int, float, np.bool_)):
                raise CheckFailed(f"returned {answer!r}; it must return True (stop) or False (go on)")
            run["answers"].append(bool(answer))
            if answer:
                break
    except CheckFailed as failure:
        run["step_error"] = f"{label}: step at epoch {len(run['answers']) + 1} {failure}"
    try:
        run["best"] = (_get(stopper, "best_loss"), _get(stopper, "best_epoch"))
    except CheckFailed as failure:
        run["best_error"] = f"{label}: reading best_loss and best_epoch {failure}"
    try:
        run_student(Restore, stopper)
        # Read through the model, not the layers made here: putting back copies of whole modules is fine too.
        restored = [module for name, module in run_student(lambda: list(model.modules.items()))
                    if name.startswith("Dense")]
        run["restored"] = [(_get(layer, "W"), _get(layer, "b")) for layer in restored]
    except CheckFailed as failure:
        run["restore_error"] = f"{label}: restore() {failure}"
    return run


def _expect_answers(run):
    if "step_error" in run:
        raise CheckFailed(run["step_error"])
    losses, patience, answers = run["losses"], run["patience"], run["answers"]
    stop = _stop_epoch(losses, patience)
    got = answers.index(True) + 1 if True in answers else None
    if got == stop:
        return
    if got is None:
        raise CheckFailed(f"with patience {patience}, step never returned True; expected True at epoch {stop} "
                          "(count the epochs since the lowest loss so far, not since the last decrease)")
    best = int(np.argmin(losses[:got])) + 1
    message = (f"with patience {patience}, step returned True at epoch {got}, {got - best} epoch(s) after the lowest "
               f"loss (epoch {best}); expected True at epoch {stop}")
    for rule, hint in _STOP_HINTS.items():
        if _stop_epoch(losses, patience, rule) == got:
            message += f": {hint}"
            break
    raise CheckFailed(message)


def _fed_best(run):
    """(epoch, loss) of the lowest loss among the epochs the stopper was given (at least the first)."""
    fed = run["losses"][:max(len(run["answers"]), 1)]
    return int(np.argmin(fed)) + 1, float(min(fed))


def _expect_best(run):
    if "best_error" in run:
        raise CheckFailed(run["best_error"])
    epoch, loss = _fed_best(run)
    best_loss, best_epoch = run["best"]
    expect_close("best_loss", best_loss, np.array(loss), rtol=1e-12, atol=0)
    expect_close("best_epoch", best_epoch, np.array(float(epoch)),
                 [(np.array(epoch - 1.0), "it counts from 0: the first call of step is epoch 1")], rtol=0, atol=0)


def _expect_restored(run):
    if "restore_error" in run:
        raise CheckFailed(run["restore_error"])
    best, _ = _fed_best(run)
    last = len(run["answers"])
    for i, ((W, b), (W_best, b_best)) in enumerate(zip(run["restored"], run["weights"][best]), start=1):
        if isinstance(W, np.ndarray) and np.array_equal(W, W_best):
            if not (isinstance(b, np.ndarray) and np.array_equal(b, b_best)):
                raise CheckFailed(f"Dense_{i}.W is the best epoch's, Dense_{i}.b is not: restore every parameter")
            continue
        for epoch, weights in enumerate(run["weights"][:last + 1]):
            if isinstance(W, np.ndarray) and np.array_equal(W, weights[i - 1][0]):
                when = ("the last epoch's" if epoch == last else
                        "the model's when EarlyStopping was made" if epoch == 0 else f"those of epoch {epoch}")
                raise CheckFailed(f"Dense_{i}.W after restore() is {when}; expected the best epoch's ({best})")
        raise CheckFailed(f"Dense_{i}.W after restore() is not the weights of the best epoch ({best})")


def check_early_stopping(EarlyStopping, points=None, seed=0, helpers=None):
    """EarlyStopping(model, patience): step(val_loss) says when to stop, restore() puts back the best weights."""
    rng = _rng(seed)
    report = Report("EarlyStopping", points)
    runs = []
    for patience, base, in_place in _STOPPING_CASES:
        losses = tuple(float(v) for v in rng.uniform(0.5, 2.0) * np.array(base) + rng.uniform(0.0, 0.3))
        runs.append(_stopping_run(EarlyStopping, patience, losses, in_place, rng, helpers))
    course, in_place = runs

    with report.part("step(val_loss) returns True once `patience` epochs in a row bring no new lowest loss, "
                     "False before (patience 3, then 2)"):
        for run in runs:
            _expect_answers(run)
    with report.part("best_loss and best_epoch: the lowest validation loss so far and its epoch (1 for the first "
                     "step)", weight=0.5):
        for run in runs:
            _expect_best(run)
    with report.part("restore() puts back W and b of the best epoch (an optimizer that assigns new arrays, as the "
                     "course's do)", weight=0.75):
        _expect_restored(course)
    with report.part("... and when the optimizer changes the arrays in place (as PyTorch's do): store copies",
                     weight=0.75):
        try:
            _expect_restored(in_place)
        except CheckFailed as failure:
            try:
                _expect_restored(course)
            except CheckFailed:
                raise failure from None
            raise CheckFailed(f"{failure}: this optimizer wrote into the arrays you kept, so keep copies "
                              "(W.copy()), not the arrays themselves") from None
    return report.finish()
