"""The grader-only specs (autograder/specs/): complete, never shipped, and right.

- every spec imports, and its tables cover exactly the graded cells of its source notebook;
- nothing of a spec reaches release/ or a sandbox (course.shipped_files): no spec file, no
  answer key, no grader-only reference code;
- the planted-bug answer is worked out by the grader, and the mystery networks give it away
  to no simple introspection;
- the grader's reference mathematics agrees with the course's reference classes and with
  finite differences; the grader-only checks give a correct student full marks and catch
  wrong code, whatever the student's classes are called.

These run the checks in-process on plain objects; tests/test_bank.py grades the same
answers through the sandbox.
"""

import contextlib
import io
import re

import nbformat
import numpy as np
import pytest

from autograder import course, specs
from autograder.specs import common
from autograder.submissions import BANK, read_answers

ASSIGNMENTS = course.assignments()
TASK2 = "task2_backward"


def graded_cells(assignment, manual=False):
    """{grade_id: cell} of the cells with points that a trusted check scores (or, `manual`, the ones the
    instructor grades in formgrader: graded answer cells such as written answers, screening.is_manual_cell)."""
    from autograder.screening import is_manual_cell

    notebook = nbformat.read(course.notebook_path(assignment), as_version=4)
    return {cell.metadata["nbgrader"]["grade_id"]: cell for cell in notebook.cells
            if cell.metadata.get("nbgrader", {}).get("grade") and cell.metadata["nbgrader"].get("points")
            and is_manual_cell(cell) == manual}


def quietly(function, *args, **kwargs):
    with contextlib.redirect_stdout(io.StringIO()) as out:
        result = function(*args, **kwargs)
    return result, out.getvalue()


# ------------------------------------------------------------------ tables
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_spec_imports_and_covers_every_graded_cell(assignment):
    spec = specs.load(assignment)
    assert spec is not None, f"autograder/specs/{assignment}.py is missing"
    trusted = getattr(spec, "TRUSTED", {})
    values = getattr(spec, "TRUSTED_VALUES", {})
    namespace = getattr(spec, "TRUSTED_NAMESPACE", {})
    tables = [set(trusted), set(values), set(namespace)]
    assert not (tables[0] & tables[1] or tables[0] & tables[2] or tables[1] & tables[2]), "a cell graded twice"
    assert set().union(*tables) == set(graded_cells(assignment)), "the spec does not grade exactly the graded cells"
    # A manually graded cell (a written answer) is scored by the instructor in formgrader, never by a check.
    assert not set().union(*tables) & set(graded_cells(assignment, manual=True)), "a check scores a manual cell"
    notebook = nbformat.read(course.notebook_path(assignment), as_version=4)
    answers = course.answer_cells(notebook)
    for test_id, (answer_ids, check, _names) in trusted.items():
        assert callable(check), test_id
        ids = answer_ids if isinstance(answer_ids, tuple) else (answer_ids,)
        assert set(ids) <= set(answers), f"{test_id} names unknown answer cells {ids}"
    for test_id, (variable, check, answer_id) in values.items():
        assert callable(check) and isinstance(variable, str) and answer_id in answers, test_id
    for test_id, (variables, check) in namespace.items():
        assert callable(check) and all(isinstance(v, str) for v in variables), test_id
    for test_id in getattr(spec, "TRUSTED_HELPERS", {}):
        assert test_id in trusted, f"helpers for {test_id}, which is not a trusted check"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_hidden_tests_call_the_check_the_spec_runs(assignment):
    """The seed the grader reads from each hidden test cell belongs to the check the spec runs there."""
    spec = specs.load(assignment)
    checks = {test_id: entry[1] for test_id, entry in getattr(spec, "TRUSTED", {}).items()}
    checks.update({test_id: entry[1] for test_id, entry in getattr(spec, "TRUSTED_VALUES", {}).items()})
    checks.update({test_id: entry[1] for test_id, entry in getattr(spec, "TRUSTED_NAMESPACE", {}).items()})
    for test_id, cell in graded_cells(assignment).items():
        assert f"{checks[test_id].__name__}(" in cell.source, f"{test_id} does not call {checks[test_id].__name__}"


