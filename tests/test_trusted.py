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
    # (The hunt's answer needs the given cells that draw the student's networks, so it is not checked
    # without the notebook's run.)
    assert scores["test_linear"] == 4.0 and scores["test_numerical_gradient"] == 2.0, scores


def test_one_students_checks_share_one_time_budget(tmp_path):
    """Every call of a slow Sigmoid.backward stays under the per-call limit, but together they
    would hold the worker for minutes: the student's checks stop when the budget is spent,
    score 0 with the reason, and the next student is graded normally."""
    import time

    import nbformat

    from autograder import course, sandbox

    assignment = "task2_backward"
    reference = course.solution_source(course.answer_cells(nbformat.read(course.notebook_path(assignment),
                                                                         as_version=4))["sigmoid"].source)
    slow_sigmoid = reference.replace("    def backward(self, da: np.ndarray) -> np.ndarray:\n",
                                     "    def backward(self, da: np.ndarray) -> np.ndarray:\n"
                                     "        import time\n        time.sleep(0.9)\n", 1)
    assert slow_sigmoid != reference
    submitted = tmp_path / "submitted"
    write_submission(build_submission(assignment, {"sigmoid": slow_sigmoid}), submitted, "a_slow", assignment)
    write_submission(build_submission(assignment), submitted, "b_honest", assignment)
    limits = sandbox.Limits(cell_timeout=2, notebook_timeout=60)
    started = time.monotonic()
    results = {r.student: r for r in grade(assignment, submitted, tmp_path / "out", workspace=tmp_path / "w",
                                           progress=False, html_feedback=False, limits=limits, jobs=1,
                                           checks_timeout=4)}
    assert time.monotonic() - started < 120
    slow, honest = results["a_slow"], results["b_honest"]
    assert honest.score == honest.max_score - honest.pending_points
    reasons = " ".join(item.reason for item in slow.items)
    assert "used up the grader's time" in reasons, reasons
    assert slow.score < honest.score


def test_what_student_code_hands_a_grader_side_stand_in_is_bounded():
    """A stand-in the grader passes into student code (Task 2's recorders, Task 3's model and
    loss) computes on the grader's side: arrays too large, of too many dimensions, or that
    broadcast into something larger than both (N x N from two N-vectors) are refused before
    the grader computes with them; ordinary calls still work."""
    import numpy as np

    from autograder import protocol
    from autograder.trusted import Session

    class Loss:
        def forward(self, prediction, target):
            return (prediction - target) ** 2

    session = object.__new__(Session)
    session.callbacks = {1: Loss()}

    def call(*arrays):
        return session._answer_callback({"callback": 1, "method": "forward",
                                         "args": [protocol.encode_array(a) for a in arrays]})

    m = 4096
    refused = call(np.ones((m, 1, 1)), np.ones((1, m, 1)))  # 16 M numbers on the grader's side
    assert "do not match" in refused["error"]
    assert "error" in call(np.ones((2,) * 5), np.ones((2,) * 5))
    big = {"shape": [protocol.MAX_ARRAY_ELEMENTS + 1], "data": ""}
    assert "error" in session._answer_callback({"callback": 1, "method": "forward", "args": [big, big]})
    fine = call(np.full((m, 1, 1), 3.0), np.ones((m, 1, 1)))
    assert np.allclose(protocol.decode_array(fine["value"]), 4.0)
    broadcast_ok = call(np.full((m, 2, 1), 3.0), np.ones((m, 1, 1)))  # no larger than its larger input
    assert protocol.decode_array(broadcast_ok["value"]).shape == (m, 2, 1)


def test_a_stand_in_that_keeps_what_it_is_given_cannot_be_flooded():
    """Task 2's recorders and Task 3's logged model keep copies of their inputs: over a whole
    session, student code can hand them only a bounded number of bytes."""
    import numpy as np

    from autograder import protocol
    from autograder.trusted import Session

    class Recorder:
        def __init__(self):
            self.kept = []

        def forward(self, x):
            self.kept.append(x)
            return x

    recorder = Recorder()
    session = object.__new__(Session)
    session.callbacks = {1: recorder}
    chunk = protocol.encode_array(np.ones(2**17))  # 1 MB
    replies = [session._answer_callback({"callback": 1, "method": "forward", "args": [chunk]}) for _ in range(40)]
    accepted = [reply for reply in replies if "value" in reply]
    assert 0 < len(accepted) <= Session.MAX_SESSION_BYTES // 2**20
    assert "MB of arrays" in replies[-1]["error"]
    assert sum(x.nbytes for x in recorder.kept) <= Session.MAX_SESSION_BYTES
