"""Task 3 (training), in-process: the checks judge every answer right and name the mistake.

- every bank answer of task3_training gets the grader's verdict it should (tests/test_bank.py grades
  the same answers through the sandbox) and each bug the hint that names it, as do a few more bugs
  kept here (`MORE_BUGS`) to keep the sandboxed bank short;
- the reference answers earn full marks whatever the seed, and the tiny-batch settings the
  notebook's text allows pass every initialization the grader may draw;
- the self-check of `train`, like the grader, runs the student's loop with the reference
  `minibatches`, so a broken iterator of the student's costs nothing there; a loop whose epochs
  miss samples is told so (not that it saw more);
- the hints that used to mislead (a tie at the threshold, a percentage) are unambiguous, and the
  split's cases tell round() from int() and from rounding up;
- the notebook: written answers graded by hand with a rubric the release does not show, the
  points of the intro table, the last cell, no file a student does not have, a progress bar whose
  final state is in its text output, demo cells that name the unfinished function, and Run All of
  the untouched release reaches the end without a progress bar.
"""

import contextlib
import io
import re

import nbformat
import numpy as np
import pytest

from autograder import course, specs, trusted
from autograder.submissions import BANK, read_answers

A = "task3_training"
SPEC = specs.load(A)  # also puts checks/ and source/task3_training/ (framework.py) on sys.path
import scoring  # noqa: E402
import task3_checks  # noqa: E402

# answer cell -> (its test cell, the name the check is given)
CELLS = {"sgd": ("test_sgd", "SGD"), "minibatches": ("test_minibatches", "minibatches"),
         "accuracy": ("test_accuracy", "accuracy"), "train": ("test_train", "train"),
         "tiny_batch": ("test_tiny_batch", "tiny_batch_settings"), "split": ("test_split", "split_train_validation")}
SEEDS = trusted.seeds_of(A)


def notebook(root=course.SOURCE):
    return nbformat.read(course.notebook_path(A, root), as_version=4)


def reference_answers():
    return {gid: course.solution_source(cell.source) for gid, cell in course.answer_cells(notebook()).items()
            if cell.cell_type == "code"}


def namespace(answers=None):
    """What the notebook defines with these answer cells (the reference answers elsewhere)."""
    space = {"__name__": "__main__"}
    exec(trusted.notebook_imports(A), space)
    for source in {**reference_answers(), **(answers or {})}.values():
        exec(source, space)
    return space


def grade(gid, answers=None, seed=None, self_check=False):
    """(score of 1 point, the report) of the grader's check of answer cell `gid` (or the self-check)."""
    test_id, name = CELLS[gid]
    check = getattr(task3_checks, SPEC.TRUSTED[test_id][1].__name__) if self_check else SPEC.TRUSTED[test_id][1]
    with contextlib.redirect_stdout(io.StringIO()) as out:
        score = check(namespace(answers)[name], points=1, seed=SEEDS[test_id] if seed is None else seed)
    return score, out.getvalue()


# ------------------------------------------------------------------ the bank, judged in-process
# What each bug's report must say (a phrase of the hint that names its mistake).
BANK_HINTS = {
    "acc_count_not_fraction": "number of correct predictions",
    "acc_greater_equal": "use >, not >=",
    "acc_ignores_threshold": "was ignored: the 0.5 is hard-coded",
    "acc_percentage": "returned a percentage",
    "acc_wrong_side": "threshold is on the wrong side",
    "mb_drops_last_batch": "the last, smaller batch was dropped",
    "mb_ignores_seed": "two calls with the same seed gave different orders",
    "mb_legacy_global_seed": "NumPy's legacy generator",
    "mb_never_shuffles": "came in their original order",
    "mb_shuffles_in_place": "changed the caller's X or Y",
    "mb_with_replacement": "not random indices with replacement",
    "sgd_dense_only": "whatever it is called (only Dense_",
    "sgd_first_layer_only": "only the first layer was",
    "sgd_forgot_biases": "the biases (b) were not updated in any layer, but the weights (W) were",
    "sgd_no_learning_rate": "the learning rate is missing",
    "sgd_plus_equals": "moved uphill",
    "sgd_stale_gradients": "dW of an earlier backward pass",
    "sgd_uses_W_not_dW": "the step used W instead of dW",
    "split_in_place": "changed the caller's X or Y",
    "split_int_not_round": "1.75 was cut down to 1 (as int() does)",
    "split_not_shuffled": "the split is not random",
    "tiny_crawls": "larger steps or more epochs",
    "train_full_batch": "each epoch was one batch of all 50 samples",
    "train_hardcoded_batch_size": "have 16 samples, but batch_size is",
    "train_last_batch_loss": "loss of the last mini-batch",
    "train_mean_of_batch_means": "plain mean of the batch means",
    "train_never_backward": "model.backward was never called",
    "train_no_shuffle": "came in their original order",
    "train_passes_loss_not_gradient": "received the loss itself",
    "train_same_seed_every_epoch": "repeated the batches of epoch 0",
    "train_seed_off_by_one": "shuffled with seed + epoch + 1",
    "train_shuffles_in_place": "changed the caller's X or Y in place",
    "train_step_before_backward": "called before model.backward",
    "train_summed_loss": "losses were summed",
}

