"""Task 6's checks in-process: the reference answers pass whatever the seed, the trained-network
check reads nothing but the weights, and `explain_errors` turns an unfinished answer into one line.

tests/test_bank.py grades the same answers through the sandbox.
"""

import contextlib
import io

import nbformat
import numpy as np
import pytest

from autograder import course, specs

TASK6 = "task6_digits"


def quietly(function, *args, **kwargs):
    with contextlib.redirect_stdout(io.StringIO()) as out:
        result = function(*args, **kwargs)
    return result, out.getvalue()


@pytest.fixture(scope="module")
def reference():
    """What the Task 6 source notebook's answer cells define, next to the given framework."""
    notebook = nbformat.read(course.notebook_path(TASK6), as_version=4)
    namespace = {"__name__": "__main__"}
    exec("import numpy as np\nfrom utils import Module\n", namespace)
    for cell in course.answer_cells(notebook).values():
        exec(course.solution_source(cell.source), namespace)
    return namespace


def test_reference_answers_earn_full_marks_whatever_the_seed(reference):
    spec = specs.load(TASK6)  # puts source/task6_digits (the given framework) on sys.path
    for seed in range(31):
        for test_id, (_, check, name) in spec.TRUSTED.items():
            score, report = quietly(check, reference[name], points=1.0, seed=seed)
            assert score == 1.0, f"{test_id}, seed {seed}:\n{report}"


class _Layer:
    def __init__(self, W, b):
        self.W, self.b = W, b


class _Activation:
    def __init__(self, function):
        self.function = function

    def forward(self, z):
        return self.function(z)


class _Network:
    """A trained-looking `mlp` whose own forward pass answers perfectly, whatever its weights."""

    def __init__(self, modules):
        self.modules = dict(modules)

    def __call__(self, X):
        from dataset import dataset_digits

        return dataset_digits("test")[1]


def _trained(seed=0, hidden=256):
    """W and b of a 64-256-10 ReLU network that reads the digits (about 97 %): random ReLU features and
    the output layer that fits one-hot targets best in the least-squares sense, a fraction of a second."""
    from dataset import dataset_digits

    X, Y = (array[:, :, 0] for array in dataset_digits("train"))
    rng = np.random.default_rng(seed)
    W1, b1 = rng.standard_normal((hidden, 64)) * np.sqrt(2 / 64), rng.standard_normal(hidden) * 0.1
    A = np.hstack([np.maximum(X @ W1.T + b1, 0), np.ones((len(X), 1))])
    solution = np.linalg.solve(A.T @ A + 0.1 * np.eye(hidden + 1), A.T @ Y)  # ridge regression
    return (W1, b1[:, None]), (solution[:-1].T, solution[-1][:, None])


def test_the_trained_network_is_judged_by_its_weights_alone():
    from task6_checks import check_digits_network

    relu = _Activation(lambda z: np.maximum(z, 0.0))
    (W1, b1), (W2, b2) = _trained()
    good = _Network([("Dense_1", _Layer(W1, b1)), ("ReLU_1", relu), ("Dense_2_out", _Layer(W2, b2))])
    assert quietly(check_digits_network, good, points=2)[0] == 2
    rng = np.random.default_rng(1)
    random = _Network([("Dense_1", _Layer(rng.standard_normal(W1.shape), b1)), ("ReLU_1", relu),
                       ("Dense_2_out", _Layer(rng.standard_normal(W2.shape), b2))])
    score, report = quietly(check_digits_network, random, points=2)  # its own forward pass would be perfect
    assert score == 0 and "95%" in report, report
    tanh = _Network([("Dense_1", _Layer(W1, b1)), ("Tanh_1", _Activation(np.tanh)), ("Dense_2_out", _Layer(W2, b2))])
    score, report = quietly(check_digits_network, tanh, points=2)
    assert score == 0 and "'Tanh_1' is not a ReLU" in report, report
    score, report = quietly(check_digits_network, None, points=2)
    assert score == 0 and "not a Model with modules" in report, report


def test_an_experiment_says_in_one_line_what_is_unfinished():
    """Task 6's experiments use the course's one helper (scoring.ExplainErrors) with its exercise table."""
    from task6_checks import explain_errors

    class Softmax:
        def forward(self, z):
            raise NotImplementedError()

    def predict(Y_hat):
        return np.eye(3)[Y_hat]  # floats as indices: IndexError

    with contextlib.redirect_stdout(io.StringIO()) as out:
        with explain_errors("Softmax"):
            Softmax().forward(np.zeros((2, 3, 1)))
        with explain_errors("predict"):
            predict(np.zeros(2))
        with explain_errors("CrossEntropyLoss"):
            pass
        with explain_errors("one_hot"):
            print(undefined_by_an_earlier_cell)  # noqa: F821 - the point of the test
    lines = out.getvalue().splitlines()
    assert lines[0] == "✗ Softmax.forward is not written yet: finish Exercise 1, then run this cell again."
    assert lines[1].startswith("✗ predict raised IndexError: ") and \
        lines[1].endswith(": fix Exercise 5 (its self-check says more), then run this cell again.")
    assert lines[2] == ("✗ this cell needs `undefined_by_an_earlier_cell`, which an earlier cell did not make: "
                        "fix the first ✗ above, then run this cell again.")
    assert len(lines) == 3
