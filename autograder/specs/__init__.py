"""Grader-only specs, one module per assignment: never shipped to students, never in a sandbox.

A spec says how the grader scores each graded cell of its assignment:

    TRUSTED            test cell -> (answer cell(s), check, class or function name(s))
    TRUSTED_VALUES     test cell -> (notebook variable, check, answer cell): plain-data answers
    TRUSTED_NAMESPACE  test cell -> (notebook variables, check): objects the notebook made
    TRUSTED_HELPERS    test cell -> classes the check builds inside the sandbox

The checks themselves may be the student's self-checks (shipped in `checks/`) called with
the grader's own seeds and points, or grader-only code kept here (answer keys, reference
helpers). Seeds come from the source notebook's hidden test cells, which never run in a
student's process. What several specs share (the grader's reference mathematics, the
reference classes, the table of class-alone cells) is in `common.py`; what students share
with the grader (Report, expect_close, build_network, ...) is in checks/scoring.py.
"""

import importlib
import sys

from ..course import ROOT


def load(assignment):
    """The spec module of `assignment` (e.g. autograder.specs.task2_backward), or None."""
    for path in (ROOT, ROOT / "checks", ROOT / "source" / assignment):
        if str(path) not in sys.path:
            sys.path.append(str(path))
    try:
        return importlib.import_module(f"{__name__}.{assignment}")
    except ModuleNotFoundError as error:
        if error.name == f"{__name__}.{assignment}":
            return None
        raise
