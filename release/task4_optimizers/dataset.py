"""Toy two-dimensional classification datasets in the course layout.

Every function returns a pair `(X, Y)` of float64 arrays laid out as stacks of
column vectors, the layout every `Module` of the course expects:

    X: shape (m, 2, 1), X[i] is the column vector (x1, x2) of sample i.
    Y: shape (m, 1, 1), Y[i, 0, 0] is the label of sample i (0.0 or 1.0).

`dataset_blobs` with `centers > 2` is the one multi-class dataset: its labels are
the class indices 0.0, 1.0, ..., centers - 1 (still shape (m, 1, 1)); turn them
into one-hot columns yourself if your loss needs them.

The features stay roughly inside the square [-1, 1]^2 so the same plotting
window and learning rates work for every dataset.

Randomness: `seed=None` draws from NumPy's global generator, so `np.random.seed(1)`
before the call makes it reproducible (as in the notebooks). An int `seed` uses its
own `np.random.default_rng(seed)` and leaves the global state untouched. A
`np.random.Generator` is accepted as well.

Example:
    >>> X, Y = load_dataset("moons", m=200, noise=0.1, seed=0)
    >>> X.shape, Y.shape
    ((200, 2, 1), (200, 1, 1))
"""

import math
import numbers

import numpy as np

__all__ = [
    "DATASETS",
    "dataset_blobs",
    "dataset_circles",
    "dataset_moons",
    "dataset_spiral",
    "dataset_xor",
    "load_dataset",
]


# ----------------------------------------------------------------------------
# Argument checks and shared helpers
# ----------------------------------------------------------------------------


def _check_positive_int(value, name):
    # bool is a subclass of int, but `m=True` is surely a mistake.
    is_int = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not is_int or value < 1:
        raise ValueError(f"{name} must be a positive int; got {value!r} ({type(value).__name__})")
    return int(value)


def _check_number(value, name, *, allow_zero):
    """A finite real number that is > 0 (or >= 0 when `allow_zero`)."""
    is_real = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not is_real or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number; got {value!r} ({type(value).__name__})")
    value = float(value)
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}; got {value}")
    return value


def _rng(seed):
    """The random source for `seed`: the global `np.random` module or a Generator.

    Both offer `uniform`, `normal` and `permutation` with the same signatures,
    which is all the datasets use.
    """
    if seed is None:
        return np.random
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be None, an int >= 0 or a np.random.Generator; got {seed!r}")
    return np.random.default_rng(int(seed))


