"""Grader-only spec of task1_forward (see autograder/specs/__init__.py).

Every graded cell is graded by the student's self-check (checks/task1_checks.py) with the
grader's seeds: each compares the student's outputs on the grader's inputs with values the
check computes itself from closed-form formulas (the whole-network check too: the grader
draws W and b and computes the forward pass and the losses of its own prediction).
"""

import task1_checks

from .common import class_checks_table

# test cell -> (answer cell(s), check, class name(s)); test_model_network gets every class.
TRUSTED = class_checks_table(vars(task1_checks), task1_checks.check_network)
