"""Tests of the datasets in dataset.py (shapes, labels, seeds, validation; the digits' split)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import pytest

from dataset import (
    DATASETS,
    dataset_blobs,
    dataset_circles,
    dataset_digits,
    dataset_moons,
    dataset_spiral,
    dataset_xor,
    load_dataset,
)

NAMES = sorted(DATASETS)


def _global_state():
    """A comparable snapshot of NumPy's global (legacy) RNG state."""
    name, keys, pos, has_gauss, cached = np.random.get_state()
    return name, keys.copy(), pos, has_gauss, cached


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("m", [1, 2, 7, 128])
def test_shapes_and_dtypes(name, m):
    X, Y = DATASETS[name](m=m, seed=0)
    assert X.shape == (m, 2, 1)
    assert Y.shape == (m, 1, 1)
    assert X.dtype == np.float64
    assert Y.dtype == np.float64
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("name", NAMES)
def test_binary_labels(name):
    _, Y = DATASETS[name](m=200, seed=1)
    assert set(np.unique(Y)) == {0.0, 1.0}


@pytest.mark.parametrize("name", ["moons", "xor", "spiral", "blobs"])
@pytest.mark.parametrize("m", [100, 101])
def test_balanced_classes(name, m):
    _, Y = DATASETS[name](m=m, seed=2)
    ones = int(Y.sum())
    assert ones in (m // 2, m - m // 2)


@pytest.mark.parametrize("name", ["moons", "xor", "spiral", "blobs"])
def test_class_0_gets_the_extra_sample_for_odd_m(name):
    _, Y = DATASETS[name](m=101, seed=2)
    assert int(np.sum(Y == 0.0)) == 51 and int(np.sum(Y == 1.0)) == 50


@pytest.mark.parametrize("name", NAMES)
def test_classes_are_shuffled(name):
    _, Y = DATASETS[name](m=200, seed=3)
    labels = Y.ravel()
    # Sorted labels change value once; shuffled ones about m / 2 times.
    changes = np.count_nonzero(np.diff(labels))
    assert changes > 40
    # Both classes show up in the first mini-batch.
    assert len(np.unique(labels[:32])) == 2


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_data(name):
    X1, Y1 = DATASETS[name](m=50, seed=123)
    X2, Y2 = DATASETS[name](m=50, seed=123)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(Y1, Y2)


@pytest.mark.parametrize("name", NAMES)
def test_other_seed_other_data(name):
    X1, _ = DATASETS[name](m=50, seed=123)
    X2, _ = DATASETS[name](m=50, seed=124)
    assert not np.allclose(X1, X2)


@pytest.mark.parametrize("name", NAMES)
def test_int_seed_leaves_global_rng_alone(name):
    np.random.seed(0)
    before = _global_state()
    DATASETS[name](m=50, seed=7)
    after = _global_state()
    assert before[0] == after[0]
    np.testing.assert_array_equal(before[1], after[1])
    assert before[2:] == after[2:]


@pytest.mark.parametrize("name", NAMES)
def test_seed_none_follows_np_random_seed(name):
    np.random.seed(42)
    X1, Y1 = DATASETS[name](m=50)
    np.random.seed(42)
    X2, Y2 = DATASETS[name](m=50)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(Y1, Y2)


def test_generator_seed_is_accepted():
    X1, _ = dataset_moons(m=20, seed=np.random.default_rng(5))
    X2, _ = dataset_moons(m=20, seed=np.random.default_rng(5))
    np.testing.assert_array_equal(X1, X2)


def test_circles_label_rule_without_noise():
    radius = 0.6
    X, Y = dataset_circles(m=500, radius=radius, noise=0.0, seed=0)
    inside = np.linalg.norm(X[:, :, 0], axis=1) < radius
    np.testing.assert_array_equal(Y[:, 0, 0], inside.astype(float))
    assert np.all(np.abs(X) <= 1.0)


def test_circles_old_signature_still_works():
    np.random.seed(1)
    X, Y = dataset_circles(128, 0.7, 0.0)
    assert X.shape == (128, 2, 1) and Y.shape == (128, 1, 1)
    X, Y = dataset_circles(m=64, radius=0.5, noise=0.1)
    assert X.shape == (64, 2, 1)


def test_circles_noise_moves_points_but_not_labels():
    X0, Y0 = dataset_circles(m=100, noise=0.0, seed=9)
    X1, Y1 = dataset_circles(m=100, noise=0.2, seed=9)
    np.testing.assert_array_equal(Y0, Y1)
    assert not np.allclose(X0, X1)
    assert np.std(X1 - X0) == pytest.approx(0.2, rel=0.2)


def test_xor_label_rule_without_noise():
    X, Y = dataset_xor(m=400, noise=0.0, seed=0)
    x1, x2 = X[:, 0, 0], X[:, 1, 0]
    np.testing.assert_array_equal(Y[:, 0, 0], (x1 * x2 < 0).astype(float))
    assert np.all(np.abs(X) <= 1.0)


def test_spiral_points_inside_unit_disc_without_noise():
    X, _ = dataset_spiral(m=300, noise=0.0, turns=2.0, seed=0)
    assert np.all(np.linalg.norm(X[:, :, 0], axis=1) <= 1.0 + 1e-12)


def test_moons_roughly_in_unit_square():
    X, _ = dataset_moons(m=500, noise=0.0, seed=0)
    assert np.all(np.abs(X) <= 1.0 + 1e-12)


def test_blobs_three_classes_are_indices():
    X, Y = dataset_blobs(m=90, centers=3, std=0.1, seed=0)
    assert X.shape == (90, 2, 1) and Y.shape == (90, 1, 1)
    values, counts = np.unique(Y, return_counts=True)
    np.testing.assert_array_equal(values, [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(counts, [30, 30, 30])


def test_blobs_zero_std_gives_the_centres():
    X, Y = dataset_blobs(m=10, centers=2, std=0.0, seed=0)
    for label in (0.0, 1.0):
        points = X[Y[:, 0, 0] == label, :, 0]
        assert np.allclose(points, points[0])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: dataset_circles(m=0), "m must be a positive int"),
        (lambda: dataset_circles(m=-3), "m must be a positive int"),
        (lambda: dataset_circles(m=2.5), "m must be a positive int"),
        (lambda: dataset_circles(m="10"), "m must be a positive int"),
        (lambda: dataset_circles(m=True), "m must be a positive int"),
        (lambda: dataset_circles(radius=0), "radius must be > 0"),
        (lambda: dataset_circles(radius=float("nan")), "radius must be a finite number"),
        (lambda: dataset_circles(noise=-0.1), "noise must be >= 0"),
        (lambda: dataset_moons(noise="big"), "noise must be a finite number"),
        (lambda: dataset_xor(m=None), "m must be a positive int"),
        (lambda: dataset_spiral(turns=0), "turns must be > 0"),
        (lambda: dataset_blobs(centers=1), "centers must be an int >= 2"),
        (lambda: dataset_blobs(centers=2.0), "centers must be an int >= 2"),
        (lambda: dataset_blobs(std=-1), "std must be >= 0"),
        (lambda: dataset_moons(seed=-1), "seed must be None, an int >= 0"),
        (lambda: dataset_moons(seed="abc"), "seed must be None, an int >= 0"),
    ],
)
def test_argument_validation(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_load_dataset_by_name():
    X, Y = load_dataset("spiral", m=40, turns=1.0, seed=0)
    X2, Y2 = dataset_spiral(m=40, turns=1.0, seed=0)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(Y, Y2)
    assert set(DATASETS) == {"circles", "moons", "xor", "spiral", "blobs"}


def test_load_dataset_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="unknown dataset 'moon'") as info:
        load_dataset("moon")
    for name in DATASETS:
        assert repr(name) in str(info.value)


