"""utils.Module and utils.gradient_check, on the course's reference classes."""

import numpy as np
import pytest

from autograder import course
from dataset import dataset_circles
from utils import Module, gradient_check, parameters_of

CLASSES = ["linear", "sigmoid", "tanh", "relu", "mse_loss", "bce_loss", "model"]


@pytest.fixture(scope="module")
def nn():
    """The Task 2 reference classes, cut from the source notebook (as Task 3's framework.py)."""
    namespace = {}
    exec(compile(course.generate_given_code("task2_backward", CLASSES), "framework", "exec"), namespace)
    return namespace


def network(nn, hidden="Tanh", seed=0):
    np.random.seed(seed)
    model = nn["Model"]()
    sizes = [2, 3, 4, 5, 1]
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True), start=1):
        model.add_module(nn["Linear"](n_in, n_out), f"Dense_{i}")
        model.add_module(nn[hidden]() if i < len(sizes) - 1 else nn["Sigmoid"](), f"act_{i}")
    return model


def test_correct_network_passes_with_the_seed_verdict(nn, capsys):
    X, Y = dataset_circles(m=64, radius=0.7, noise=0.0, seed=0)
    difference = gradient_check(network(nn), nn["BCELoss"](), X, Y)
    assert difference < 1e-7
    assert capsys.readouterr().out.startswith("Your backward propagation works perfectly fine! difference = ")


def test_wrong_gradient_is_large_and_named(nn, capsys):
    X, Y = dataset_circles(m=64, radius=0.7, noise=0.0, seed=0)
    model = network(nn)
    broken = model.modules["Dense_2"]
    original = type(broken).backward

    def summed_backward(self, dz):  # dW summed over the batch instead of averaged
        result = original(self, dz)
        self.dW = self.dW * dz.shape[0]
        return result

    broken.backward = summed_backward.__get__(broken)
    difference = gradient_check(model, nn["BCELoss"](), X, Y)
    out = capsys.readouterr().out
    assert difference > 1e-2
    assert "There is a mistake in the backward propagation!" in out
    assert "Dense_2.W" in out and "Dense_1.W" not in out and "Dense_2.b" not in out


def test_misshapen_gradient_is_reported(nn, capsys):
    X, Y = dataset_circles(m=16, radius=0.7, noise=0.0, seed=1)
    model = network(nn)
    layer = model.modules["Dense_3"]
    original = type(layer).backward

    def flat_db(self, dz):
        result = original(self, dz)
        self.db = self.db.ravel()
        return result

    layer.backward = flat_db.__get__(layer)
    assert gradient_check(model, nn["MSELoss"](), X, Y) >= 1.0
    assert "Dense_3.b: db has shape (5,) but b has shape (5, 1)" in capsys.readouterr().out


def test_parameters_are_restored_after_the_check(nn):
    X, Y = dataset_circles(m=16, radius=0.7, noise=0.0, seed=2)
    model = network(nn, hidden="ReLU")
    before = [getattr(m, a).copy() for _, m, a in parameters_of(model)]
    gradient_check(model, nn["BCELoss"](), X, Y, verbose=False)
    after = [getattr(m, a) for _, m, a in parameters_of(model)]
    assert all(np.array_equal(x, y) for x, y in zip(before, after, strict=True))


def test_module_basics():
    class Double(Module):
        def forward(self, x):
            return 2 * x

    model = Module()
    model.add_module(Double(), "double")
    assert list(model.modules) == ["double"] and model.modules["double"](3) == 6
    with pytest.raises(KeyError, match="already added"):
        model.add_module(Double(), "double")
    with pytest.raises(ValueError, match="no parameters"):
        gradient_check(model, None, np.zeros((1, 1, 1)), np.zeros((1, 1, 1)))