# ------------------------------------------------------------------ nothing of a spec is shipped
def shipped_texts(assignment):
    """{label: text} of every file release/<assignment>/ and the sandbox get."""
    texts = {f"shipped {name}": (course.ROOT / path).read_text() for name, path in
             course.shipped_files(assignment).items()}
    for path in sorted((course.RELEASE / assignment).rglob("*")):
        if path.is_file():
            texts[f"release {path.name}"] = path.read_text()
    return texts


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_spec_material_is_shipped(assignment):
    spec_names = {p.name for p in course.spec_files()}
    shipped = course.shipped_files(assignment)
    released = {p.name for p in (course.RELEASE / assignment).rglob("*") if p.is_file()}
    for name in set(shipped) | released:
        assert name not in spec_names and not name.endswith("_hidden.py"), f"{name} looks grader-only"
    for name, path in shipped.items():
        assert "autograder" not in path.split("/")[0], f"{name} comes from the grader's package: {path}"
    for label, text in shipped_texts(assignment).items():
        for marker in ("autograder.specs", "reference_minibatches", "planted_answers", "_PLANTED",
                       "TRUSTED = ", "TRUSTED_VALUES", "TRUSTED_NAMESPACE", "TRUSTED_HELPERS"):
            assert marker not in text, f"{label} contains grader-only {marker!r}"
    for link in (course.SOURCE / assignment).iterdir():
        if link.is_symlink():
            assert "specs" not in str(link.resolve().relative_to(course.ROOT)), f"{link} links grader-only code"


STUDENTS = ["", "ada", "ben", "cy"] + [f"student{i:03d}" for i in range(40)]


def test_no_answer_of_any_students_hunt_is_in_what_students_get():
    """No shipped text holds a draw's answers: no answer table, and no example report that is the real
    report of some student's mystery network (the lesson's examples use other layer names)."""
    import task2_checks
    from utils import _diagnose

    spec = specs.load(TASK2)
    C = common.reference_classes()
    texts = shipped_texts(TASK2)
    for student in STUDENTS[:12]:
        networks = task2_checks.mystery_networks(C["Linear"], C["ReLU"], C["Sigmoid"], C["BCELoss"], C["Model"],
                                                 student=student)
        for key, (piece, factor) in spec.planted_answers(student).items():
            line = next(f.message.splitlines()[0] for f in _diagnose(*networks[key]).findings if f.name == piece)
            for label, text in texts.items():
                assert line not in text, f"{label} shows the report of {student!r}'s network {key}"
                assert not re.search(rf"{re.escape(piece)}\W+{re.escape(factor)}\b", text), (label, student, key)


def test_the_source_solution_and_the_bank_find_every_students_answer():
    """The reference solution (and the bank's correct hunter) work the answer out for any student's networks."""
    import task2_checks

    notebook = nbformat.read(course.notebook_path(TASK2), as_version=4)
    cells = course.answer_cells(notebook)
    spec = specs.load(TASK2)
    C = common.reference_classes()
    hunters = {"source": course.solution_source(cells["find_bug"].source),
               "bank": read_answers(BANK / TASK2 / "correct" / "find_bug_read_from_report")["find_bug"]}
    for student in STUDENTS[:6]:
        networks = task2_checks.mystery_networks(C["Linear"], C["ReLU"], C["Sigmoid"], C["BCELoss"], C["Model"],
                                                 student=student)
        for label, source in hunters.items():
            namespace = {"networks": networks, "STUDENT_ID": student, **C}
            exec("import numpy as np\nfrom utils import gradient_check\nfrom task2_checks import record_suspects\n",
                 namespace)
            exec(course.solution_source(cells["numerical_gradient"].source), namespace)
            with contextlib.redirect_stdout(io.StringIO()):
                exec(source, namespace)
            found = {key: tuple(part.strip() for part in value) for key, value in namespace["suspects"].items()
                     if key != "student"}
            assert found == spec.planted_answers(student), (label, student)
            assert quietly(spec.check_suspects, namespace["suspects"], points=4, student=student)[0] == 4


def test_every_students_networks_plant_one_bug_each_and_gradient_check_names_it():
    """For every draw: exactly one wrong piece per network (planted_answers raises otherwise), and
    gradient_check names that piece and nothing else (no correct parameter looks wrong)."""
    import task2_checks
    from utils import _diagnose

    spec = specs.load(TASK2)
    C = common.reference_classes()
    kinds = set()
    for student in STUDENTS:
        answers = spec.planted_answers(student)
        networks = task2_checks.mystery_networks(C["Linear"], C["ReLU"], C["Sigmoid"], C["BCELoss"], C["Model"],
                                                 student=student)
        for key, (piece, factor) in answers.items():
            diagnosis = _diagnose(*networks[key])
            assert diagnosis.suspects() == [piece], (student, key, diagnosis.text())
            kinds.add(("returned" if "." not in piece else piece[-1], factor))
    assert {kind for kind, _ in kinds} == {"W", "b", "returned"} and {f for _, f in kinds} == set(task2_checks.FACTORS)