TRAIN_LOOP = '''
def train(model, loss_fn, optimizer, X, Y, epochs, batch_size, seed=0, progress=False):
    history = {{"loss": [], "accuracy": []}}
    m = X.shape[0]
    {before}
    for epoch in tqdm(range(epochs), desc="epochs", disable=not progress):
        loss_sum, correct = 0.0, 0.0
        for X_batch, Y_batch in minibatches({data}, batch_size, shuffle={shuffle}, seed={seed}):
            {first}
            Y_hat = model(X_batch)
            loss_sum += float(np.sum(loss_fn(Y_hat, Y_batch)))
            correct += accuracy(Y_hat, Y_batch) * len(X_batch)
            model.backward(loss_fn.backward(Y_hat, Y_batch))
            optimizer.step()
        history["loss"].append(loss_sum / m)
        history["accuracy"].append({scale}correct / m)
    {after}
    return history
'''


def loop(before="", data="X, Y", shuffle="True", seed="seed + epoch", first="", scale="", after=""):
    return TRAIN_LOOP.format(before=before, data=data, shuffle=shuffle, seed=seed, first=first, scale=scale,
                             after=after)


# m // batch_size random batches per epoch, drawn with replacement (no minibatches).
RANDOM_BATCHES = '''
def train(model, loss_fn, optimizer, X, Y, epochs, batch_size, seed=0, progress=False):
    history = {"loss": [], "accuracy": []}
    rng = np.random.default_rng(seed)
    for epoch in range(epochs):
        losses, right = [], []
        for step in range(len(X) // batch_size):
            index = rng.integers(0, len(X), batch_size)
            Y_hat = model(X[index])
            losses.append(loss_fn(Y_hat, Y[index]))
            right.append(accuracy(Y_hat, Y[index]))
            model.backward(loss_fn.backward(Y_hat, Y[index]))
            optimizer.step()
        history["loss"].append(float(np.mean(np.concatenate(losses))))
        history["accuracy"].append(float(np.mean(right)))
    return history
'''


MINIBATCHES = '''
def minibatches(X, Y, batch_size, shuffle=True, seed=None):
    m = len(X)
    order = {order} if shuffle else np.arange(m)
    for start in range(0, m, batch_size):
        yield X[order[start:start + batch_size]], Y[order[start:start + batch_size]]
'''
SPLIT = '''
def split_train_validation(X, Y, val_fraction=0.25, seed=0):
    order = np.random.default_rng(seed).permutation(len(X))
    n_val = round(val_fraction * len(X))
    return {parts}
'''
SGD_IF = '''
class SGD:
    def __init__(self, model, lr):
        self.model, self.lr = model, lr

    def step(self):
        for name, module in self.model.modules.items():
            if {condition}:
                module.W = module.W - self.lr * module.dW
                module.b = module.b - self.lr * module.db
'''

