"""Task 2's checks against the mistakes issue 11 found unchecked, in-process (tests/test_bank.py grades
the same bank answers through the sandbox): each bug fails the part that names it, with that hint, and
correct networks of every size keep full marks in the grader's own checks."""

import contextlib
import io

import numpy as np
import pytest
from test_specs import bank_namespace

import task2_checks
from autograder import specs
from autograder.specs import common
from autograder.submissions import BANK, read_answers

TASK2 = "task2_backward"


def quietly(function, *args, **kwargs):
    with contextlib.redirect_stdout(io.StringIO()) as out:
        result = function(*args, **kwargs)
    return result, out.getvalue()


def answers(kind, variant):
    return read_answers(BANK / TASK2 / kind / variant)


def student(kind, variant):
    """What the notebook defines with one bank variant's answers (the reference answers elsewhere)."""
    namespace = bank_namespace(answers(kind, variant))
    notebook_answers = answers(kind, variant)
    if "numerical_gradient" in notebook_answers:
        exec(notebook_answers["numerical_gradient"], namespace)
    return namespace


@pytest.mark.parametrize(("variant", "check", "name", "hint"), [
    ("numgrad_one_sided", "check_numerical_gradient", "numerical_gradient", "one-sided difference"),
    ("numgrad_no_two", "check_numerical_gradient", "numerical_gradient", "not by epsilon"),
    ("numgrad_own_step", "check_numerical_gradient", "numerical_gradient", "use the epsilon argument"),
    ("numgrad_not_restored", "check_numerical_gradient", "numerical_gradient", "x is changed afterwards"),
    ("numgrad_all_at_once", "check_numerical_gradient", "numerical_gradient", "all 6 entries of x nudged at once"),
    ("numgrad_rows_at_once", "check_numerical_gradient", "numerical_gradient", "2 entries (e.g. a whole row, x[i])"),
    ("numgrad_copies_not_in_place", "check_numerical_gradient", "numerical_gradient", "sees no nudge"),
    ("relu_in_place_forward", "check_relu", "ReLU", "the input z of forward was changed in place"),
    ("relu_in_place_backward", "check_relu", "ReLU", "backward changed the gradient da it was given in place"),
    ("sigmoid_in_place_backward", "check_sigmoid", "Sigmoid", "backward changed the gradient da"),
    ("tanh_in_place_out", "check_tanh", "Tanh", "backward changed the gradient da"),
    ("tanh_of_a", "check_tanh", "Tanh", "tanh applied twice"),
    ("model_returns_none", "check_model", "Model", "backward returns None"),
    ("model_returns_loss_gradient", "check_model", "Model", "returned the gradient it received"),
    ("model_iterates_names", "check_model", "Model", "gives the names, not the modules; use self.modules.values()"),
    ("linear_dW_product_of_means", "check_linear", "Linear", "the product of the means"),
    ("tanh_precedence", "check_tanh", "Tanh", "* binds tighter than -"),
    ("bce_hardcoded_eps", "check_bce_loss", "BCELoss", "the clip uses 1e-12 instead of self.eps"),
    ("bce_keras_eps", "check_bce_loss", "BCELoss", "the clip uses 1e-07 instead of self.eps"),
    ("linear_db_row", "check_linear", "Linear", "db is transposed"),
])
def test_a_bug_fails_its_part_with_its_hint(variant, check, name, hint):
    namespace = student("bugs", variant)
    score, report = quietly(getattr(task2_checks, check), namespace[name], points=2, seed=3)
    assert score < 2 and hint in report, report
    if variant.startswith(("relu_in", "sigmoid_in", "tanh_in")):
        assert score == pytest.approx(2 * 2 / 2.5 if check != "check_sigmoid" else 2 * 2.5 / 3, abs=1e-4), report


@pytest.mark.parametrize("variant", ["numgrad_nditer", "numgrad_flat_view", "tanh_new_array_out",
                                     "bce_type_eps", "model_slice_returns"])
def test_correct_variants_pass_the_new_parts(variant):
    namespace = student("correct", variant)
    for gid, check, name in [("numerical_gradient", "check_numerical_gradient", "numerical_gradient"),
                             ("tanh", "check_tanh", "Tanh"), ("bce_loss", "check_bce_loss", "BCELoss"),
                             ("model", "check_model", "Model")]:
        if gid in answers("correct", variant):
            assert quietly(getattr(task2_checks, check), namespace[name], points=2, seed=5)[0] == 2


@pytest.mark.parametrize("variant", ["linear_float32", "sigmoid_float32"])
def test_float32_internals_fail_the_network_check(variant):
    spec = specs.load(TASK2)
    score, report = quietly(spec.check_network, student("bugs", variant), points=3, seed=14)
    assert score < 3 and "float32" in report, report


def build(classes, sizes, hidden, seed=0):
    np.random.seed(seed)
    mlp = classes["Model"]()
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        last = i == len(sizes) - 1
        mlp.add_module(classes["Linear"](n_in, n_out), f"Dense_{i}")
        mlp.add_module(classes["Sigmoid"]() if last else classes[hidden](), f"act_{i}")
    return mlp


@pytest.mark.parametrize(("sizes", "hidden"), [([2, 32, 32, 32, 1], "Tanh"), ([2, 8, 8, 8, 8, 1], "ReLU"),
                                               ([2, 64, 64, 64, 1], "ReLU"), ([2, 48, 48, 48, 48, 1], "Sigmoid")])