def _split_evenly(m, k):
    """Sizes of k groups summing to m that differ by at most one: (5, 2) -> [3, 2]."""
    return [m // k + (1 if i < m % k else 0) for i in range(k)]


def _to_course_layout(points, labels, noise, rng, shuffle):
    """Add feature noise, optionally shuffle, and reshape to (m, 2, 1) and (m, 1, 1).

    The noise is drawn even when `noise == 0` so the amount of randomness used
    (and hence the points) does not depend on the noise level.
    """
    points = np.asarray(points, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.float64)
    points = points + noise * rng.normal(size=points.shape)
    if shuffle:
        # The generators build one class after the other; a mini-batch taken from
        # the front must not contain a single class.
        order = rng.permutation(len(points))
        points, labels = points[order], labels[order]
    m = len(points)
    return points.reshape(m, 2, 1), labels.reshape(m, 1, 1)


# ----------------------------------------------------------------------------
# Datasets
# ----------------------------------------------------------------------------


def dataset_circles(m=128, radius=0.7, noise=0.0, seed=None):
    """Points in the square with label 1 inside a centred circle.

    The points are uniform in [-1, 1]^2; the label is 1.0 when ||x|| < radius and
    0.0 otherwise. Gaussian noise is then added to the features only, so with
    `noise > 0` a few points end up on the "wrong" side of the circle. The
    classes are not balanced: the fraction of ones is about pi * radius^2 / 4
    (0.38 for radius 0.7).

    Args:
        m: number of samples, a positive int.
        radius: radius of the circle, > 0.
        noise: standard deviation of the Gaussian noise added to X, >= 0.
        seed: None (global NumPy RNG), an int, or a np.random.Generator.

    Returns:
        X: float64 array of shape (m, 2, 1).
        Y: float64 array of shape (m, 1, 1) with values in {0.0, 1.0}.
    """
    m = _check_positive_int(m, "m")
    radius = _check_number(radius, "radius", allow_zero=False)
    noise = _check_number(noise, "noise", allow_zero=True)
    rng = _rng(seed)

    points = rng.uniform(-1.0, 1.0, size=(m, 2))
    labels = np.linalg.norm(points, axis=1) < radius
    # Uniform draws are already in random order: no shuffle needed.
    return _to_course_layout(points, labels, noise, rng, shuffle=False)


def dataset_moons(m=128, noise=0.1, seed=None):
    """Two interleaving half circles, like sklearn's `make_moons`.

    Class 0 is the upper moon (cos t, sin t), class 1 the lower one
    (1 - cos t, 0.5 - sin t), t uniform in [0, pi]. Both are then shifted and
    scaled by 2/3 so that x1 spans [-1, 1] and x2 spans [-0.5, 0.5]; the noise
    is added afterwards, in these scaled units.

    Args:
        m: number of samples, a positive int; the classes get m // 2 and m - m // 2.
        noise: standard deviation of the Gaussian noise added to X, >= 0.
        seed: None (global NumPy RNG), an int, or a np.random.Generator.

    Returns:
        X: float64 array of shape (m, 2, 1).
        Y: float64 array of shape (m, 1, 1) with values in {0.0, 1.0}, shuffled.
    """
    m = _check_positive_int(m, "m")
    noise = _check_number(noise, "noise", allow_zero=True)
    rng = _rng(seed)

    n0, n1 = _split_evenly(m, 2)
    t0 = rng.uniform(0.0, np.pi, size=n0)
    t1 = rng.uniform(0.0, np.pi, size=n1)
    upper = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    lower = np.stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)
    # The raw moons span [-1, 2] x [-0.5, 1]; centre them and bring them to [-1, 1].
    points = (np.concatenate([upper, lower]) - [0.5, 0.25]) * (2.0 / 3.0)
    labels = np.concatenate([np.zeros(n0), np.ones(n1)])
    return _to_course_layout(points, labels, noise, rng, shuffle=True)


def dataset_xor(m=128, noise=0.0, seed=None):
    """The XOR problem: the label is 1 where x1 and x2 have different signs.

    Label 1.0 = (x1 > 0) XOR (x2 > 0), i.e. x1 * x2 < 0: the second and fourth
    quadrants. Label 0.0 for the first and third quadrants. No straight line
    separates the classes, so logistic regression fails and a hidden layer is
    needed. Each class gets exactly half of the points (m // 2 and m - m // 2),
    uniform in its two quadrants of [-1, 1]^2; noise is then added to X.

    Args:
        m: number of samples, a positive int.
        noise: standard deviation of the Gaussian noise added to X, >= 0.
        seed: None (global NumPy RNG), an int, or a np.random.Generator.

    Returns:
        X: float64 array of shape (m, 2, 1).
        Y: float64 array of shape (m, 1, 1) with values in {0.0, 1.0}, shuffled.
    """
    m = _check_positive_int(m, "m")
    noise = _check_number(noise, "noise", allow_zero=True)
    rng = _rng(seed)

    n0, n1 = _split_evenly(m, 2)
    labels = np.concatenate([np.zeros(n0), np.ones(n1)])
    # Draw |x1|, |x2| and a random sign for x1; the sign of x2 follows from the label.
    magnitude = rng.uniform(0.0, 1.0, size=(m, 2))
    sign1 = np.where(rng.uniform(size=m) < 0.5, -1.0, 1.0)
    sign2 = np.where(labels == 1.0, -sign1, sign1)
    points = magnitude * np.stack([sign1, sign2], axis=1)
    return _to_course_layout(points, labels, noise, rng, shuffle=True)


