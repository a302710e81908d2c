"""Classification datasets in the course layout: toy 2-D ones and real handwritten digits.

Every function returns a pair `(X, Y)` of float64 arrays laid out as stacks of
column vectors, the layout every `Module` of the course expects. The toy datasets
(`DATASETS`, `load_dataset`) are two-dimensional:

    X: shape (m, 2, 1), X[i] is the column vector (x1, x2) of sample i.
    Y: shape (m, 1, 1), Y[i, 0, 0] is the label of sample i (0.0 or 1.0).

`dataset_blobs` with `centers > 2` is the one multi-class toy dataset: its labels are
the class indices 0.0, 1.0, ..., centers - 1 (still shape (m, 1, 1)); turn them
into one-hot columns yourself if your loss needs them.

The features stay roughly inside the square [-1, 1]^2 so the same plotting
window and learning rates work for every dataset.

`dataset_digits` is real data: scikit-learn's 8x8 handwritten digits, X of shape
(m, 64, 1) in [0, 1] and one-hot Y of shape (m, 10, 1), in a seeded train /
validation / test split.

Randomness: `seed=None` draws from NumPy's global generator, so `np.random.seed(1)`
before the call makes it reproducible (as in the notebooks). An int `seed` uses its
own `np.random.default_rng(seed)` and leaves the global state untouched. A
`np.random.Generator` is accepted as well.

Example:
    >>> X, Y = load_dataset("moons", m=200, noise=0.1, seed=0)
    >>> X.shape, Y.shape
    ((200, 2, 1), (200, 1, 1))
"""

import functools
import gzip
import importlib.util
import math
import numbers
from pathlib import Path

import numpy as np

__all__ = [
    "DATASETS",
    "dataset_blobs",
    "dataset_circles",
    "dataset_digits",
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
        m: number of samples, a positive int; class 0 gets m - m // 2 and class 1 gets
            m // 2 (for odd m, class 0 has the extra sample).
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
    needed. Each class gets half of the points, uniform in its two quadrants of
    [-1, 1]^2 (class 0 gets m - m // 2 and class 1 m // 2: for odd m, class 0 has
    the extra sample); noise is then added to X.

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
        m: number of samples, a positive int; arm 0 gets m - m // 2 and arm 1 gets
            m // 2 (for odd m, arm 0 has the extra sample).
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
        m: number of samples, a positive int, split as evenly as possible (the first
            m % centers classes get one sample more).
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


# ----------------------------------------------------------------------------
# Real data: handwritten digits
# ----------------------------------------------------------------------------

DIGIT_SPLITS = ("train", "validation", "test")
_HELD_OUT = 0.2  # the fraction of the images in each of the validation and test splits


@functools.cache
def _digit_images():
    """All 1,797 digits once per process: (pixels (1797, 64) in [0, 1], labels (1797,) int), read-only.

    They are the file that scikit-learn's `load_digits` reads, sklearn/datasets/data/digits.csv.gz
    (a row per image: its 64 intensities 0..16, then its label), read here directly: importing
    scikit-learn for it would cost one to three seconds in every process that loads the digits.
    """
    spec = importlib.util.find_spec("sklearn")  # finds the installed package without importing it
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz" if spec else None
    if path is not None and path.is_file():
        with gzip.open(path, "rt") as file:
            table = np.loadtxt(file, delimiter=",")
        pixels, labels = table[:, :-1], table[:, -1]
    else:  # another layout of scikit-learn's files: its own loader (or its ImportError)
        from sklearn.datasets import load_digits

        digits = load_digits()
        pixels, labels = digits.data, digits.target
    pixels = np.asarray(pixels, dtype=np.float64) / 16.0
    labels = np.asarray(labels, dtype=np.int64)
    pixels.flags.writeable = labels.flags.writeable = False  # cached: no caller may change them
    return pixels, labels


def dataset_digits(split="train", seed=0):
    """One split of scikit-learn's handwritten digits, in the course layout.

    The 1,797 grey 8x8 images of `sklearn.datasets.load_digits` (about 180 of each
    digit 0-9, from the UCI optical recognition of handwritten digits data) ship
    inside scikit-learn: nothing is downloaded. Pixel intensities 0..16 are scaled to
    [0, 1]; a sample is its 64 pixels row by row, so `X[i, :, 0].reshape(8, 8)` is
    the image.

    The splits come from one seeded permutation of all images: its first 20 % (359
    images) are the test split, the next 20 % (359) the validation split and the
    other 1,079 the training split. The same seed gives the same three splits, which
    never share a sample.

    Args:
        split: "train", "validation" or "test".
        seed: the split's seed: an int (default 0, the course's split), None (NumPy's
            global generator) or a np.random.Generator.

    Returns:
        X: float64 array of shape (m, 64, 1), values in [0, 1].
        Y: float64 array of shape (m, 10, 1), one-hot: Y[i, k, 0] is 1.0 where image
            i shows the digit k and 0.0 elsewhere.
    """
    if split not in DIGIT_SPLITS:
        raise ValueError(f"split must be one of {', '.join(map(repr, DIGIT_SPLITS))}; got {split!r}")
    pixels, labels = _digit_images()
    m, held_out = len(labels), int(_HELD_OUT * len(labels))
    bounds = {"test": (0, held_out), "validation": (held_out, 2 * held_out), "train": (2 * held_out, m)}
    index = _rng(seed).permutation(m)[slice(*bounds[split])]
    X = pixels[index].reshape(len(index), 64, 1)  # fancy indexing copies: the cache stays untouched
    Y = np.eye(10)[labels[index]].reshape(len(index), 10, 1)
    return X, Y


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