def test_main_gives_correct_networks_of_every_size_full_marks(sizes, hidden):
    """Exact reference gradients, with tolerances relative to each array's size: no false third-point loss."""
    spec = specs.load(TASK2)
    C = common.reference_classes()
    for loss in ("BCELoss", "MSELoss"):
        score, report = quietly(spec.check_main, {"mlp": build(C, sizes, hidden), "loss_fn": C[loss]()}, points=1)
        assert score == 1, report


def test_main_needs_a_sigmoid_output():
    spec = specs.load(TASK2)
    C = common.reference_classes()
    mlp = build(C, [2, 3, 4, 5, 1], "Tanh")
    del mlp.modules["act_4"]
    score, report = quietly(spec.check_main, {"mlp": mlp, "loss_fn": C["MSELoss"]()}, points=1)
    assert score == pytest.approx(2 / 3, abs=1e-3) and "is not a Sigmoid" in report, report


def test_the_student_id_comes_from_the_grader_then_jupyterhub(monkeypatch):
    for variable in task2_checks.STUDENT_ID_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    assert task2_checks.student_id() == ""
    monkeypatch.setenv("JUPYTERHUB_USER", "jdoe")
    assert task2_checks.student_id() == "jdoe"
    monkeypatch.setenv("COURSE_STUDENT_ID", "jane.doe")
    assert task2_checks.student_id() == "jane.doe"


def test_the_draw_differs_between_students_and_is_stable():
    plans = {name: task2_checks.mystery_plan(name, "A") for name in ("ada", "ben", "cy", "dee")}
    assert len({str(plan) for plan in plans.values()}) == 4
    assert task2_checks.mystery_plan("ada", "A") == plans["ada"]


def test_the_answer_is_recorded_with_the_id_and_its_form_checked():
    C = common.reference_classes()
    networks = task2_checks.mystery_networks(C["Linear"], C["ReLU"], C["Sigmoid"], C["BCELoss"], C["Model"],
                                             student="ada")
    pieces = {key: task2_checks.pieces_of(model) for key, (model, *_) in networks.items()}

    def unfinished():
        raise NotImplementedError()

    assert quietly(task2_checks.record_suspects, unfinished, "ada")[0] is None
    answer = {"A": (pieces["A"][0], "1/m"), "B": (pieces["B"][-1], "2")}
    recorded, _ = quietly(task2_checks.record_suspects, lambda: answer, "ada")
    assert recorded == {"student": "ada", **answer}
    assert "All checks passed." in quietly(task2_checks.check_suspects_form, recorded, networks)[1]
    wrong = {"student": "ada", "A": "Dense_9.W", "B": (pieces["B"][0], 0.5)}
    report = quietly(task2_checks.check_suspects_form, wrong, networks)[1]
    assert "give a pair (where, factor)" in report and "factor = 0.5 is none of" in report


def test_the_release_keeps_its_rubrics_and_runs_its_top_level_answer_cells():
    """Written answers are manually graded cells whose rubric stays in source/; the release's `suspects` and
    `main` cells (stubs and all) define their variables without raising, so that Run All goes on."""
    import nbformat

    from autograder import course

    release = nbformat.read(course.notebook_path(TASK2, course.RELEASE), as_version=4)
    written = [c for c in release.cells if c.cell_type == "markdown" and c.metadata["nbgrader"].get("solution")]
    assert [c.metadata["nbgrader"]["grade_id"] for c in written] == ["kink_answer", "find_bug_answer"]
    for c in written:
        meta = c.metadata["nbgrader"]
        assert meta["grade"] and meta["points"] == 2 and not meta["locked"]
        assert "YOUR ANSWER HERE" in c.source and "Rubric" not in c.source
    text = course.notebook_path(TASK2, course.RELEASE).read_text()
    assert "Rubric" not in text and "A complete answer" not in text
    cells = {c.metadata["nbgrader"]["grade_id"]: c.source for c in release.cells if c.metadata.get("nbgrader")}
    namespace = {"STUDENT_ID": "ada", "record_suspects": task2_checks.record_suspects,
                 "run_main": task2_checks.run_main, "np": np, "dataset_circles": lambda **kwargs: (None, None)}
    quietly(exec, cells["find_bug"], namespace)
    quietly(exec, cells["main"], namespace)
    assert namespace["suspects"] is None and (namespace["mlp"], namespace["loss_fn"]) == (None, None)


@pytest.mark.parametrize(("variant", "hint"), [("numgrad_one_sided", "one-sided difference"),
                                              ("numgrad_no_two", "not by epsilon"),
                                              ("numgrad_rows_at_once", "nudged at once")])
def test_wrong_values_from_nudges_in_place_pass_the_in_place_part(variant, hint):
    """Wrong values are the first part's mistake; the in-place part fails only for nudges that miss x itself."""
    namespace = student("bugs", variant)
    _, report = quietly(task2_checks.check_numerical_gradient, namespace["numerical_gradient"], points=2, seed=3)
    assert "\N{CHECK MARK} nudges x itself, in place" in report and hint in report, report


def test_check_model_names_a_given_forward_broken_by_accident():
    namespace = student("bugs", "model_forward_reversed")
    score, report = quietly(task2_checks.check_model, namespace["Model"], points=2, seed=3)
    assert "forward visits the modules last to first. Model.forward is given code" in report, report
    assert score == 2, report  # its backward is right (the whole-network tests cost it its points)


def test_without_a_student_id_the_form_check_fails_and_says_why():
    _, report = quietly(task2_checks.check_suspects_form, None, {})
    assert "STUDENT_ID is empty" in report and "All checks passed" not in report, report
