"""Grader-only spec of task3_training (see autograder/specs/__init__.py).

Every autograded cell is graded by the student's self-check (checks/task3_checks.py) with the
grader's seeds. `check_train` swaps the reference `minibatches` and `accuracy` of task3_checks
(the grader's own copy) into the student's loop, in the self-check and here alike, so that a bug
in the student's iterator or accuracy costs points only in their own cells; the check then expects
the batches of that reference, np.random.default_rng(seed + epoch)'s order. The written answers
(manually graded cells) have no check: the instructor grades them in formgrader, with the rubric
the source notebook holds in their place.
"""

from task3_checks import (
    _Layer,
    _NoParameters,
    _reference_accuracy,
    _reference_batches,
    _ReferenceSGD,
    check_accuracy,
    check_minibatches,
    check_sgd,
    check_split,
    check_tiny_batch,
    check_train,
)

# The checks the grader runs itself, against the answer cell alone in its own sandbox
# (autograder/trusted.py): test cell -> (answer cell, check, class or function name). For
# `train`, the model, loss, optimizer and reference helpers of the short runs stay on the
# grader's side and answer the student's loop across the sandbox wall (the loop, in its sandbox,
# calls stand-ins for them); the arrays X and Y it hands the loop come back as the loop left them
# (protocol.py's "args"), so that an in-place shuffle is seen. `tiny_batch_settings` only returns
# numbers: the grader trains with them.
TRUSTED = {
    "test_sgd": ("sgd", check_sgd, "SGD"),
    "test_minibatches": ("minibatches", check_minibatches, "minibatches"),
    "test_accuracy": ("accuracy", check_accuracy, "accuracy"),
    "test_train": ("train", check_train, "train"),
    "test_tiny_batch": ("tiny_batch", check_tiny_batch, "tiny_batch_settings"),
    "test_split": ("split", check_split, "split_train_validation"),
}
# Classes a trusted check builds inside the sandbox (their source is defined there before the
# answer cell; a name alone is one the sandbox already has), passed to it as `helpers`; the two
# functions are the reference minibatches and accuracy the long learning run of `train` calls
# there (only its final parameters, read back, feed the verdict).
TRUSTED_HELPERS = {
    "test_sgd": ("Module", _Layer, _NoParameters),
    "test_train": ("Linear", "Tanh", "Sigmoid", "BCELoss", "Model", _ReferenceSGD, _reference_batches,
                   _reference_accuracy),
}

# The notebook's experiments: read-only cells whose output feeds no verdict. The grader does not run
# them (the student sees their output in their own notebook); see specs/__init__.py.
EXPERIMENTS = ("tiny_demo", "init_histograms", "init_training", "circles_train", "snapshots", "four_train",
               "lr_experiment", "batch_experiment", "depth_experiment")
