"""Grader-only spec of task1_forward (see autograder/specs/__init__.py).

Every graded cell is graded by the student's self-check (checks/task1_checks.py) with the
grader's seeds: each compares the student's outputs on the grader's inputs with values the
check computes itself from closed-form formulas (the whole-network check too: the grader
draws W and b and computes the forward pass and the losses of its own prediction).

Two checks build a small helper next to the student's object in the sandbox
(TRUSTED_HELPERS): the activations' `_InputAfterForward`, which hands back the array
forward was given as forward left it (an activation must not change its input in place),
and BCELoss's `_ClassAttribute`, which sets the class's `eps` (the loss must clip with
`self.eps`). Both only carry data across the wall; the verdicts are computed here.
"""

import task1_checks

from .common import class_checks_table

# test cell -> (answer cell(s), check, class name(s)); test_model_network gets every class.
TRUSTED = class_checks_table(vars(task1_checks), task1_checks.check_network)
# Classes a trusted check builds inside the sandbox, passed to it as `helpers`.
TRUSTED_HELPERS = {
    "test_sigmoid": (task1_checks._InputAfterForward,),
    "test_tanh": (task1_checks._InputAfterForward,),
    "test_relu": (task1_checks._InputAfterForward,),
    "test_bce_loss": (task1_checks._ClassAttribute,),
}
# The notebook's experiments: read-only cells whose output feeds no verdict. The grader does not run
# them (the student sees their output in their own notebook); see specs/__init__.py.
EXPERIMENTS = ("activations_plot", "losses_plot", "datasets_plot", "boundary_plot")
