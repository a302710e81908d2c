"""Grader-only specs, one module per assignment: never shipped to students, never in a sandbox.

A spec says how the grader scores each graded cell of its assignment:

    TRUSTED            test cell -> (answer cell(s), check, class or function name(s))
    TRUSTED_VALUES     test cell -> (notebook variable, check, answer cell): plain-data answers
    TRUSTED_NAMESPACE  test cell -> (notebook variables, check): objects the notebook made
    TRUSTED_HELPERS    test cell -> classes the check builds inside the sandbox, functions it
                       hands the student's code there
    EXPERIMENTS        read-only cells the grader does not run (optional)

EXPERIMENTS are the notebook's experiments (sweeps, races, plots): read-only given cells
whose output feeds no verdict, so grading a class need not pay for them. The grader runs
a line that says so in their place; the student saw their output in their own notebook.
Being read-only, their source is the instructor's whatever the submission says (screening
restores it). tests/test_experiments.py checks that each is a read-only given cell and that
no cell the grader runs needs what they define.

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


EXPERIMENT_NOT_RUN = ("print('(an experiment: the grader does not run it; its output is in your own "
                      "notebook)')")


def experiments(assignment):
    """The grade_ids of the cells of `assignment` the grader does not run (its spec's EXPERIMENTS)."""
    spec = load(assignment)
    return tuple(getattr(spec, "EXPERIMENTS", ())) if spec is not None else ()
