"""nbgrader configuration of the course (the repository root is the course root).

Layout: `source/<assignment>/` (instructor notebooks with solutions), `release/<assignment>/`
(generated student versions, committed), `submitted/<student>/<assignment>/` (collected work),
`autograded/`, `feedback/` and `gradebook.db` (created by grading, never committed).
"""

from pathlib import Path

c = get_config()  # noqa: F821 - injected by traitlets when nbgrader loads this file

c.CourseDirectory.root = str(Path(__file__).resolve().parent)
c.CourseDirectory.course_id = "backprop-from-scratch"
# Never treat these as assignment files (they are build artefacts or caches).
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints",
    "*.pyc",
    "__pycache__",
    "feedback",
    ".pytest_cache",
]

# Solutions sit between these markers; nbgrader drops each whole marker line
# (it matches a substring) and puts the stub below in place of the solution.
c.ClearSolutions.begin_solution_delimeter = "###>>> start of solution"
c.ClearSolutions.end_solution_delimeter = "###<<< end of solution"
c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE: replace this line with your solution\nraise NotImplementedError()"
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# A student who deletes a graded or read-only cell gets it back at autograde, so the
# cell is graded (usually to 0 for its own answer) instead of "needs manual grading".
c.OverwriteCells.add_missing_cells = True

# Autograding: each cell may run for 60 s (the slowest reference cell takes < 2 s);
# a cell that ignores the interrupt is killed and recorded as an error.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
c.Execute.startup_timeout = 120

# Keep feedback readable when a student prints in a loop.
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 40
