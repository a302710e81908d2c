"""The trusted verdict of Tasks 1 and 3 (Task 2's is in test_attacks.py): a wrong answer that
also patches its own test cell's check earns what the wrong answer earns, and is flagged."""

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
    assert [cell for cell, _, _ in cheat.flags] == [test_cell], cheat.flags
    assert not honest.flags