def test_a_classmates_answers_score_nothing():
    spec = specs.load(TASK2)
    mine, theirs = spec.planted_answers("ada"), spec.planted_answers("ben")
    assert quietly(spec.check_suspects, {"student": "ada", **mine}, points=4, student="ada")[0] == 4
    copied = [quietly(spec.check_suspects, {"student": me, **spec.planted_answers(other)}, points=4, student=me)[0]
              for me, other in zip(STUDENTS[4:], STUDENTS[5:])]
    assert sum(copied) <= 0.02 * 4 * len(copied), copied  # a draw may coincide, rarely
    score, report = quietly(spec.check_suspects, {"student": "ben", **theirs}, points=4, student="ada")
    assert score == 0 and "these answers are for the networks of student id 'ben'" in report
    # Without the grader's id, the recorded one decides (the grader then cannot see a copied id).
    assert quietly(spec.check_suspects, {"student": "ben", **theirs}, points=4)[0] == 4


def test_mystery_layers_are_indistinguishable():
    import task2_checks

    C = common.reference_classes()
    networks = task2_checks.mystery_networks(C["Linear"], C["ReLU"], C["Sigmoid"], C["BCELoss"], C["Model"],
                                             student="ada")
    for model, loss_fn, X, Y in networks.values():
        model.backward(loss_fn.backward(model(X), Y))
        linears = [m for m in model.modules.values() if hasattr(m, "W")]
        assert len({type(m) for m in linears}) == 1, "the layers of a mystery network differ in class"
        assert len({tuple(sorted(vars(m))) for m in linears}) == 1, "the layers differ in their attributes"
        cls = type(linears[0])
        assert (cls.__name__, cls.__qualname__) == ("Linear", C["Linear"].__qualname__)
        names = " ".join([cls.__name__, cls.__qualname__, *dir(cls), *vars(linears[0])]).lower()
        assert not re.search(r"bug|plant|wrong|spoil|mistake|corrupt", names), names
        assert "Linear()" in repr(model) and "bug" not in repr(model).lower()