# More bugs, judged here only: (answer cell, source, the phrase the report must hold).
MORE_BUGS = {
    "mb_legacy_randomstate": ("minibatches", MINIBATCHES.format(order="np.random.RandomState(seed).permutation(m)"),
                              "NumPy's legacy generator"),
    "mb_choice_order": ("minibatches", MINIBATCHES.format(order="np.random.default_rng(seed).choice(m, m, "
                                                                "replace=False)"), "rng.choice's"),
    "sgd_isinstance_linear": ("sgd", SGD_IF.format(condition="isinstance(module, Linear)"), "nor any other layer"),
    "sgd_named_layers_only": ("sgd", SGD_IF.format(condition='name.startswith(("Dense", "fc"))'),
                              "whatever it is called"),
    "train_seed_ignored": ("train", loop(seed="epoch"), "the seed argument was ignored"),
    "train_accuracy_percent": ("train", loop(scale="100 * "), "that is a percentage"),
    "train_shuffle_once": ("train", loop(before="order = np.random.default_rng(seed).permutation(m)",
                                         data="X[order], Y[order]", shuffle="False", seed="None"),
                           "repeated the batches of epoch 0"),
    # Every batch right; only the caller's arrays are changed (reordered after training).
    "train_reorders_at_the_end": ("train", loop(after="X[:], Y[:] = X[::-1].copy(), Y[::-1].copy()"),
                                  "changed the caller's X or Y in place"),
    # Epochs that miss samples: the check says so, never that the loop saw more than m.
    "train_skips_last_batch": ("train", loop(first="if len(X_batch) < batch_size:\n                continue"),
                               "were all different (not all 50), then a batch of"),
    "train_draws_with_replacement": ("train", RANDOM_BATCHES, "came twice among the first"),
    "split_rounds_up": ("split", SPLIT.replace("round(val_fraction * len(X))", "int(np.ceil(val_fraction * len(X)))")
                        .format(parts="X[order[n_val:]], Y[order[n_val:]], X[order[:n_val]], Y[order[:n_val]]"),
                        "5.4 was rounded up to 6"),
    "split_val_from_end": ("split", SPLIT.format(parts="X[order[:len(X) - n_val]], Y[order[:len(X) - n_val]], "
                                                       "X[order[len(X) - n_val:]], Y[order[len(X) - n_val:]]"),
                           "not the other way"),
    "split_validation_first": ("split", SPLIT.format(parts="X[order[:n_val]], Y[order[:n_val]], X[order[n_val:]], "
                                                           "Y[order[n_val:]]"), "the validation part came first"),
    "split_sorted_parts": ("split", SPLIT.format(parts="X[np.sort(order[n_val:])], Y[np.sort(order[n_val:])], "
                                                       "X[np.sort(order[:n_val])], Y[np.sort(order[:n_val])]"),
                           "in another order"),
    "tiny_diverges": ("tiny_batch", "def tiny_batch_settings():\n    return {'lr': 8.0, 'epochs': 300}\n",
                      "the learning rate is too large"),
    "tiny_over_budget": ("tiny_batch", "def tiny_batch_settings():\n    return {'lr': 1.0, 'epochs': 1000}\n",
                         "a whole number from 1 to 300"),
    "tiny_not_a_dict": ("tiny_batch", "def tiny_batch_settings():\n    return 1.0, 300\n", "must return a dict"),
}


def bank_variants(kind):
    return sorted(p.name for p in (BANK / A / kind).iterdir() if p.is_dir())


@pytest.mark.parametrize("variant", bank_variants("correct"))
def test_correct_bank_answers_earn_full_marks(variant):
    for gid, source in read_answers(BANK / A / "correct" / variant).items():
        score, report = grade(gid, {gid: source})
        assert score == 1, report


@pytest.mark.parametrize("variant", bank_variants("bugs"))
def test_bank_bugs_lose_points_with_the_hint_that_names_them(variant):
    answers = read_answers(BANK / A / "bugs" / variant)
    (gid, source), = answers.items()
    score, report = grade(gid, {gid: source})
    assert score < 1, report
    assert BANK_HINTS[variant] in report, report


def test_every_bank_bug_has_its_hint_listed():
    assert set(BANK_HINTS) == set(bank_variants("bugs"))


@pytest.mark.parametrize("variant", sorted(MORE_BUGS))
def test_more_bugs_lose_points_with_the_hint_that_names_them(variant):
    gid, source, phrase = MORE_BUGS[variant]
    score, report = grade(gid, {gid: source})
    assert score < 1, report
    assert phrase in report, report


def test_a_loop_without_backward_is_told_so_once():
    """No backward: the call-order part says so, the loop's batches and records are judged from its forward
    passes, and only the learning part fails besides (as for a loop without step)."""
    source = (BANK / A / "bugs" / "train_never_backward" / "train.py").read_text()
    score, report = grade("train", {"train": source})
    failed = [line for line in report.splitlines() if "\N{BALLOT X}" in line]
    assert len(failed) == 2 and "model.backward was never called" in failed[0] and "learns" in failed[1], report
    assert score == pytest.approx(1 - 2.5 / 6, abs=1e-3), report


def test_an_in_place_change_alone_costs_only_its_own_part():
    score, report = grade("train", {"train": MORE_BUGS["train_reorders_at_the_end"][1]})
    failed = [line for line in report.splitlines() if "\N{BALLOT X}" in line]
    assert len(failed) == 1 and "the caller's X and Y are left as they were" in failed[0], report
    assert score == pytest.approx(1 - 0.5 / 6, abs=1e-3), report


