"""utils.Module and utils.gradient_check, on the course's reference classes.

gradient_check must raise no false alarm on correct networks of the kinds students build (ReLU
kinks, saturated units, BCE's clip window) and name every planted bug: a wrong dW or db, a missing
1/m, a wrong returned gradient (named by the layer that returns it), a broken Model. The benchmark
(benchmarks/gradient_check_benchmark.py) measures the same on a few hundred random networks.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder import course
from dataset import dataset_circles
from utils import Module, _diagnose, gradient_check, parameters_of


@pytest.fixture(scope="module")
def nn():
    """The Task 2 reference classes, cut from the source notebook (as Task 3's framework.py)."""
    namespace = {}
    exec(compile(course.generate_given_code("task2_backward", course.FRAMEWORK), "framework", "exec"), namespace)
    return namespace


def network(nn, hidden="Tanh", seed=0, sizes=(2, 3, 4, 5, 1)):
    """A network as the main cell builds one: the reference Linear's randn W and zero b."""
    np.random.seed(seed)
    model = nn["Model"]()
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True), start=1):
        model.add_module(nn["Linear"](n_in, n_out), f"Dense_{i}")
        model.add_module(nn[hidden]() if i < len(sizes) - 1 else nn["Sigmoid"](), f"act_{i}")
    return model


def planted(layer, dW=1.0, db=1.0, returned=1.0):
    """Make `layer.backward` scale its dW, db and returned gradient (a factor m is summed over the batch)."""
    original = layer.backward

    def backward(dz):
        m = dz.shape[0]
        result = original(dz)
        layer.dW = layer.dW * (m if dW == "m" else dW)
        layer.db = layer.db * (m if db == "m" else db)
        return result * returned

    layer.backward = backward


CIRCLES = dataset_circles(m=128, radius=0.7, noise=0.0, seed=0)


def test_correct_network_passes_with_the_seed_verdict(nn, capsys):
    X, Y = dataset_circles(m=64, radius=0.7, noise=0.0, seed=0)
    difference = gradient_check(network(nn), nn["BCELoss"](), X, Y)
    assert difference < 1e-7
    assert capsys.readouterr().out.startswith("Your backward propagation works perfectly fine! difference = ")


def test_the_seed_relu_network_passes_for_every_seed(nn):
    """The seed notebook's ReLU 2-3-4-5-1 with zero biases: dead layers put ReLU inputs exactly at the kink."""
    X, Y = CIRCLES
    kinks = 0
    for seed in range(10):
        diagnosis = _diagnose(network(nn, "ReLU", seed), nn["BCELoss"](), X, Y)
        assert diagnosis.difference < 1e-7, (seed, diagnosis.text())
        kinks += diagnosis.excused["kink"]
    assert kinks > 0  # the kinks were there, and excused


def test_saturated_and_clipped_networks_raise_no_alarm(nn):
    """Wide Tanh and Sigmoid networks saturate; ReLU networks with randn weights push BCE into its clip."""
    X, Y = CIRCLES
    for hidden, sizes, loss in [("Tanh", (2, 32, 32, 32, 1), "BCELoss"), ("Sigmoid", (2, 32, 32, 32, 32, 1), "MSELoss"),
                                ("ReLU", (2, 28, 17, 6, 1), "BCELoss")]:
        diagnosis = _diagnose(network(nn, hidden, 3, sizes), nn[loss](), X, Y)
        assert diagnosis.difference < 1e-7, diagnosis.text()
    assert _diagnose(network(nn, "ReLU", 3, (2, 28, 17, 6, 1)), nn["BCELoss"](), X, Y).excused["clipped"] > 0


@pytest.mark.parametrize(("bug", "named", "difference"), [
    ({"dW": "m"}, ["Dense_2.W"], 127 / 129),
    ({"db": -1.0}, ["Dense_2.b"], 1.0),
    ({"dW": "m", "db": "m"}, ["Dense_2.W", "Dense_2.b"], 127 / 129),
    ({"returned": 0.5}, ["Dense_2"], 1 / 3),
])
def test_a_planted_bug_is_named(nn, capsys, bug, named, difference):
    X, Y = CIRCLES
    model = network(nn)
    planted(model.modules["Dense_2"], **bug)
    assert gradient_check(model, nn["BCELoss"](), X, Y) == pytest.approx(difference, abs=1e-6)
    out = capsys.readouterr().out
    assert out.startswith("There is a mistake in the backward propagation!")
    assert _diagnose(model, nn["BCELoss"](), X, Y).suspects() == named
    if named == ["Dense_2"]:  # the layers below are named as receiving a wrong gradient, not as suspects
        assert "Dense_2 returns a wrong gradient" in out and "Dense_1.W, Dense_1.b are computed from" in out
    else:
        assert f"{named[0]}: difference = {difference:.6g}  <-- check this gradient" in out


def test_differences_near_one_keep_their_digits(nn, capsys):
    X, Y = CIRCLES
    model = network(nn)
    planted(model.modules["Dense_3"], dW=8000.0)  # |c - 1| / (|c| + 1) = 0.99975
    gradient_check(model, nn["BCELoss"](), X, Y)
    assert "Dense_3.W: difference = 0.99975 " in capsys.readouterr().out


