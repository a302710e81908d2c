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

# Autograding runs every notebook in a sandbox (autograder/sandbox.py) with these limits.
# The slowest reference cell takes about 3 s and a whole reference notebook about 12 s.
c.Sandbox.cell_timeout = 60  # wall seconds per cell; a hung cell is killed and scored 0
c.Sandbox.notebook_timeout = 600  # wall seconds per notebook
c.Sandbox.cpu_seconds = 600  # CPU seconds per sandbox
c.Sandbox.memory_mb = 4096  # address space per sandbox
c.Sandbox.max_processes = 64  # processes and threads per sandbox (pids cgroup)
c.Sandbox.file_size_mb = 64  # largest file a notebook may write
c.Sandbox.output_kb = 256  # output kept per cell, all kinds together (errors and scores are always kept)
c.Sandbox.notebook_output_kb = 2048  # output kept per notebook (its graded copy and feedback stay small)
c.Sandbox.tmp_mb = 256  # size of /tmp and of /dev/shm in the sandbox (they live in memory)
c.Sandbox.scratch_mb = 256  # size of the notebook's scratch folder in the sandbox (in memory too)
c.Sandbox.draw_figures = False  # True: draw figures into graded notebooks and feedback (slower)

# The grader's own side of the wall (autograder/grading.py, trusted.py), bounded per student too.
c.Grader.checks_timeout = 300  # wall seconds for all trusted checks of one student together
c.Grader.memory_mb = 6144  # address space of each grading worker (at least the sandbox's + 1 GB)

# nbgrader's own `generate_feedback` (formgrader's Generate Feedback button) never shows hidden
# tests: the graded notebooks in autograded/ hold them for the instructor's eyes only.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "nbgrader.preprocessors.ClearHiddenTests",
]

# Used when nbgrader's own autograde runs (stock `nbgrader autograde`, the benchmark).
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
c.Execute.startup_timeout = 120

# Keep feedback readable when a student prints in a loop.
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 40
