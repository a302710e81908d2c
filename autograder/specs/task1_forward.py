"""Grader-only spec of task1_forward (see autograder/specs/__init__.py)."""

from task1_checks import *  # noqa: F403 - the checks the grader runs with its own seeds
from task1_checks import TRUSTED  # noqa: F401
