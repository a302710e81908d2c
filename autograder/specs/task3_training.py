"""Grader-only spec of task3_training (see autograder/specs/__init__.py)."""

from task3_checks import *  # noqa: F403 - the checks the grader runs with its own seeds
from task3_checks import TRUSTED, TRUSTED_HELPERS  # noqa: F401
