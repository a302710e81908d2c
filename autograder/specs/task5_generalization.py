"""Grader-only spec of task5_generalization (see autograder/specs/__init__.py).

Every graded cell is scored by the student's self-check (checks/task5_checks.py) with the
grader's seeds: every expected value there is computed from the grader's own numbers (the
samples it splits into folds, the weights and gradients it writes into the layers, the losses it feeds),
never read from the student. The classes a check builds where the student's code runs
(TRUSTED_HELPERS) are the given framework classes and small stand-ins of task5_checks:

- `check_l2` gets both functions of the `l2` cell at once, as {name: function};
- `check_l2_generalizes` trains the network with the student's `add_l2_gradient` inside the
  sandbox (`_FitL2`), reads the trained weights back and judges them with its own forward
  pass on unseen points that never enter the sandbox, against the same network trained on
  the grader's side without the penalty;
- `check_dropout` switches modes through `_SetMode` (model.train() / model.eval() where the
  student's Dropout lives); `check_early_stopping` writes each epoch's weights with
  `_SetWeights` (new arrays, or in place) and calls `restore()` through `_Restore`.
"""

from task5_checks import (
    _FitL2,
    _Restore,
    _SetMode,
    _SetWeights,
    check_dropout,
    check_early_stopping,
    check_k_fold,
    check_l2,
    check_l2_generalizes,
)

# The checks the grader runs itself, against the answer cell alone in its own sandbox
# (autograder/trusted.py): test cell -> (answer cell, check, class or function name(s)).
TRUSTED = {
    "test_k_fold": ("k_fold", check_k_fold, "k_fold_splits"),
    "test_l2": ("l2", check_l2, ("l2_penalty", "add_l2_gradient")),
    "test_l2_generalizes": ("l2", check_l2_generalizes, "add_l2_gradient"),
    "test_dropout": ("dropout", check_dropout, "Dropout"),
    "test_early_stopping": ("early_stopping", check_early_stopping, "EarlyStopping"),
}
# Classes a trusted check builds inside the sandbox (their source is defined there before the
# answer cell; a name alone is one the sandbox already has), passed to it as `helpers`.
TRUSTED_HELPERS = {
    "test_l2": ("Linear", "ReLU", "Model"),
    "test_l2_generalizes": ("Linear", "ReLU", "Sigmoid", "BCELoss", "Model", "Adam", _FitL2),
    "test_dropout": ("Model", _SetMode),
    "test_early_stopping": ("Linear", "ReLU", "Model", _SetWeights, _Restore),
}
# The notebook's experiments: read-only cells whose output feeds no verdict. The grader does not run
# them (the student sees their output in their own notebook); see specs/__init__.py.
EXPERIMENTS = ("overfit", "l2_sweep", "cross_validation", "dropout_sweep", "early_run", "table")
