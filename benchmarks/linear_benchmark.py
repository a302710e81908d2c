"""Forward + backward of a Linear layer on a (m, n, 1) batch, written several ways.

    (a) course:    the reference Linear itself, cut from the answer cell of
                   source/task2_backward/task2_backward.ipynb (not a copy): forward and
                   backward drop the trailing axis so that each is ONE 2-D matrix
                   product (a GEMM) over the whole batch, e.g. dW = dZ^T A / m.
    (a') broadcast: the same backward with the textbook forward W @ x + b on the stack
                   of column vectors, which NumPy runs as one small matrix-vector
                   product per sample (this is why the course forward avoids it).
    (b) seed:      the original notebook's dW, the mean of m per-sample outer products
                   dz_i a_i^T, which materialises an (m, out, in) array first.
    (c) GEMM:      the plain 2-D baseline on (m, in) matrices, the fastest NumPy can do.

All versions get the same data and are first checked to agree (np.allclose). Each is
then timed (best of --repeats rounds after a warm-up, the versions taking turns) and
its peak extra memory measured with tracemalloc, which sees NumPy's allocations. The
seed version is skipped when its temporary would exceed 2 GiB (its size is printed).

Run from the repository root:

    .venv/bin/python benchmarks/linear_benchmark.py [--m 10000] [--in-features 64]
        [--out-features 128] [--repeats 7]
"""

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

MIB = 2**20
GIB = 2**30
TARGET_RATIO = 1.5  # the reference may be at most this much slower than the GEMM baseline
SEED_LIMIT = 2 * GIB  # larger (m, out, in) temporaries could exhaust the machine's memory


# ----------------------------------------------------------------------------
# The implementations. Each `forward(A)` returns the output Z and each
# `backward(dZ)` returns (dA, dW, db), all in the layout of its own inputs.
# ----------------------------------------------------------------------------


class BroadcastLinear:
    """(a') Column-vector batches with the broadcast forward W @ x + b.

    Shapes: W (out, in), b (out, 1), A (m, in, 1) -> Z (m, out, 1).
    """

    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, A):
        self.A = A
        return self.W @ A + self.b  # (out, in) @ (m, in, 1) broadcasts over the batch

    def backward(self, dZ):
        m = dZ.shape[0]
        # Dropping the trailing axis turns the batch of outer products into one GEMM:
        # sum_i dz_i a_i^T = dZ^T A with dZ (m, out) and A (m, in).
        dW = (dZ[..., 0].T @ self.A[..., 0]) / m  # (out, in)
        db = dZ.mean(axis=0)  # (out, 1)
        dA = (dZ[..., 0] @ self.W)[..., None]  # (m, in, 1): W^T dz_i for every i, one GEMM
        return dA, dW, db


class CourseLinear:
    """(a) The course's reference Linear, loaded from the Task 2 source notebook."""

    def __init__(self, W, b):
        self.layer = load_course_linear()(W.shape[1], W.shape[0])
        self.layer.W, self.layer.b = W, b

    def forward(self, A):
        return self.layer.forward(A)

    def backward(self, dZ):
        dA = self.layer.backward(dZ)
        return dA, self.layer.dW, self.layer.db


def load_course_linear():
    """The `Linear` class of the Task 2 reference solution (its answer cell, markers removed)."""
    sys.path.insert(0, str(ROOT))
    import nbformat

    from autograder.course import answer_cells, notebook_path, solution_source
    from utils import Module

    notebook = nbformat.read(notebook_path("task2_backward"), as_version=4)
    namespace = {"np": np, "Module": Module}
    exec(solution_source(answer_cells(notebook)["linear"].source), namespace)
    return namespace["Linear"]


class SeedLinear(BroadcastLinear):
    """(b) The seed's version: per-sample outer products, an (m, out, in) temporary."""

    def backward(self, dZ):
        m = dZ.shape[0]
        dW = (1 / m) * np.sum(np.matmul(dZ, self.A.transpose(0, 2, 1)), axis=0)
        db = (1 / m) * np.sum(dZ, axis=0)
        dA = np.matmul(self.W.T, dZ)  # broadcast matmul, one small product per sample
        return dA, dW, db


class GemmLinear:
    """(c) Baseline on plain matrices: A (m, in) -> Z (m, out), W (out, in), b (out, 1)."""

    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, A):
        self.A = A
        return A @ self.W.T + self.b.T

    def backward(self, dZ):
        m = dZ.shape[0]
        dW = dZ.T @ self.A / m
        db = dZ.mean(axis=0)[:, None]
        dA = dZ @ self.W
        return dA, dW, db