# ------------------------------------------------------------------ the reference mathematics
def random_network(rng, kinds, sizes, loss):
    shapes = [(n_out, n_in) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    X = rng.standard_normal((7, sizes[0], 1))
    Y = (rng.uniform(size=(7, sizes[-1], 1)) < 0.5).astype(float) if loss == "BCE" else \
        rng.standard_normal((7, sizes[-1], 1))
    return common.random_plan(kinds, shapes, rng, loss, X, Y), X, Y


CASES = [(["Tanh", "Tanh", "Sigmoid"], [2, 3, 4, 1], "BCE"), (["ReLU", "ReLU", "Sigmoid"], [2, 5, 4, 1], "MSE"),
         (["Sigmoid", None], [3, 4, 2], "MSE"), (["ReLU", "Tanh", "Sigmoid"], [3, 6, 5, 2], "BCE")]


@pytest.mark.parametrize(("kinds", "sizes", "loss"), CASES)
def test_reference_pass_agrees_with_the_reference_classes_and_finite_differences(kinds, sizes, loss):
    from utils import gradient_check

    rng = np.random.default_rng(3)
    plan, X, Y = random_network(rng, kinds, sizes, loss)
    expected = common.reference_pass(plan, loss, X, Y)
    C = common.reference_classes()
    model, layers = specs.load(TASK2)._build(C, plan, [f"m{i}" for i in range(len(plan))])
    loss_fn = C["BCELoss" if loss == "BCE" else "MSELoss"]()
    assert np.allclose(model(X), expected.output, rtol=1e-12, atol=1e-14)
    assert np.allclose(loss_fn.backward(model(X), Y), expected.loss_gradient, rtol=1e-12, atol=1e-14)
    model.backward(expected.loss_gradient)
    for (_, layer), (dW, db) in zip(layers, expected.gradients):
        assert np.allclose(layer.dW, dW, rtol=1e-10, atol=1e-14) and np.allclose(layer.db, db, rtol=1e-10,
                                                                                  atol=1e-14)
    assert quietly(gradient_check, model, loss_fn, X, Y)[0] < 1e-7  # the definition of the gradient


# ------------------------------------------------------------------ the grader-only checks, in-process
def bank_namespace(answers=None):
    """What the Task 2 notebook defines with these answers (reference answers elsewhere)."""
    notebook = nbformat.read(course.notebook_path(TASK2), as_version=4)
    reference = {gid: course.solution_source(cell.source) for gid, cell in course.answer_cells(notebook).items()}
    namespace = {"__name__": "__main__"}
    exec("import numpy as np\nfrom utils import Module, gradient_check, parameters_of\n"
         "from dataset import dataset_circles\nfrom task2_checks import run_main\n", namespace)
    for gid in [*common.CLASS_CELLS, "main"]:
        with contextlib.redirect_stdout(io.StringIO()):
            exec((answers or {}).get(gid, reference[gid]), namespace)
    return namespace


def test_reference_answers_earn_full_marks_in_the_grader_only_checks():
    spec = specs.load(TASK2)
    namespace = bank_namespace()
    assert quietly(spec.check_network, namespace, points=3, seed=14)[0] == 3
    assert quietly(spec.check_main, namespace, points=1)[0] == 1
    assert quietly(spec.check_suspects, {"student": "", **spec.planted_answers("")}, points=4)[0] == 4
    assert quietly(spec.check_suspects, {"A": "Dense_1.W", "B": "Dense_1.b"}, points=4)[0] == 0
    assert quietly(spec.check_suspects, None, points=4)[0] == 0


@pytest.mark.parametrize("variant", sorted(p.name for p in (BANK / TASK2 / "correct").iterdir()))
def test_correct_bank_variants_keep_full_marks(variant):
    spec = specs.load(TASK2)
    namespace = bank_namespace(read_answers(BANK / TASK2 / "correct" / variant))
    assert quietly(spec.check_network, namespace, points=3, seed=14)[0] == 3
    assert quietly(spec.check_main, namespace, points=1)[0] == 1


@pytest.mark.parametrize("variant", ["linear_dW_summed", "sigmoid_sign", "model_skips_first", "bce_sign",
                                     "relu_mask_from_da", "mse_missing_2"])
def test_bugs_lose_points_in_the_network_check(variant):
    spec = specs.load(TASK2)
    namespace = bank_namespace(read_answers(BANK / TASK2 / "bugs" / variant))
    score, report = quietly(spec.check_network, namespace, points=3, seed=14)
    assert score < 3, report


def test_main_is_judged_by_behaviour_not_by_class_names():
    """A correct network whose classes have misleading names passes; a wrong one, however named, fails."""
    spec = specs.load(TASK2)
    namespace = bank_namespace()
    C = common.reference_classes()
    Disguised = type("Sigmoid", (C["Tanh"],), {})  # a Tanh that calls itself Sigmoid
    mlp = C["Model"]()
    for i, (n_in, n_out) in enumerate([(2, 3), (3, 4), (4, 5), (5, 1)], start=1):
        mlp.add_module(C["Linear"](n_in, n_out), f"Dense_{i}")
        mlp.add_module(Disguised() if i < 4 else C["Sigmoid"](), f"Sigmoid_{i}")
    assert quietly(spec.check_main, {"mlp": mlp, "loss_fn": namespace["loss_fn"]}, points=1)[0] == 1

    class Linear(C["Linear"]):  # dW summed over the batch, under the honest name
        def backward(self, dz):
            result = super().backward(dz)
            self.dW = self.dW * dz.shape[0]
            return result

    mlp.modules["Dense_2"] = Linear(3, 4)
    score, report = quietly(spec.check_main, {"mlp": mlp, "loss_fn": namespace["loss_fn"]}, points=1)
    assert score == pytest.approx(2 / 3, abs=1e-3) and "Dense_2.dW" in report, report
    assert quietly(spec.check_main, {"mlp": mlp, "loss_fn": C["MSELoss"]()}, points=1)[0] < 1


def test_a_network_that_forges_the_finite_differences_gains_nothing():
    """A wrong backward (dW negated) with a forward that recognises a finite-difference nudge of
    W and mirrors it fools gradient_check, which measures through the student's forward; the
    grader's checks run that forward once, on unperturbed weights, and compare with exact values."""
    from utils import gradient_check

    spec = specs.load(TASK2)
    C = common.reference_classes()

    class Linear(C["Linear"]):
        def forward(self, input):
            anchor, W = getattr(self, "anchor", None), self.W
            if anchor is not None and anchor.shape == W.shape and np.count_nonzero(W != anchor) == 1:
                W = 2 * anchor - W  # the loss moves the way the wrong dW says
            self.aPrevious = input
            return (input[..., 0] @ W.T)[..., np.newaxis] + self.b

        def backward(self, dz):
            result = super().backward(dz)
            self.dW = -self.dW
            self.anchor = self.W.copy()
            return result

    namespace = dict(bank_namespace(), Linear=Linear)
    mlp = C["Model"]()
    for i, (n_in, n_out) in enumerate([(2, 3), (3, 4), (4, 5), (5, 1)], start=1):
        mlp.add_module(Linear(n_in, n_out), f"Dense_{i}")
        mlp.add_module(C["Tanh"]() if i < 4 else C["Sigmoid"](), f"act_{i}")
    X, Y = namespace["dataset_features_X"], namespace["dataset_labels_Y"]
    assert quietly(gradient_check, mlp, C["BCELoss"](), X, Y)[0] < 1e-7  # fooled
    assert quietly(spec.check_network, namespace, points=3, seed=14)[0] == 0
    score, report = quietly(spec.check_main, {"mlp": mlp, "loss_fn": C["BCELoss"]()}, points=1)
    assert score == pytest.approx(2 / 3, abs=1e-3) and "sign is flipped" in report, report


# ------------------------------------------------------------------ Task 3's reference iterator
def test_task3_grades_train_with_the_graders_own_minibatches():
    """The spec's check_train swaps its reference minibatches into the student's loop: a broken
    iterator of the student's costs nothing there (it costs points in its own cell)."""
    spec = specs.load("task3_training")
    import task3_checks

    notebook = nbformat.read(course.notebook_path("task3_training"), as_version=4)
    answers = {gid: course.solution_source(cell.source) for gid, cell in course.answer_cells(notebook).items()}
    namespace = {"__name__": "__main__"}
    from autograder.trusted import notebook_imports

    exec(notebook_imports("task3_training"), namespace)
    for gid in ("sgd", "minibatches", "accuracy", "train"):
        exec(answers[gid], namespace)
    exec("def minibatches(X, Y, batch_size, shuffle=True, seed=None):\n"
         "    yield X[:batch_size], Y[:batch_size]\n", namespace)  # drops every batch but the first
    train = namespace["train"]
    assert quietly(spec.check_train, train, points=4, seed=14)[0] == 4
    assert quietly(task3_checks.check_train, train, points=4, seed=14)[0] == 4  # the same reference minibatches


# ------------------------------------------------------------------ Task 4: the checks on every seed
TASK4 = "task4_optimizers"


def task4_reference_answers():
    """What the Task 4 source notebook's answer cells define (its reference optimizers and inits)."""
    notebook = nbformat.read(course.notebook_path(TASK4), as_version=4)
    answers = {gid: course.solution_source(cell.source) for gid, cell in course.answer_cells(notebook).items()}
    namespace = {"__name__": "__main__"}
    exec("import numpy as np\nfrom utils import Module, parameters_of\n", namespace)
    for gid in ("momentum", "rmsprop", "adam", "xavier_init", "he_init"):
        exec(answers[gid], namespace)
    return namespace


def test_task4_reference_answers_earn_full_marks_whatever_the_seed():
    """The grader's checks (the spec's TRUSTED table) give the reference answers full marks for seeds
    0..50, whatever state np.random is in (the inits draw from it), and Adam trains the spiral for
    three seeds, with the framework classes passed as the grader passes them."""
    import task4_checks

    spec = specs.load(TASK4)
    namespace = task4_reference_answers()
    checks = {test_id: (check, namespace[name]) for test_id, (_, check, name) in spec.TRUSTED.items()}
    spiral = checks.pop("test_adam_spiral")
    assert {check.__name__ for check, _ in checks.values()} == {
        "check_momentum", "check_rmsprop", "check_adam", "check_xavier_init", "check_he_init"}
    for seed in range(51):
        for test_id, (check, answer) in checks.items():
            np.random.seed(1000 + 7 * seed)
            score, report = quietly(check, answer, points=1.0, seed=seed)
            assert score == 1.0, f"{test_id}, seed {seed}:\n{report}"
    helpers = {**common.reference_classes(), "_Fit": task4_checks._Fit}
    check, adam = spiral
    for seed in (0, 24, 99):
        score, report = quietly(check, adam, points=1.0, seed=seed, helpers=helpers)
        assert score == 1.0, f"test_adam_spiral, seed {seed}:\n{report}"