def dataset_spiral(m=128, noise=0.0, turns=1.5, seed=None):
    """Two interleaved spiral arms starting at the origin; the label is the arm.

    Along each arm the radius r grows from 0 to 1 while the angle turns
    `turns` full circles: x = r * (cos a, sin a) with a = 2 pi turns r for arm 0
    and the same rotated by pi for arm 1. More turns make a harder problem.

    Args:
        m: number of samples, a positive int; the arms get m // 2 and m - m // 2.
        noise: standard deviation of the Gaussian noise added to X, >= 0.
        turns: number of full turns of each arm, > 0.
        seed: None (global NumPy RNG), an int, or a np.random.Generator.

    Returns:
        X: float64 array of shape (m, 2, 1).
        Y: float64 array of shape (m, 1, 1) with values in {0.0, 1.0}, shuffled.
    """
    m = _check_positive_int(m, "m")
    noise = _check_number(noise, "noise", allow_zero=True)
    turns = _check_number(turns, "turns", allow_zero=False)
    rng = _rng(seed)

    arms = []
    for arm, size in enumerate(_split_evenly(m, 2)):
        r = rng.uniform(0.0, 1.0, size=size)
        angle = 2.0 * np.pi * turns * r + np.pi * arm
        arms.append(np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1))
    n0 = len(arms[0])
    labels = np.concatenate([np.zeros(n0), np.ones(m - n0)])
    return _to_course_layout(np.concatenate(arms), labels, noise, rng, shuffle=True)


def dataset_blobs(m=128, centers=2, std=0.3, seed=None):
    """Isotropic Gaussian blobs, one per class.

    The blob centres are fixed (not random): `centers` points evenly spaced on
    the circle of radius 0.6, starting at angle 45 degrees. For centers=2 they
    are (0.42, 0.42) and (-0.42, -0.42).

    Args:
        m: number of samples, a positive int, split as evenly as possible.
        centers: number of blobs (= classes), an int >= 2.
        std: standard deviation of each blob, >= 0.
        seed: None (global NumPy RNG), an int, or a np.random.Generator.

    Returns:
        X: float64 array of shape (m, 2, 1).
        Y: float64 array of shape (m, 1, 1), shuffled. For centers=2 the labels
            are 0.0 / 1.0 as in the other datasets; for centers > 2 they are the
            class indices 0.0, 1.0, ..., centers - 1 (not one-hot).
    """
    m = _check_positive_int(m, "m")
    is_int = isinstance(centers, numbers.Integral) and not isinstance(centers, bool)
    if not is_int or centers < 2:
        raise ValueError(f"centers must be an int >= 2 (the number of classes); got {centers!r}")
    centers = int(centers)
    std = _check_number(std, "std", allow_zero=True)
    rng = _rng(seed)

    angles = np.pi / 4 + 2.0 * np.pi * np.arange(centers) / centers
    means = 0.6 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    labels = np.repeat(np.arange(centers), _split_evenly(m, centers))
    # The blob spread is exactly the Gaussian noise around each centre.
    return _to_course_layout(means[labels], labels, std, rng, shuffle=True)


DATASETS = {
    "circles": dataset_circles,
    "moons": dataset_moons,
    "xor": dataset_xor,
    "spiral": dataset_spiral,
    "blobs": dataset_blobs,
}


def load_dataset(name, **kwargs):
    """Build the dataset called `name` (a key of `DATASETS`) with keyword arguments.

    Args:
        name: one of "circles", "moons", "xor", "spiral", "blobs".
        **kwargs: passed on to the dataset function, e.g. m=256, noise=0.1, seed=0.

    Returns:
        X: float64 array of shape (m, 2, 1).
        Y: float64 array of shape (m, 1, 1).
    """
    if not isinstance(name, str) or name not in DATASETS:
        valid = ", ".join(repr(key) for key in DATASETS)
        raise ValueError(f"unknown dataset {name!r}; valid names are: {valid}")
    return DATASETS[name](**kwargs)
