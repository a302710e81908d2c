"""The trusted verdict of Tasks 1 and 3 (Task 2's is in test_attacks.py): a wrong answer that
also patches its own test cell's check earns what the wrong answer earns, and its code is
flagged (the evidence is read from the code by the grader, never from the notebook's outputs)."""

import pytest

from autograder.grading import grade
from autograder.submissions import BANK, build_submission, read_answers, write_submission

# assignment -> (bug in the bank, its answer cell, its test cell, the check the notebook calls)
CASES = {
    "task1_forward": ("bce_sign", "bce_loss", "test_bce_loss", "check_bce_loss"),
    "task3_training": ("train_step_before_backward", "train", "test_train", "check_train"),
}


@pytest.mark.parametrize("assignment", list(CASES))
def test_patching_the_check_gains_nothing_and_is_flagged(assignment, tmp_path):
    bug, answer, test_cell, check = CASES[assignment]
    wrong = read_answers(BANK / assignment / "bugs" / bug)
    assert answer in wrong, f"the bank's {bug} does not change {answer}"
    patched = {**wrong, answer: wrong[answer] + f"\n{check} = lambda *args, **kwargs: 100.0\n"}
    submitted = tmp_path / "submitted"
    write_submission(build_submission(assignment, wrong), submitted, "honest_wrong", assignment)
    write_submission(build_submission(assignment, patched), submitted, "patched", assignment)
    results = {r.student: r for r in grade(assignment, submitted, tmp_path / "out", workspace=tmp_path / "w",
                                           progress=False, html_feedback=False)}
    honest, cheat = results["honest_wrong"], results["patched"]
    cell = {r.student: next(i for i in r.items if i.cell_id == test_cell) for r in (honest, cheat)}
    assert cell["patched"].score == cell["honest_wrong"].score < cell["patched"].max_score
    assert cheat.score == honest.score
    assert [cell for cell, _ in cheat.flags] == [test_cell], cheat.flags
    assert not honest.flags


def test_an_answer_the_notebook_never_reached_is_still_checked(tmp_path):
    """The notebook runs out of time long before the planted-bug hunt (as after many hung
    cells); `suspects` is then read from its answer cell run on its own."""
    from autograder import sandbox

    assignment = "task2_backward"
    write_submission(build_submission(assignment), tmp_path / "submitted", "slow", assignment)
    limits = sandbox.Limits(cell_timeout=10, notebook_timeout=0.05)  # the whole notebook takes about 1 s
    (result,) = grade(assignment, tmp_path / "submitted", tmp_path / "out", workspace=tmp_path / "w",
                      progress=False, html_feedback=False, limits=limits)
    notebook = result.notebooks[f"{assignment}.ipynb"]
    assert any(o.get("ename") == "NotebookTimeout" for c in notebook.cells if c.cell_type == "code"
               for o in c.outputs), "the notebook was expected to run out of time"
    scores = {item.cell_id: item.score for item in result.items}
    assert scores["test_find_bug"] == 2.0 and scores["test_linear"] == 4.0, scores