# ----------------------------------------------------------------------------
# Measurements
# ----------------------------------------------------------------------------


def step(layer, A, dZ):
    """One forward and one backward pass; returns (Z, dA, dW, db)."""
    Z = layer.forward(A)
    return (Z, *layer.backward(dZ))


def best_times(layers, repeats):
    """Best wall time in seconds of one `step` of every layer over `repeats` rounds.

    The layers take turns within each round, so a burst of load from another process
    slows all of them alike instead of skewing the ratios against one of them.
    """
    for layer, A, dZ in layers.values():
        step(layer, A, dZ)  # warm-up: BLAS threads, page faults of the first allocations
    best = dict.fromkeys(layers, float("inf"))
    for _ in range(repeats):
        for name, (layer, A, dZ) in layers.items():
            start = time.perf_counter()
            step(layer, A, dZ)
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def peak_memory(layer, A, dZ):
    """Peak bytes allocated during one `step`, above what was allocated before it."""
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        result = step(layer, A, dZ)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del result
    return peak - before


def check_agreement(results):
    """Raise if the versions' (Z, dA, dW, db) disagree with the first one's."""
    (_, reference), *others = results.items()
    for label, result in others:
        for name, a, b in zip(("Z", "dA", "dW", "db"), reference, result, strict=True):
            b = b.reshape(a.shape)  # the GEMM version's (m, n) -> (m, n, 1)
            if not np.allclose(a, b):
                raise AssertionError(f"{name} of {label} differs from the reference")


def seed_temporary_bytes(m, n_in, n_out):
    """Size of the (m, out, in) float64 array the seed version builds in backward."""
    return m * n_out * n_in * 8


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--m", type=int, default=10_000, help="batch size (default 10000)")
    parser.add_argument("--in-features", type=int, default=64, help="inputs (default 64)")
    parser.add_argument("--out-features", type=int, default=128, help="outputs (default 128)")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs, best kept (default 7)")
    args = parser.parse_args()
    for name in ("m", "in_features", "out_features", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    return args


def main():
    args = parse_args()
    m, n_in, n_out = args.m, args.in_features, args.out_features
    rng = np.random.default_rng(0)
    A = rng.standard_normal((m, n_in, 1))  # activations of the previous layer
    dZ = rng.standard_normal((m, n_out, 1))  # gradient arriving from the next layer
    W = rng.standard_normal((n_out, n_in)) / np.sqrt(n_in)
    b = rng.standard_normal((n_out, 1))
    # The baseline gets its own contiguous 2-D copies, as a 2-D code base would hold them.
    A2, dZ2 = np.ascontiguousarray(A[..., 0]), np.ascontiguousarray(dZ[..., 0])

    layers = {
        "(a) course": (CourseLinear(W, b), A, dZ),
        "(a') broadcast": (BroadcastLinear(W, b), A, dZ),
        "(b) seed": (SeedLinear(W, b), A, dZ),
        "(c) 2-D GEMM": (GemmLinear(W, b), A2, dZ2),
    }
    temporary = seed_temporary_bytes(m, n_in, n_out)
    if temporary > SEED_LIMIT:
        del layers["(b) seed"]
        print(f"(b) seed skipped: it would allocate {temporary / GIB:.1f} GiB at once")
    check_agreement({name: step(layer, a, dz) for name, (layer, a, dz) in layers.items()})

    print(f"Linear {n_in} -> {n_out}, m = {m}, float64, best of {args.repeats}")
    print("all versions agree (np.allclose on Z, dA, dW, db)\n")
    times = best_times(layers, args.repeats)
    memory = {name: peak_memory(layer, a, dz) for name, (layer, a, dz) in layers.items()}

    baseline = times["(c) 2-D GEMM"]
    print(f"{'version':<19} {'time (ms)':>10} {'vs GEMM':>8} {'peak extra (MiB)':>17}")
    for name in layers:
        ratio = times[name] / baseline
        print(f"{name:<19} {times[name] * 1e3:>10.2f} {ratio:>7.2f}x {memory[name] / MIB:>17.1f}")

    mnist = seed_temporary_bytes(60_000, 784, 128)
    print(f"\nseed's (m, out, in) temporary here: {temporary / MIB:.1f} MiB")
    print(f"seed's temporary at m = 60000, 784 -> 128 (not allocated): {mnist / GIB:.1f} GiB")

    ratio = times["(a) course"] / baseline
    verdict = "OK" if ratio <= TARGET_RATIO else "TOO SLOW"
    print(f"\ncourse Linear / GEMM time ratio: {ratio:.2f}x (target <= {TARGET_RATIO}x): {verdict}")


if __name__ == "__main__":
    main()
