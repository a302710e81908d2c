"""nbgrader configuration of the course (the repository root is the course root).

Layout: `source/<assignment>/` (instructor notebooks with solutions), `release/<assignment>/`
(generated student versions, committed), `submitted/<student>/<assignment>/` (collected work),
`autograded/`, `feedback/` and `gradebook.db` (created by grading, never committed).
"""

import sys
from pathlib import Path

c = get_config()  # noqa: F821 - injected by traitlets when nbgrader loads this file

# The course's plug-ins (autograder/nbgrader_plugin.py) are importable from any nbgrader command.
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))

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
# Grade on a Dask cluster (README, "Grading on a cluster"), formgrader's Autograde button included:
# c.Grader.scheduler = "tcp://10.0.0.1:8786"
# The gradebook: SQLite here by default; a PostgreSQL server for several graders and formgrader:
# c.CourseDirectory.db_url = "postgresql+psycopg://grader@dbhost/course"

# nbgrader's own `generate_feedback` (formgrader's Generate Feedback button) never shows hidden
# tests: the graded notebooks in autograded/ hold them for the instructor's eyes only. A 0-point
# cell (`self_checks`) is no "Test cell 0 / 0" row. The course's own feedback uses this list too.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.ClearHiddenTests",
    "autograder.nbgrader_plugin.HideUngradedCells",
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# `nbgrader autograde` and formgrader's Autograde button run the course's sandboxed, trusted
# grader (python -m autograder grade, for the students asked), never nbgrader's own executor:
# that would run student code unsandboxed and score a test cell by whether it raised.
c.Autograde.exporter_class = "autograder.nbgrader_plugin.CourseGraderExporter"
c.Autograde.pre_convert_hook = "autograder.nbgrader_plugin.match_renamed_notebooks"  # name-1.ipynb is graded

# `nbgrader generate_assignment` and formgrader's Generate make exactly what `python -m autograder
# release` makes: the shared files linked and the given code generated first, and a release
# holding anything else (a stale or grader-only file) refused.
c.GenerateAssignment.pre_convert_hook = "autograder.nbgrader_plugin.sync_before_release"
c.GenerateAssignment.preprocessors = [
    "nbgrader.preprocessors.IncludeHeaderFooter",
    "nbgrader.preprocessors.InstantiateTests",
    "nbgrader.preprocessors.LockCells",
    "nbgrader.preprocessors.ClearSolutions",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.CheckCellMetadata",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.SaveCells",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.CheckCellMetadata",  # (nbgrader 0.9.6's default list up to here)
    "autograder.nbgrader_plugin.ReleaseIsExact",
]

# Due dates (written into the gradebook, where formgrader and nbgrader keep them, at each grading;
# one leaves an assignment out here to set its due date in formgrader instead) and the late
# penalty: 10% of the points per day or part of a day late. nbgrader's own plug-ins work too
# (`c.AssignLatePenalties.plugin_class = "nbgrader.plugins.LateSubmissionPlugin"` with
# `c.LateSubmissionPlugin.penalty_method = "zero"`). Submission times come from the timestamp.txt
# that `collect` and `zip_collect` write; per-student extensions are nbgrader's (the gradebook).
c.Grader.duedates = {
    # "task1_forward": "2025-10-13 23:59:00 Europe/Berlin",
}
c.AssignLatePenalties.plugin_class = "autograder.nbgrader_plugin.LatePenalty"
c.LatePenalty.percent_per_day = 10.0
c.LatePenalty.grace_minutes = 0.0

# `nbgrader export`: late penalties worked out from the current scores, numbers to the cent.
c.ExportApp.plugin_class = "autograder.nbgrader_plugin.CentsCsvExport"

# Used only where a command turns the course's Autograde plug-in off (benchmarks/grading_benchmark.py
# times nbgrader's own executor with --Autograde.exporter_class=nbconvert.exporters.NotebookExporter).
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
c.Execute.startup_timeout = 120

# Keep feedback readable when a student prints in a loop.
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 40

# ---- Exchange and LMS collection (docs/EXCHANGE.md) ----
import os  # noqa: E402 - this section is appended on its own

# JupyterHub on one machine: nbgrader's exchange, a folder every user may write (the admin makes
# it, mode 777). nbgrader's default path, so a student needs no nbgrader config of their own;
# NBGRADER_EXCHANGE_ROOT moves it (the tests; a hub that keeps it elsewhere tells students too).
# `release_assignment` publishes exactly release/<assignment>/, the committed student version.
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE_ROOT", "/usr/local/share/nbgrader/exchange")
# An LMS instead: `nbgrader zip_collect ASSIGNMENT` reads the Canvas or Moodle download put in
# downloaded/<assignment>/archive/ (autograder/exchange.py reads both LMSs' file names).
c.ZipCollectApp.collector_plugin = "autograder.exchange.LMSFileNames"
