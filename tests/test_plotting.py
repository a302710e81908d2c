"""Tests of plotting.py with tiny hand-written models, on the Agg backend."""

import matplotlib

matplotlib.use("Agg")

import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import matplotlib.pyplot as plt
import numpy as np
import pytest

from dataset import dataset_blobs, dataset_moons
from plotting import plot_dataset, plot_decision_boundary, plot_history
from utils import Module


class Logistic(Module):
    """sigmoid(W x + b): the smallest model of the course API, (k, 2, 1) -> (k, 1, 1)."""

    def __init__(self, scale=1.0):
        super().__init__()
        self.W = scale * np.array([[2.0, -3.0]])  # (1, 2)
        self.b = np.array([[0.1]])  # (1, 1)
        self.batch_sizes = []

    def forward(self, X):
        self.batch_sizes.append(len(X))
        return 1.0 / (1.0 + np.exp(-(self.W @ X + self.b)))


class Broken(Module):
    """Wraps a function of X to imitate a buggy forward."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, X):
        return self.fn(X)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def data():
    return dataset_moons(m=60, noise=0.1, seed=0)


def test_plot_dataset_returns_axes(data):
    X, Y = data
    ax = plot_dataset(X, Y, title="moons")
    assert isinstance(ax, matplotlib.axes.Axes)
    assert ax.get_title() == "moons"
    assert len(ax.collections) == 2  # one scatter per class


def test_plot_dataset_draws_into_given_axes(data):
    X, Y = data
    _, ax = plt.subplots()
    assert plot_dataset(X, Y, ax=ax) is ax


def test_plot_dataset_multiclass():
    X, Y = dataset_blobs(m=30, centers=3, seed=0)
    ax = plot_dataset(X, Y)
    assert len(ax.collections) == 3


@pytest.mark.parametrize(
    "shape, hint",
    [
        ((60, 2), "use X.reshape(60, 2, 1)"),
        ((2, 60), "X.T.reshape(60, 2, 1)"),
        ((60, 1, 2), "X.reshape(60, 2, 1)"),
        ((60, 3, 1), "a stack of m column vectors"),
    ],
)
def test_plot_dataset_wrong_X_shape(data, shape, hint):
    _, Y = data
    X = np.zeros(shape)
    with pytest.raises(ValueError, match=r"X must have shape \(m, 2, 1\); got ") as info:
        plot_dataset(X, Y)
    assert str(shape) in str(info.value)
    assert hint in str(info.value)


def test_plot_dataset_wrong_Y_shape(data):
    X, Y = data
    with pytest.raises(ValueError, match=r"Y must have shape \(60, 1, 1\)") as info:
        plot_dataset(X, Y.ravel())
    assert "Y.reshape(60, 1, 1)" in str(info.value)
    with pytest.raises(ValueError, match=r"got \(59, 1, 1\)"):
        plot_dataset(X, Y[:59])


def test_plot_dataset_rejects_probabilities_as_labels(data):
    X, _ = data
    with pytest.raises(ValueError, match="class labels"):
        plot_dataset(X, np.full((60, 1, 1), 0.3))


def test_decision_boundary_with_module(data):
    X, Y = data
    model = Logistic()
    ax = plot_decision_boundary(model, X, Y, resolution=50, title="logistic")
    assert isinstance(ax, matplotlib.axes.Axes)
    assert ax.get_title() == "logistic"
    assert sum(model.batch_sizes) == 50 * 50
    # Filled contours, the 0.5 line and the two classes of points.
    assert len(ax.collections) >= 4


def test_decision_boundary_evaluates_in_chunks(data):
    X, Y = data
    model = Logistic()
    plot_decision_boundary(model, X, Y, resolution=150)
    assert sum(model.batch_sizes) == 150 * 150
    assert max(model.batch_sizes) <= 10_000
    assert len(model.batch_sizes) == 3


def test_decision_boundary_grid_covers_data_with_padding(data):
    X, Y = data
    seen = []

    def model(grid):
        seen.append(grid.copy())
        return np.full((len(grid), 1, 1), 0.5)

    plot_decision_boundary(model, X, Y, resolution=20, padding=0.5)
    grid = np.concatenate(seen)
    assert grid.shape == (400, 2, 1)
    np.testing.assert_allclose(grid[:, :, 0].min(axis=0), X[:, :, 0].min(axis=0) - 0.5)
    np.testing.assert_allclose(grid[:, :, 0].max(axis=0), X[:, :, 0].max(axis=0) + 0.5)


def test_decision_boundary_silences_overflow(data):
    X, Y = data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # exp(-z) overflows for |z| > 709: W is large enough for that on the grid.
        plot_decision_boundary(Logistic(scale=1000.0), X, Y, resolution=30)


def test_decision_boundary_multiclass():
    X, Y = dataset_blobs(m=60, centers=3, std=0.1, seed=0)

    def scores(grid):
        # Class c scores best near the mean of its points: (k, 3, 1).
        means = np.stack([X[Y[:, 0, 0] == c, :, 0].mean(axis=0) for c in range(3)])
        return -((grid[:, None, :, 0] - means[None]) ** 2).sum(axis=2)[:, :, None]

    ax = plot_decision_boundary(scores, X, Y, resolution=40)
    assert isinstance(ax, matplotlib.axes.Axes)


def test_decision_boundary_plain_scores_with_threshold(data):
    X, Y = data
    model = Logistic()
    ax = plot_decision_boundary(lambda grid: model.W @ grid + model.b, X, Y, threshold=0.0)
    assert isinstance(ax, matplotlib.axes.Axes)


@pytest.mark.parametrize(
    "fn, fragments",
    [
        (
            lambda X: np.zeros((len(X), 1)),
            ["model returned shape (", ", 1) for a grid of shape (", "trailing axis", "forward"],
        ),
        (
            lambda X: np.zeros((len(X),)),
            ["model returned shape (", "expected (", ", 1, 1)"],
        ),
        (
            lambda X: np.zeros((1, len(X), 1)),
            ["model returned shape (1, ", "batch axis should come first"],
        ),
        (
            lambda X: np.zeros((1, 1, 1)),
            ["model returned shape (1, 1, 1)", "one output per grid point"],
        ),
        (
            lambda X: np.zeros((len(X), 1, 2)),
            ["model returned shape (", ", 1, 2)", "C classes"],
        ),
        (
            lambda X: np.float64(0.5),
            ["model returned shape ()", "last module's output"],
        ),
    ],
)
def test_decision_boundary_bad_model_shape(data, fn, fragments):
    X, Y = data
    with pytest.raises(ValueError) as info:
        plot_decision_boundary(Broken(fn), X, Y, resolution=20)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message


def test_decision_boundary_message_names_both_shapes(data):
    X, Y = data
    with pytest.raises(ValueError) as info:
        plot_decision_boundary(Broken(lambda X: X[:, :1, 0]), X, Y, resolution=20)
    assert str(info.value).startswith(
        "model returned shape (400, 1) for a grid of shape (400, 2, 1); expected (400, 1, 1)"
    )


def test_decision_boundary_model_returns_none(data):
    X, Y = data

    class NoReturn(Module):
        def forward(self, X):
            self.out = X[:, :1]  # computed, but forgot to return it

    with pytest.raises(ValueError, match="model returned None") as info:
        plot_decision_boundary(NoReturn(), X, Y, resolution=20)
    assert "forget `return`" in str(info.value)


def test_decision_boundary_nan_output(data):
    X, Y = data
    with pytest.raises(ValueError, match="NaN") as info:
        plot_decision_boundary(Broken(lambda X: np.full((len(X), 1, 1), np.nan)), X, Y)
    assert "overflow" in str(info.value)


def test_decision_boundary_non_numeric_output(data):
    X, Y = data
    with pytest.raises(ValueError, match="not a numeric array"):
        plot_decision_boundary(Broken(lambda X: "oops"), X, Y, resolution=20)


def test_decision_boundary_wrong_X_shape(data):
    X, Y = data
    with pytest.raises(ValueError, match=r"X must have shape \(m, 2, 1\); got \(60, 2\)") as info:
        plot_decision_boundary(Logistic(), X[:, :, 0], Y)
    assert "X.reshape(60, 2, 1)" in str(info.value)


def test_decision_boundary_wrong_Y_shape(data):
    X, Y = data
    with pytest.raises(ValueError, match=r"Y must have shape \(60, 1, 1\)"):
        plot_decision_boundary(Logistic(), X, Y[:, :, 0])


def test_decision_boundary_binary_model_on_three_classes():
    X, Y = dataset_blobs(m=30, centers=3, seed=0)
    with pytest.raises(ValueError, match="3 classes"):
        plot_decision_boundary(Logistic(), X, Y, resolution=20)


@pytest.mark.parametrize("resolution", [1, 2.5, "200"])
def test_decision_boundary_bad_resolution(data, resolution):
    X, Y = data
    with pytest.raises(ValueError, match="resolution must be an int >= 2"):
        plot_decision_boundary(Logistic(), X, Y, resolution=resolution)


def test_decision_boundary_model_not_callable(data):
    X, Y = data
    with pytest.raises(TypeError, match="model must be callable"):
        plot_decision_boundary(np.zeros(3), X, Y)


def test_plot_history_loss_and_accuracy():
    history = {"loss": [0.7, 0.5, 0.3], "accuracy": [0.5, 0.8, 0.9]}
    ax = plot_history(history)
    assert isinstance(ax, matplotlib.axes.Axes)
    assert [line.get_label() for line in ax.get_lines()] == ["loss"]
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["loss", "accuracy"]
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [1, 2, 3])


def test_plot_history_only_loss_into_given_axes():
    _, ax = plt.subplots()
    assert plot_history({"loss": np.linspace(1, 0.1, 10)}, ax=ax) is ax


@pytest.mark.parametrize("history", [{}, [0.5, 0.4], {"loss": [[1.0, 2.0]]}])
def test_plot_history_validation(history):
    with pytest.raises(ValueError, match="history"):
        plot_history(history)