# ------------------------------------------------------------------ the reference, whatever the seed
def test_reference_answers_earn_full_marks_whatever_the_seed():
    for gid in CELLS:
        for seed in range(4 if gid == "train" else 12):
            score, report = grade(gid, seed=seed)
            assert score == 1, f"{gid}, seed {seed}:\n{report}"


@pytest.mark.parametrize("lr", [0.6, 1.0, 2.0])
def test_the_tiny_batch_window_holds_for_every_initialization(lr):
    """Settings well inside the window the notebook describes pass for any seed of the check."""
    settings = {"tiny_batch": f"def tiny_batch_settings():\n    return {{'lr': {lr}, 'epochs': 300}}\n"}
    for seed in range(6):
        score, report = grade("tiny_batch", settings, seed=seed)
        assert score == 1, f"lr {lr}, seed {seed}:\n{report}"


# ------------------------------------------------------------------ the self-check of train
def test_train_self_check_uses_the_reference_minibatches_as_the_grader_does():
    """A correct train scores full marks in its self-check whatever the student's minibatches does."""
    broken = {"drops the last batch": (BANK / A / "bugs" / "mb_drops_last_batch" / "minibatches.py").read_text(),
              "unseeded": MINIBATCHES.format(order="np.random.permutation(m)"),
              "unfinished": MINIBATCHES.replace("m = len(X)", "raise NotImplementedError()")}
    for what, source in broken.items():
        score, report = grade("train", {"minibatches": source}, self_check=True)
        assert score == 1, f"{what}:\n{report}"


# ------------------------------------------------------------------ hints that used to mislead
def test_the_accuracy_cases_tell_a_tie_from_the_wrong_side_and_a_percentage_from_wrong_values():
    hand_p, hand_y = np.array([0.9, 0.2, 0.6, 0.4, 0.51]), np.array([1.0, 0.0, 0.0, 0.0, 1.0])
    tie_p, tie_y = np.array([0.5, 0.7, 0.1, 0.8, 0.3]), np.array([0.0, 1.0, 0.0, 0.0, 0.0])
    for p, y, threshold in [(tie_p, tie_y, 0.5), (hand_p, hand_y, 0.6)]:
        expected = float(np.mean((p > threshold) == (y > 0.5)))
        values = [value for value, _ in task3_checks._accuracy_hints(p, y, threshold, len(p), expected, True)[:5]]
        assert len({round(v, 9) for v in [expected, *values]}) == 6, values  # no two mistakes look alike


def test_the_split_cases_tell_round_from_int_and_from_rounding_up():
    sizes = [fraction * m for m, fraction in task3_checks._SPLIT_CASES]
    assert all(abs(size % 1 - 0.5) > 0.1 for size in sizes)  # no half, where rounding conventions differ
    assert any(int(size) != round(size) for size in sizes) and any(np.ceil(size) != round(size) for size in sizes)
    score, report = grade("split", {"split": (BANK / A / "bugs" / "split_int_not_round" / "split.py").read_text()})
    failed = [line for line in report.splitlines() if "\N{BALLOT X}" in line]
    assert len(failed) == 1 and failed[0].lstrip("✗ ").startswith("returns X_train"), report  # the size part only


# ------------------------------------------------------------------ the notebook
def test_written_answers_are_graded_by_hand_and_the_release_shows_no_rubric():
    source, release = notebook(), notebook(course.RELEASE)
    written = [c for c in source.cells if c.metadata.get("nbgrader", {}).get("grade")
               and c.metadata["nbgrader"]["solution"]]
    assert len(written) == 6
    released = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in release.cells}
    for cell in written:
        meta = cell.metadata["nbgrader"]
        assert cell.cell_type == "markdown" and meta["points"] > 0 and not meta["locked"], meta
        assert cell.source.startswith("**Rubric for the grader"), meta["grade_id"]
        assert released[meta["grade_id"]].source.strip() == "YOUR ANSWER HERE", meta["grade_id"]
    assert "Rubric" not in course.notebook_path(A, course.RELEASE).read_text()


