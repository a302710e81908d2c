"""Task 5's checks on many seeds, in-process, with the helpers passed as the grader passes them.

The reference answers earn full marks whatever the seed (the dropout statistics and the L2
generalization margin are robust, not tuned to the hidden tests' seeds), and the generalization
check is judged on the grader's own baseline. tests/test_bank.py grades the same answers
through the sandbox.
"""

import contextlib
import inspect
import io

import nbformat
import pytest

from autograder import course, specs, trusted

TASK5 = "task5_generalization"


@pytest.fixture(scope="module")
def reference():
    """What the source notebook's imports and reference answer cells define."""
    spec = specs.load(TASK5)  # also puts the assignment's folder on sys.path
    notebook = nbformat.read(course.notebook_path(TASK5), as_version=4)
    namespace = {"__name__": "__main__"}
    exec(trusted.notebook_imports(TASK5), namespace)
    for cell in course.answer_cells(notebook).values():
        exec(course.solution_source(cell.source), namespace)
    return spec, namespace


def _score(spec, namespace, test_id, seed):
    _, check, names = spec.TRUSTED[test_id]
    answer = {n: namespace[n] for n in names} if isinstance(names, tuple) else namespace[names]
    helpers = {}
    for helper in spec.TRUSTED_HELPERS.get(test_id, ()):  # defined in the namespace, as in the sandbox
        if not isinstance(helper, str):
            exec(inspect.getsource(helper), namespace)
        name = helper if isinstance(helper, str) else helper.__name__
        helpers[name] = namespace[name]
    with contextlib.redirect_stdout(io.StringIO()) as out:
        score = check(answer, points=1.0, seed=seed, **({"helpers": helpers} if helpers else {}))
    return score, out.getvalue()


@pytest.mark.parametrize("test_id", ["test_k_fold", "test_l2", "test_dropout", "test_early_stopping"])
def test_reference_answers_earn_full_marks_whatever_the_seed(reference, test_id):
    spec, namespace = reference
    for seed in [*range(8), trusted.seeds_of(TASK5)[test_id]]:
        score, report = _score(spec, namespace, test_id, seed)
        assert score == 1.0, f"{test_id}, seed {seed}:\n{report}"


def test_l2_generalizes_on_every_seed_tried(reference):
    """The margin of the graded generalization check holds beyond the hidden test's seed."""
    spec, namespace = reference
    for seed in (0, 1, trusted.seeds_of(TASK5)["test_l2_generalizes"]):
        score, report = _score(spec, namespace, "test_l2_generalizes", seed)
        assert score == 1.0, f"seed {seed}:\n{report}"


def test_l2_generalizes_needs_the_gradient(reference):
    """Without the gradient (or with it divided by m), the trained network is no better than the baseline."""
    spec, namespace = reference
    _, check, _ = spec.TRUSTED["test_l2_generalizes"]
    with contextlib.redirect_stdout(io.StringIO()):
        assert check(lambda model, lam: None, points=1.0, seed=53) == 0.0


def test_every_k_fold_answer_of_the_bank_is_judged_alike_whatever_the_seed():
    """Every seed the check may get has a remainder to spread and catches each bug of the bank; correct
    formulations (other fold boundaries, the global generator, a generator of splits) keep full marks."""
    import numpy as np

    from autograder.submissions import BANK, read_answers

    spec = specs.load(TASK5)
    check = spec.TRUSTED["test_k_fold"][1]
    seeds = [*range(8), trusted.seeds_of(TASK5)["test_k_fold"]]
    for folder in sorted((BANK / TASK5).glob("*/kfold_*")):
        namespace = {"np": np}
        exec(read_answers(folder)["k_fold"], namespace)
        with contextlib.redirect_stdout(io.StringIO()):
            scores = [check(namespace["k_fold_splits"], points=1.0, seed=seed) for seed in seeds]
        if folder.parent.name == "correct":
            assert scores == [1.0] * len(seeds), (folder.name, scores)
        else:
            assert max(scores) < 1.0, (folder.name, scores)
