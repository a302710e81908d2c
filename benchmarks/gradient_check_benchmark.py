"""utils.gradient_check on random networks of the kinds students build: false alarms and missed bugs.

Every network is built the way Task 2's main cell builds one: `dataset_circles(m=128)`, the
reference `Linear`'s own `np.random.randn` weights and zero biases, 1 to 4 hidden layers of 3 to
32 units with ReLU, Tanh or Sigmoid, a Sigmoid output, and BCE or MSE. The classes are the
course's reference classes, cut from the answer cells of source/task2_backward (not a copy).

- false alarms: the correct network, checked; anything but "works perfectly fine" is one.
- detection: the same network with one planted bug, drawn from: dW or db of one layer times a
  factor c (the batch size m: summed instead of averaged; 1/m: divided twice; -1; 0: never
  computed; 2; 1/2), both dW and db summed (the 1/m missing), or the gradient a layer returns
  times c (it reaches every layer below it). A bug is detected and named when the check fails
  and names exactly the planted piece ("Dense_2.W", or "Dense_3" for its returned gradient).
  A bug that changes no number (c times a gradient that is exactly zero) cannot be seen by
  any check and is counted apart.

Run from the repository root:

    .venv/bin/python benchmarks/gradient_check_benchmark.py [--networks 300] [--seed 0]

It prints the counts and the rates (the goal: 0 false alarms, 100 % detected and named) and
exits with status 1 when the goal is missed.
"""

import argparse
import contextlib
import io
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "checks")]

from autograder.course import FRAMEWORK, generate_given_code  # noqa: E402
from dataset import dataset_circles  # noqa: E402
from utils import _diagnose  # noqa: E402

THRESHOLD = 1e-7  # gradient_check's default


def reference_classes():
    namespace = {"__name__": "reference_framework"}
    exec(compile(generate_given_code("task2_backward", FRAMEWORK), "<reference framework>", "exec"), namespace)
    return namespace


def draw_network(rng):
    """An architecture like the students': (hidden sizes, hidden activation, loss)."""
    hidden = [int(n) for n in rng.integers(3, 33, size=int(rng.integers(1, 5)))]
    return hidden, str(rng.choice(["ReLU", "Tanh", "Sigmoid"])), str(rng.choice(["BCELoss", "MSELoss"]))


def build(C, hidden, activation, seed):
    """The network with the reference Linear's own init (np.random.randn W, zero b)."""
    np.random.seed(seed)
    model, sizes = C["Model"](), [2, *hidden, 1]
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        last = i == len(sizes) - 1
        model.add_module(C["Linear"](n_in, n_out), f"Dense_{i}_out" if last else f"Dense_{i}")
        model.add_module(C["Sigmoid"]() if last else C[activation](), "Sigmoid" if last else f"{activation}_{i}")
    return model


FACTORS = {"summed (times m)": lambda m: float(m), "divided by m twice": lambda m: 1.0 / m,
           "sign flipped": lambda m: -1.0, "never computed (0)": lambda m: 0.0, "doubled": lambda m: 2.0,
           "halved": lambda m: 0.5}


def draw_bug(rng, layers):
    """(what, layer index, factor name): one bug for a network of `layers` Linear layers."""
    kinds = ["dW", "db", "no 1/m"] + (["returned"] if layers > 1 else [])
    kind = str(rng.choice(kinds))
    first = 1 if kind == "returned" else 0  # the first layer's returned gradient reaches no parameter
    index = int(rng.integers(first, layers))
    factor = "summed (times m)" if kind == "no 1/m" else str(rng.choice(list(FACTORS)))
    return kind, index, factor


def plant(layer, kind, factor):
    """Make `layer`'s backward wrong the way the bug says (on this instance only)."""
    original = layer.backward

    def backward(dz):
        c = FACTORS[factor](dz.shape[0])
        result = original(dz)
        if kind in ("dW", "no 1/m"):
            layer.dW = layer.dW * c
        if kind in ("db", "no 1/m"):
            layer.db = layer.db * c
        return result * c if kind == "returned" else result

    layer.backward = backward


def expected_names(name, kind):
    return {"dW": {f"{name}.W"}, "db": {f"{name}.b"}, "no 1/m": {f"{name}.W", f"{name}.b"}, "returned": {name}}[kind]


def changes_something(C, hidden, activation, loss, seed, X, Y, kind, index, factor):
    """Whether the planted bug changes any gradient at all (c times an exact zero changes nothing)."""
    gradients = []
    for planted in (False, True):
        model = build(C, hidden, activation, seed)
        layers = [m for m in model.modules.values() if hasattr(m, "W")]
        if planted:
            plant(layers[index], kind, factor)
        loss_fn = C[loss]()
        model.backward(loss_fn.backward(model(X), Y))
        gradients.append(np.concatenate([np.ravel(g) for layer in layers for g in (layer.dW, layer.db)]))
    return not np.array_equal(*gradients)


def run(networks, seed):
    C = reference_classes()
    rng = np.random.default_rng(seed)
    X, Y = dataset_circles(m=128, radius=0.7, noise=0.0, seed=seed)
    false_alarms, detected, missed, unnamed, inert, seconds = [], 0, [], [], 0, 0.0
    for n in range(networks):
        hidden, activation, loss = draw_network(rng)
        label = f"#{n} 2-{'-'.join(map(str, hidden))}-1 {activation} {loss}"
        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            correct = _diagnose(build(C, hidden, activation, seed + n), C[loss](), X, Y)
        seconds += time.perf_counter() - started
        if correct.difference >= THRESHOLD:
            false_alarms.append(f"{label}: {correct.text(THRESHOLD)}")
        kind, index, factor = draw_bug(rng, len(hidden) + 1)
        if not changes_something(C, hidden, activation, loss, seed + n, X, Y, kind, index, factor):
            inert += 1
            continue
        model = build(C, hidden, activation, seed + n)
        name, layer = [(k, m) for k, m in model.modules.items() if hasattr(m, "W")][index]
        plant(layer, kind, factor)
        with contextlib.redirect_stdout(io.StringIO()):
            buggy = _diagnose(model, C[loss](), X, Y)
        bug = f"{label}, {name} {kind} {factor}"
        if buggy.difference < THRESHOLD:
            missed.append(f"{bug}: {buggy.text(THRESHOLD)}")
        elif set(buggy.suspects(THRESHOLD)) != expected_names(name, kind):
            unnamed.append(f"{bug}: named {buggy.suspects(THRESHOLD)}")
        else:
            detected += 1
    return false_alarms, detected, missed, unnamed, inert, seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    false_alarms, detected, missed, unnamed, inert, seconds = run(args.networks, args.seed)
    planted = detected + len(missed) + len(unnamed)
    for line in false_alarms + missed + unnamed:
        print(line)
    print(f"correct networks: {args.networks}, false alarms: {len(false_alarms)} "
          f"({len(false_alarms) / args.networks:.1%}); {seconds / args.networks * 1e3:.0f} ms per check")
    print(f"planted bugs that change a gradient: {planted} ({inert} changed nothing and are left out); "
          f"detected and named: {detected} ({detected / max(planted, 1):.1%}), detected but not named exactly: "
          f"{len(unnamed)}, missed: {len(missed)}")
    return 0 if not (false_alarms or missed or unnamed) else 1


if __name__ == "__main__":
    sys.exit(main())