def test_the_intro_table_adds_up_to_the_points_of_the_graded_cells():
    cells = notebook().cells
    table = re.findall(r"^\| (\d|✎) \|.*\| (\d+) \|$", cells[0].source, re.M)
    auto = sum(int(points) for key, points in table if key != "✎")
    manual = sum(int(points) for key, points in table if key == "✎")
    graded = [c.metadata["nbgrader"] for c in cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert auto == sum(m["points"] for m in graded if not m["solution"])
    assert manual == sum(m["points"] for m in graded if m["solution"])


def test_the_last_cell_sums_up_the_self_checks_in_notebook_order():
    cells = notebook().cells
    code = [c for c in cells if c.cell_type == "code"]
    assert code[-1].metadata.get("nbgrader") == {"grade": True, "grade_id": "self_checks", "locked": True, "points": 0,
                                             "schema_version": 3, "solution": False, "task": False}
    assert cells[cells.index(code[-1]) - 1].cell_type == "markdown"
    assert "summary(task3_checks.SELF_CHECKS)" in code[-1].source
    titles = []
    scoring.FINISHED = titles
    try:
        for cell in code:
            if cell.metadata.get("nbgrader", {}).get("grade_id", "").endswith("_selfcheck"):
                with contextlib.redirect_stdout(io.StringIO()):
                    exec(cell.source, namespace())
    finally:
        scoring.FINISHED = None
    assert tuple(report.title for report in titles) == task3_checks.SELF_CHECKS


def test_the_text_names_no_file_students_lack_and_make_mlp_names_its_modules():
    # Every release notebook: students have the release folder only, and never saw the course's first edition.
    for path in sorted(course.RELEASE.glob("*/*.ipynb")):
        text = path.read_text()
        for stale in ("notebooks/", "benchmarks/", "original notebook", "self.aPred", "target.data"):
            assert stale not in text, f"{path.name} mentions {stale!r}"
    text = course.notebook_path(A).read_text()
    assert "tqdm.auto" not in text  # a widget's text in an export reads 0 %
    make_mlp = next(c.source for c in notebook().cells if c.id == "make_mlp")
    assert "ReLU_1" in make_mlp


def test_the_progress_bar_ends_at_100_percent_in_text():
    from dataset import dataset_circles
    from framework import BCELoss

    space = namespace()
    X, Y = dataset_circles(m=20, seed=0)
    net = task3_checks._build((2, 4, 1), np.random.default_rng(0))
    with contextlib.redirect_stderr(io.StringIO()) as err:
        space["train"](net, BCELoss(), space["SGD"](net, 0.5), X, Y, epochs=5, batch_size=8, progress=True)
    assert "5/5" in err.getvalue().split("\r")[-1] and "100%" in err.getvalue().split("\r")[-1]


def test_a_demo_cell_turns_an_unfinished_exercise_into_one_line(capsys):
    """Task 3's demo cells use the course's one helper (scoring.ExplainErrors) with its exercise table."""
    import matplotlib.pyplot as plt

    class SGD:
        def step(self):
            raise NotImplementedError()

    with task3_checks.explain_errors("SGD", "train"):
        plt.figure()
        SGD().step()
    with task3_checks.explain_errors("SGD", "train"):
        raise ValueError("from none of them")
    space = namespace({"train": "def train(*args, **kwargs):\n    raise NotImplementedError()\n"})
    with task3_checks.explain_errors("SGD", "train", "accuracy"):  # SGD and accuracy work: train is named
        net = task3_checks._build((2, 3, 1), np.random.default_rng(0))
        space["train"](net, None, space["SGD"](net, 0.5), None, None, 1, 1)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "✗ SGD.step is not written yet: finish Exercise 1, then run this cell again.", lines
    assert "It runs your SGD (Exercise 1), train (Exercise 4)" in lines[1], lines
    assert lines[2:] == ["✗ train is not written yet: finish Exercise 4, then run this cell again."], lines
    assert not plt.get_fignums()


def test_run_all_of_the_untouched_release_reaches_the_last_cell():
    """Every cell of the release as handed out runs; only the last one (the summary) fails."""
    from nbclient import NotebookClient

    release = notebook(course.RELEASE)
    client = NotebookClient(release, timeout=120, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(course.RELEASE / A)}})
    client.execute()
    code = [c for c in release.cells if c.cell_type == "code"]
    errors = [(c.metadata.get("nbgrader", {}).get("grade_id"), o.ename) for c in code for o in c.outputs
              if o.output_type == "error"]
    assert errors == [("self_checks", "AssertionError")], errors
    printed = "".join(o.get("text", "") for c in code for o in c.outputs if o.output_type == "stream")
    assert "SGD.step is not written yet: finish Exercise 1" in printed and "Traceback" not in printed
    assert "it/s]" not in printed  # no progress bar of an unfinished train (nor of a finished one: see circles_train)
