"""Task 1's self-check hints, in-process (tests/test_bank.py grades the same bank answers through the sandbox):
a bug gets the hint that names it and no garbled one, and an unwritten class is told so plainly."""

import contextlib
import io

import nbformat
import pytest

import task1_checks
from autograder import course
from autograder.submissions import BANK, read_answers

TASK1 = "task1_forward"
CLASS_CELLS = ["linear", "sigmoid", "tanh", "relu", "mse_loss", "bce_loss", "model"]


def classes(answers=(), root=course.SOURCE):
    """What the notebook at `root` defines with these answers (its own answer cells elsewhere)."""
    cells = course.answer_cells(nbformat.read(course.notebook_path(TASK1, root), as_version=4))
    namespace = {"__name__": "__main__"}
    exec("import numpy as np\nfrom utils import Module\n", namespace)
    for gid in CLASS_CELLS:
        exec(dict(answers).get(gid, course.solution_source(cells[gid].source)), namespace)
    return namespace


def report_of(check, cls):
    with contextlib.redirect_stdout(io.StringIO()) as out:
        score = getattr(task1_checks, check)(cls, points=2, seed=3)
    return score, out.getvalue()


@pytest.mark.parametrize(("variant", "check", "name", "said", "not_said"), [
    # T1-1: a flipped sign clips with self.eps all the same; that part no longer reads "as if eps were nan"
    ("bce_sign", "check_bce_loss", "BCELoss", "\N{CHECK MARK} clips with the class attribute eps", "eps were nan"),
    ("bce_eps_hardcoded", "check_bce_loss", "BCELoss", "as if eps were 1e-15", "eps were nan"),
    ("bce_no_clip", "check_bce_loss", "BCELoss", "inf or NaN for a certain mistake", "contains NaN or inf values"),
    # T1-3: a mean over axis 0 is named so, also with one output, where its shape is (1, 1, 1)
    ("mse_axis0_keepdims", "check_mse_loss", "MSELoss", "averaged over the batch (axis 0)", "averaged over everything"),
    # the trap the text shows gets the question that leads to the stable form, not the form itself
    ("sigmoid_where_both_branches", "check_sigmoid", "Sigmoid", "which exponent is <= 0 for every z?", "np.abs"),
    ("model_iterates_names", "check_model", "Model", "gives the names, not the modules", "Traceback"),
])
def test_a_bug_gets_its_hint_and_no_misleading_one(variant, check, name, said, not_said):
    score, report = report_of(check, classes(read_answers(BANK / TASK1 / "bugs" / variant))[name])
    assert score < 2 and said in report and not_said not in report, report


LINEAR_WITHOUT_FORWARD = """
class Linear(Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.W = np.random.randn(out_features, in_features)
        self.b = np.zeros((out_features, 1))
        self.dW, self.db = np.zeros_like(self.W), np.zeros_like(self.b)

    def forward(self, input):
        raise NotImplementedError()
"""


def test_an_unwritten_linear_is_told_so_plainly():
    """T1-2: no "Linear(6, 7) not implemented yet" glued together, and no shapes for a forward not written yet."""
    _, report = report_of("check_linear", classes(root=course.RELEASE)["Linear"])
    assert "could not be created: __init__ not implemented yet" in report, report
    _, report = report_of("check_linear", classes({"linear": LINEAR_WITHOUT_FORWARD})["Linear"])
    assert "forward not implemented yet (it still raises NotImplementedError)\n" in report, report