def test_load_dataset_bad_keyword():
    with pytest.raises(TypeError):
        load_dataset("xor", radius=0.5)


# ------------------------------------------------------------------ the handwritten digits
SPLITS = {"train": 1079, "validation": 359, "test": 359}


def _rows(X, Y):
    """Each sample as one row of its pixels and its label, sorted: a split's samples as a multiset."""
    rows = np.concatenate([X[:, :, 0], Y[:, :, 0].argmax(axis=1)[:, None]], axis=1)
    return rows[np.lexsort(rows.T[::-1])]


@pytest.mark.parametrize("split", SPLITS)
def test_digits_in_the_course_layout(split):
    X, Y = dataset_digits(split)
    m = SPLITS[split]
    assert X.shape == (m, 64, 1) and Y.shape == (m, 10, 1)
    assert X.dtype == np.float64 and Y.dtype == np.float64
    assert X.min() == 0.0 and X.max() == 1.0  # intensities 0..16, scaled
    assert set(np.unique(Y)) == {0.0, 1.0}
    np.testing.assert_array_equal(Y.sum(axis=1), np.ones((m, 1)))  # one-hot
    counts = Y[:, :, 0].sum(axis=0)
    assert counts.min() >= 0.6 * m / 10, f"a digit is rare in the {split} split: {counts}"


def test_digits_splits_are_a_partition_of_the_whole_set():
    from sklearn.datasets import load_digits

    splits = [dataset_digits(split, seed=4) for split in SPLITS]
    together = _rows(np.concatenate([X for X, _ in splits]), np.concatenate([Y for _, Y in splits]))
    digits = load_digits()
    everything = _rows(digits.data[:, :, None] / 16.0, np.eye(10)[digits.target][:, :, None])
    np.testing.assert_array_equal(together, everything)


def test_digits_the_same_seed_gives_the_same_split_and_another_seed_another():
    X1, Y1 = dataset_digits("test")
    X2, Y2 = dataset_digits("test", seed=0)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(Y1, Y2)
    X3, _ = dataset_digits("test", seed=1)
    assert not np.array_equal(X1, X3)
    np.random.seed(5)
    X4, _ = dataset_digits("validation", seed=None)
    np.random.seed(5)
    np.testing.assert_array_equal(X4, dataset_digits("validation", seed=None)[0])


def test_digits_int_seed_leaves_global_rng_alone_and_callers_cannot_change_the_data():
    np.random.seed(0)
    before = _global_state()
    X, Y = dataset_digits("train", seed=3)
    after = _global_state()
    np.testing.assert_array_equal(before[1], after[1])
    X[:] = -1.0
    Y[:] = 7.0
    X2, Y2 = dataset_digits("train", seed=3)
    assert X2.min() == 0.0 and set(np.unique(Y2)) == {0.0, 1.0}


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: dataset_digits("training"), "split must be one of 'train', 'validation', 'test'"),
        (lambda: dataset_digits(None), "split must be one of"),
        (lambda: dataset_digits("test", seed=-2), "seed must be None, an int >= 0"),
    ],
)
def test_digits_argument_validation(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_digits_read_without_scikit_learns_file_come_from_its_loader(monkeypatch):
    import dataset

    expected = dataset_digits("validation")
    monkeypatch.setattr(dataset.importlib.util, "find_spec", lambda name: None)  # as if the file were elsewhere
    dataset._digit_images.cache_clear()
    try:
        got = dataset_digits("validation")
    finally:
        dataset._digit_images.cache_clear()
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)