def test_a_wrong_loss_gradient_is_named(nn):
    X, Y = CIRCLES
    loss_fn = nn["MSELoss"]()
    original = loss_fn.backward
    loss_fn.backward = lambda p, y: original(p, y) / p.shape[0]  # divided by m: the 1/m twice
    assert _diagnose(network(nn), loss_fn, X, Y).suspects() == ["loss_fn"]


def test_a_broken_model_is_named(nn, capsys):
    X, Y = CIRCLES
    model = network(nn)
    Model = type(model)

    def skips_the_first(grad):
        for module in list(model.modules.values())[:0:-1]:
            grad = module.backward(grad)
        return grad

    model.backward = skips_the_first
    gradient_check(model, nn["BCELoss"](), X, Y)
    assert "Model.backward called the modules' backward in the order" in capsys.readouterr().out
    model.backward = lambda grad: [Model.backward(model, grad), None][1]
    gradient_check(model, nn["BCELoss"](), X, Y)
    assert "Model.backward returns None" in capsys.readouterr().out


def test_misshapen_gradient_is_reported(nn, capsys):
    X, Y = dataset_circles(m=16, radius=0.7, noise=0.0, seed=1)
    model = network(nn)
    layer = model.modules["Dense_3"]
    original = layer.backward

    def flat_db(dz):
        result = original(dz)
        layer.db = layer.db.ravel()
        return result

    layer.backward = flat_db
    assert gradient_check(model, nn["MSELoss"](), X, Y) >= 1.0
    assert "Dense_3.b: db has shape (5,) but b has shape (5, 1)" in capsys.readouterr().out


def test_in_place_changes_and_float32_are_noted(nn, capsys):
    X, Y = CIRCLES
    model = network(nn, "ReLU")
    relu = model.modules["act_1"]

    def forward(input):  # right values, but the Linear's output it was given is changed
        relu.z = input.copy()
        np.maximum(input, 0, out=input)
        return input

    relu.forward = forward
    assert gradient_check(model, nn["BCELoss"](), X, Y) < 1e-7
    assert "note: act_1 changed its input in place" in capsys.readouterr().out
    model = network(nn)
    layer = model.modules["Dense_1"]
    original = layer.forward
    layer.forward = lambda input: original(input).astype(np.float32)
    gradient_check(model, nn["BCELoss"](), X, Y)
    assert "note: Dense_1, act_1 compute in float32" in capsys.readouterr().out


def test_unfinished_code_is_one_line_not_a_traceback(nn, capsys):
    X, Y = CIRCLES
    model = network(nn)

    class Unfinished(nn["Sigmoid"]):
        def backward(self, da):
            raise NotImplementedError()

    model.modules["act_4"] = Unfinished()
    assert gradient_check(model, nn["BCELoss"](), X, Y) == 1.0
    assert capsys.readouterr().out == ("gradient_check could not run your network: model.backward is not "
                                       "implemented yet (it raises NotImplementedError)\n")


def test_the_network_is_left_as_one_pass_leaves_it(nn):
    X, Y = dataset_circles(m=16, radius=0.7, noise=0.0, seed=2)
    model = network(nn, hidden="ReLU")
    before = [getattr(m, a).copy() for _, m, a in parameters_of(model)]
    gradient_check(model, nn["BCELoss"](), X, Y, verbose=False)
    after = [getattr(m, a) for _, m, a in parameters_of(model)]
    assert all(np.array_equal(x, y) for x, y in zip(before, after, strict=True))
    assert "forward" not in vars(model.modules["Dense_1"]) and "backward" not in vars(model.modules["Dense_1"])
    dW = model.modules["Dense_1"].dW.copy()
    model.backward(nn["BCELoss"]().backward(model(X), Y))
    assert np.array_equal(dW, model.modules["Dense_1"].dW)


NETWORKS = st.tuples(st.lists(st.integers(2, 12), min_size=1, max_size=3), st.sampled_from(["ReLU", "Tanh", "Sigmoid"]),
                     st.sampled_from(["BCELoss", "MSELoss"]), st.integers(0, 2**16))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(NETWORKS, st.sampled_from(["dW", "db", "returned"]), st.sampled_from([0.0, -1.0, 2.0, 0.5, "m"]))
def test_random_networks_no_false_alarm_and_every_bug_named(nn, drawn, kind, factor):
    hidden, activation, loss, seed = drawn
    X, Y = dataset_circles(m=32, radius=0.7, noise=0.0, seed=seed)
    sizes = (2, *hidden, 1)
    assert _diagnose(network(nn, activation, seed, sizes), nn[loss](), X, Y).difference < 1e-7
    model = network(nn, activation, seed, sizes)
    layers = [name for name in model.modules if name.startswith("Dense")]
    name = layers[-1]  # the output layer: its gradients are never exactly zero
    if kind == "returned":
        factor = 1 / X.shape[0] if factor == "m" else factor
    planted(model.modules[name], **{kind: factor})
    diagnosis = _diagnose(model, nn[loss](), X, Y)
    expected = [name] if kind == "returned" else [f"{name}.{kind[1]}"]
    assert diagnosis.suspects() == expected, diagnosis.text()


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
    assert model.eval() is model and not model.training and not model.modules["double"].training
    assert model.train().training and model.modules["double"].training
