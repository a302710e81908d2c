"""Grader-only spec of task2_backward (see autograder/specs/__init__.py)."""

from task2_checks import *  # noqa: F403 - the checks the grader runs with its own seeds
from task2_checks import TRUSTED, TRUSTED_NAMESPACE, TRUSTED_VALUES  # noqa: F401
