"""Grade a whole class: `python -m autograder grade ASSIGNMENT [--submissions DIR] [--out DIR]`.

The pipeline is the list `STAGES` below, one small step each; they share one `Job` and
pass structured results (`results.py`), never printed text:

1. check the input: the assignment exists, the submissions folder is a folder; every
   entry of it that is a folder is a student and ends with a row;
2. start the sandboxes: worker processes (pool.py), each warming one sandbox (sandbox.py),
   while the next stages run — or, with `--scheduler`, the workers of a Dask cluster (cluster.py);
3. register the assignment in the gradebook (nbgrader generate_assignment into a
   temporary folder, so `release/` is never touched) and read the points of each cell;
4. grade each student, one at a time as workers free up, so memory stays flat for any class:
   a. screen the submission (screening.py): refuse links and special files, repair the
      structure from the source notebook, note what was done;
   b. run, in a worker: the student's notebook in a sandbox (hidden test cells stripped: they
      never run in a student's process), then the assignment spec's trusted checks
      (trusted.py) in the worker, the grader's side of the wall;
   c. score: each graded cell's score is its trusted verdict, rounded to the cent; a verdict
      that could not be computed scores 0 with the reason — never a score from the student's
      process; a written answer (a manually graded cell) waits for the instructor;
   d. record the scores and the submission time in the gradebook (gradebook.py: several
      graders may share one) and the graded notebooks in autograded/; read back what the
      instructor gave in formgrader (manual scores, extra credit, comments: a regrade keeps
      them) and work out the late penalty;
5. report: grades.csv, items.csv, flags.csv, text and HTML feedback (reports.py).

Every student ends with a recorded result; one student's failure never stops the rest.
"""

import os
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import sandbox, screening, specs
from .course import (
    ROOT,
    SOURCE,
    assignments,
    course_directory,
    nbgrader_config,
    shipped_files,
    sync_assignment,
    temporary_release,
)
from .gradebook import open_gradebook, write
from .pool import Failure, Pool, default_workers
from .results import GRADER, INSTRUCTOR, PENDING, Item, Result, Verdict, cents


class GradingError(Exception):
    """A problem with the command's input (no such assignment or folder): nothing was graded."""


@dataclass
class Options:
    """How to grade (see `grade`)."""

    progress: bool = True
    html_feedback: bool = True
    jobs: int = None
    unsafe_no_sandbox: bool = False
    reveal_hidden_tests: bool = False
    limits: object = None
    log: object = print
    checks_timeout: float = None
    students: tuple = None  # grade only these student folders (default: every one)
    overrides: dict = None  # "Section.option" -> value on top of nbgrader_config.py (e.g. an nbgrader app's paths)
    scheduler: str = None  # a Dask scheduler's address: grade each student as a task on that cluster


@dataclass
class Job:
    """What the stages share about one grading command."""

    assignment: str
    submissions: Path
    out: Path
    workspace: Path
    options: Options
    timings: dict = None
    config: object = None
    limits: object = None
    grader: dict = field(default_factory=dict)  # c.Grader settings
    students: list = field(default_factory=list)
    results: list = field(default_factory=list)
    pool: object = None
    coursedir: object = None
    max_scores: dict = field(default_factory=dict)  # notebook file -> {grade_id: points}
    manual: dict = field(default_factory=dict)  # notebook file -> {grade_id: points} of the manually graded cells
    overrides: dict = field(default_factory=dict)  # the config overrides of this run (workspace and options)
    release: dict = field(default_factory=dict)  # notebook file -> the release notebook
    source: dict = field(default_factory=dict)  # notebook file -> the source notebook
    tables: object = None  # the spec's tables (trusted.spec_tables)
    seeds: dict = field(default_factory=dict)  # test cell id -> its seed (trusted.seeds_of)
    skipped: set = field(default_factory=set)  # the spec's experiments: cells not run when grading
    plugin: object = None  # nbgrader's late-penalty plugin (c.AssignLatePenalties.plugin_class)


def grade(assignment, submissions=None, out=None, workspace=None, progress=True, log=print,
          html_feedback=True, jobs=None, unsafe_no_sandbox=False, limits=None, reveal_hidden_tests=False,
          timings=None, checks_timeout=None, students=None, overrides=None, scheduler=None):
    """Grade every student folder of `submissions`; return the list of Results.

    Args:
        assignment: the folder name in `source/`, e.g. "task2_backward".
        submissions: folder in nbgrader's `<student>/<assignment>/*.ipynb` layout
            (default: the course's `submitted/`).
        out: where grades.csv, items.csv and feedback/ go (default `reports/<assignment>/`).
        workspace: a folder for a separate gradebook.db, autograded/ and feedback/
            (the demo and the tests); default: the course's own, at the repository root.
        html_feedback: also render nbgrader's HTML feedback.
        jobs: students graded at once, each in its own warm sandbox (default: the number of cores).
        unsafe_no_sandbox: run student code without isolation (only where bubblewrap
            cannot work; never for a real class).
        limits: sandbox.Limits (default: `c.Sandbox` in nbgrader_config.py).
        reveal_hidden_tests: show the hidden tests' source in the HTML feedback.
        timings: a dict that receives the seconds each stage took (for benchmarks).
        checks_timeout: seconds for all trusted checks of one student (default: c.Grader).
        students: grade only these folders of `submissions` (e.g. the one formgrader's
            Autograde button asks for); the others are left as they are.
        overrides: {"Section.option": value} on top of nbgrader_config.py and `workspace`
            (e.g. the gradebook and folders of the nbgrader command that called the grader).
        scheduler: the address of a Dask scheduler (`tcp://HOST:8786`): each student is graded as
            a task on its workers (cluster.py) instead of in local processes; `jobs` is then theirs.
    """
    options = Options(progress, html_feedback, jobs, unsafe_no_sandbox, reveal_hidden_tests, limits, log,
                      checks_timeout, tuple(students) if students is not None else None, overrides, scheduler)
    job = Job(assignment, Path(submissions or ROOT / "submitted"), Path(out or ROOT / "reports" / assignment),
              workspace, options, timings)
    try:
        for name, stage in STAGES:
            started = time.perf_counter()
            stage(job)
            if timings is not None:
                timings[name] = timings.get(name, 0.0) + time.perf_counter() - started
            if not job.students and name == "check the input":
                log(f"No student folders in {job.submissions}: nothing to grade.")
                from .reports import write_reports
                write_reports(assignment, [], job.out)
                return []
    finally:
        if job.pool is not None:
            job.pool.close()
    return job.results


# ------------------------------------------------------------------ 1. input
def check_input(job):
    if job.assignment not in assignments():
        known = ", ".join(assignments()) or "none"
        raise GradingError(f"no assignment {job.assignment!r} in {SOURCE} (known: {known})")
    job.submissions = job.submissions.resolve()
    job.out = job.out.resolve()
    if not job.submissions.is_dir():
        raise GradingError(f"submissions folder {job.submissions} does not exist; expected "
                           f"<student>/{job.assignment}/*.ipynb inside it")
    # Every folder is a student (dot-names and odd characters included); a symlinked one is
    # recorded as refused by screening. Plain files at the top (a README, .DS_Store) are not students.
    job.students = sorted(entry.name for entry in os.scandir(job.submissions)
                          if entry.is_dir(follow_symlinks=False) or entry.is_symlink())
    if job.options.students is not None:
        chosen = set(job.options.students)
        job.students = [student for student in job.students if student in chosen]
    job.out.mkdir(parents=True, exist_ok=True)
    job.overrides = {**_workspace_overrides(job.workspace), **(job.options.overrides or {})}
    job.config = nbgrader_config(**job.overrides)
    job.limits = job.options.limits or sandbox.Limits.from_config(job.config)
    job.grader = {**GRADER_DEFAULTS, **dict(job.config.get("Grader", {}))}
    if job.options.checks_timeout is not None:
        job.grader["checks_timeout"] = job.options.checks_timeout
    try:
        sandbox.check_available(unsafe=job.options.unsafe_no_sandbox)
        sandbox.self_test(job.limits, unsafe=job.options.unsafe_no_sandbox)
    except sandbox.SandboxUnavailable as error:
        raise GradingError(str(error)) from None


GRADER_DEFAULTS = {
    "checks_timeout": 300.0,  # wall seconds of trusted checks per student, all checks together
    "memory_mb": 6144,  # address space of each grading worker (the grader's side of the wall)
    "duedates": {},  # assignment -> due date ("2025-10-13 23:59:00 Europe/Berlin"), into the gradebook
    "scheduler": None,  # a Dask scheduler's address: every grading (formgrader's button too) runs there
}


def _workspace_overrides(workspace):
    if workspace is None:
        return {}
    workspace = Path(workspace).resolve()
    workspace.mkdir(parents=True, exist_ok=True)
    return {
        "CourseDirectory.db_url": f"sqlite:///{workspace / 'gradebook.db'}",
        "CourseDirectory.autograded_directory": str(workspace / "autograded"),
        "CourseDirectory.feedback_directory": str(workspace / "feedback"),
    }


# -------------------------------------------------------------- 2. sandboxes
def start_sandboxes(job):
    """Worker processes, each warming its sandbox now, while the grader sets up the gradebook
    (on a Dask cluster's workers with `scheduler`, else on this machine)."""
    sync_assignment(job.assignment)  # the files the sandbox gets (e.g. Task 3's framework.py) come first
    memory = max(int(job.grader["memory_mb"]), job.limits.memory_mb + 1024)
    scheduler = job.options.scheduler or job.grader.get("scheduler")
    if scheduler:
        from .cluster import ClusterError, ClusterPool, Setup
        from .course import fingerprint

        setup = Setup(job.assignment, fingerprint(job.assignment), job.limits, job.options.unsafe_no_sandbox, memory)
        try:
            job.pool = ClusterPool(scheduler, setup)
        except ClusterError as error:
            raise GradingError(str(error)) from None
        return
    files = [ROOT / path for path in shipped_files(job.assignment).values()]
    workers = default_workers(job.options.jobs, len(job.students))
    job.pool = Pool(workers, _grade_in_worker, _worker_start,
                    (job.assignment, files, job.limits, job.options.unsafe_no_sandbox), memory_mb=memory)


# --------------------------------------------------------------- 3. gradebook
def register(job):
    job.coursedir = course_directory(job.config)
    try:
        open_gradebook(job.coursedir.db_url).close()  # its tables exist before nbgrader's generate opens it
    except Exception as error:  # a server that is down, a wrong URL or password: nothing was graded
        raise GradingError(f"cannot open the gradebook {_safe_url(job.coursedir.db_url)}: "
                           f"{type(error).__name__}: {str(error).splitlines()[0][:300]}") from None
    release_tmp, release = temporary_release(job.assignment, db_url=job.coursedir.db_url)
    try:
        with open_gradebook(job.coursedir.db_url) as gb:
            duedate = dict(job.grader.get("duedates") or {}).get(job.assignment)
            if duedate:  # c.Grader.duedates: nbgrader keeps due dates in the gradebook
                gb.update_or_create_assignment(job.assignment, duedate=duedate)
            # A 0-point graded cell (every notebook's last cell, `self_checks`: the summary of the
            # student's self-checks that nbgrader's Validate reads) scores nothing: it is not graded.
            job.max_scores = {
                notebook.name + ".ipynb": {cell.name: float(cell.max_score) for cell in notebook.grade_cells
                                           if cell.max_score}
                for notebook in gb.find_assignment(job.assignment).notebooks
            }
        job.release = {p.name: _read(p) for p in Path(release).glob("*.ipynb")}
        job.manual = {name: {screening.grade_id(cell): job.max_scores[name][screening.grade_id(cell)]
                             for cell in notebook.cells if screening.is_manual_cell(cell)
                             and screening.grade_id(cell) in job.max_scores.get(name, {})}
                      for name, notebook in job.release.items()}
    finally:
        release_tmp.cleanup()


def _safe_url(url):
    """The gradebook's URL without its password (for messages)."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL at all: say so without echoing it whole
        return repr(str(url)[:60])


def _read(path):
    import nbformat

    return nbformat.read(path, as_version=4)


# ------------------------------------------------- 4. each student, one at a time
def grade_students(job):
    """Every student through screen_one, the run (in a worker), score_one and record_one: screened
    when a worker is about to be free, scored and recorded here as the run comes back, graded
    notebooks left on disk (autograded/), so the grader's memory stays flat however large the class."""
    from tqdm.auto import tqdm

    from .trusted import seeds_of, spec_tables

    job.tables = spec_tables(job.assignment)
    job.seeds = seeds_of(job.assignment)
    job.skipped = set(specs.experiments(job.assignment))
    job.source = {p.name: _read(p) for p in (SOURCE / job.assignment).glob("*.ipynb")}
    limits = job.limits
    # A student may take the whole notebook limit plus the whole checks budget, and some slack.
    timeout = limits.notebook_timeout + float(job.grader["checks_timeout"]) + 120
    bar = tqdm(total=len(job.students), desc=f"grading {job.assignment}", unit="student",
               disable=not job.options.progress)
    waiting = []  # the Result of each task sent to the pool, by the task's index
    with open_gradebook(job.coursedir.db_url) as gb, warnings.catch_warnings():
        # nbgrader 0.9.6's models trigger harmless SQLAlchemy autoflush warnings.
        warnings.simplefilter("ignore", category=Warning)
        job.plugin = late_penalty_plugin(job.config)

        def tasks():
            for student in job.students:
                result = _step(job, "screen the submissions", screen_one, job, student)
                job.results.append(result)
                if result.notebooks:
                    waiting.append(result)
                    yield task_of(job, result)
                else:  # nothing to run: its row says why
                    _finish(job, gb, result, None)
                    bar.update()

        for index, reply in job.pool.map(tasks(), timeout=timeout, retries=1):
            result, waiting[index] = waiting[index], None
            _finish(job, gb, result, reply)
            bar.update()
    bar.close()


def _step(job, name, step, *args):
    started = time.perf_counter()
    try:
        return step(*args)
    finally:
        if job.timings is not None:
            job.timings[name] = job.timings.get(name, 0.0) + time.perf_counter() - started


def _finish(job, gb, result, reply):
    """The steps of one student after the run, on the grader's side: score, record."""
    if job.timings is not None:
        for phase, seconds in getattr(reply, "seconds", {}).items():
            key = f"  of which {phase} (worker-seconds)"
            job.timings[key] = job.timings.get(key, 0.0) + seconds
    _step(job, "score", score_one, job, result, reply)
    if result.notebooks:
        _step(job, "record in the gradebook", record_one, job, gb, result)


def screen_one(job, student):
    """Refuse links and special files, repair the structure from the source notebook (screening.py)."""
    try:
        return screening.screen(student, job.assignment, job.submissions, job.release, job.source)
    except Exception as error:  # a case screening did not foresee: this student only
        result = Result(student)
        result.note(f"the submission could not be read ({type(error).__name__}: {str(error)[:200]})")
        return result


# ---------------------------------------------------------------------- 5. run
@dataclass
class StudentTask:
    """What a grading worker needs for one student (plain data: it crosses to another process)."""

    student: str
    cells: dict  # notebook name -> [code cell sources], hidden tests stripped
    answers: dict = None  # answer cell id -> source, in notebook order (None: no trusted checks)
    points: dict = None  # test cell id -> max points
    seeds: dict = None  # test cell id -> seed, from the source notebook
    fetch: tuple = ()  # notebook variables the trusted checks read after the run
    budget: float = 300.0  # seconds for all trusted checks of this student


@dataclass
class StudentRun:
    """What a worker sends back: each code cell's outputs and the trusted verdicts."""

    outputs: dict  # notebook name -> [[output dict, ...] per code cell]
    verdicts: dict  # test cell id -> Verdict
    seconds: dict


def task_of(job, result):
    """What the worker needs to grade `result`'s student: the code to run, and for a one-notebook
    assignment the answers, points and seeds of the trusted checks."""
    cells = {name: _executed(notebook, result.student, job.skipped)
             for name, notebook in result.notebooks.items()}
    task = StudentTask(result.student, cells, budget=float(job.grader["checks_timeout"]))
    if len(result.notebooks) == 1:
        (name, notebook), = result.notebooks.items()
        task.answers = {screening.grade_id(cell): cell.source for cell in notebook.cells  # (no written answer)
                        if screening.grade_id(cell) and cell.metadata["nbgrader"].get("solution")
                        and cell.cell_type == "code"}
        task.points = {gid: points for gid, points in job.max_scores.get(name, {}).items() if gid in job.tables.all}
        task.seeds = {gid: job.seeds.get(gid, 0) for gid in task.points}
        task.fetch = job.tables.fetch
    return task


def _executed(notebook, student, skipped):
    """The sources the sandbox runs for `notebook`'s code cells: hidden tests stripped, the spec's
    experiments (read-only cells, restored from the source by screening) replaced by a line that
    says so, and the student's id set for the notebook to read (Task 2 draws each student's own
    planted bugs from it)."""
    from .trusted import student_id_line

    sources = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        if screening.grade_id(cell) in skipped:
            sources.append(specs.EXPERIMENT_NOT_RUN)
        elif screening.is_test_cell(cell):
            sources.append(screening.without_hidden_tests(cell.source))
        else:
            sources.append(cell.source)
    if sources:
        sources[0] = student_id_line(student) + sources[0]
    return sources


class _WorkerState:
    def __init__(self, assignment, files, limits, unsafe):
        self.assignment = assignment
        self.slot = sandbox.Slot(files, limits, unsafe)
        try:
            self.slot.start()  # warm up now, while the grader is still setting up
        except sandbox.WorkerDied:
            pass  # the first run tries again, and reports what goes wrong

    def close(self):
        self.slot.close()


def _worker_start(assignment, files, limits, unsafe):
    return _WorkerState(assignment, files, limits, unsafe)


def _grade_in_worker(state, task):
    """Run one student's notebooks, then the trusted checks, in this worker's sandbox."""
    from .trusted import Budget, namespace_scores, trusted_scores

    spent, started = {}, time.perf_counter()
    budgets = []  # the checks' budget starts when the notebook is done (its own limit is separate)
    values, verdicts = {}, {}

    def budget():
        if not budgets:
            budgets.append(Budget(task.budget))
        return budgets[0]

    def after(run):
        """Checks of the objects the notebook made, on the live run (see trusted.py)."""
        if task.answers is not None:
            verdicts.update(namespace_scores(state.assignment, run, task.points, budget()))

    outputs = {name: sandbox.execute_cells(sources, state.slot, task.fetch, values, after)
               for name, sources in task.cells.items()}
    spent["notebooks"] = time.perf_counter() - started
    if task.answers is not None:
        verdicts.update(trusted_scores(state.assignment, task.answers, task.points, task.seeds, state.slot,
                                       values, budget(), student=task.student))
    spent["trusted checks"] = time.perf_counter() - started - spent["notebooks"]
    return StudentRun(outputs, verdicts, spent)


# -------------------------------------------------------------------- 6. score
def score_one(job, result, run):
    """Each graded cell's score is its trusted verdict, rounded to the cent; a verdict that could not be
    computed scores 0 with the reason, never a score from the student's process; a written answer
    waits for the instructor. The run's outputs become the notebook's (the student's own outputs)."""
    from .sanitize import clean_output

    tables = job.tables
    failure = run.reason if isinstance(run, Failure) else None
    if failure:
        result.grader_failed = True
        result.note(f"the grader failed for this submission ({failure.splitlines()[0]})")
    verdicts = run.verdicts if isinstance(run, StudentRun) else {}
    if isinstance(run, StudentRun):
        for name, cell_outputs in run.outputs.items():
            code = [cell for cell in result.notebooks[name].cells if cell.cell_type == "code"]
            for number, (cell, produced) in enumerate(zip(code, cell_outputs, strict=True), start=1):
                cell.outputs = [o for o in (clean_output(output, number) for output in produced
                                            if isinstance(output, dict)) if o is not None]
                cell.execution_count = number
    for name, cells in job.max_scores.items():
        notebook = result.notebooks.get(name)
        graded = {screening.grade_id(c): c for c in notebook.cells} if notebook is not None else {}
        for grade_id, max_points in cells.items():
            cell_id = _cell_key(job.max_scores, name, grade_id)
            if notebook is None:
                result.items.append(Item(cell_id, 0.0, max_points, result.reason or "not graded"))
                continue
            if grade_id in job.manual.get(name, {}):
                result.items.append(_manual_item(cell_id, graded[grade_id], job.release[name], max_points))
                continue
            verdict = verdicts.get(grade_id)
            if verdict is None:
                why = (f"the grader failed ({failure.splitlines()[0]})" if failure else
                       "no trusted check for this cell" if grade_id not in tables.all else
                       "the trusted check did not run")
                verdict = Verdict(0.0, max_points, grade_id, reason=why)
                if not failure and grade_id in tables.all:
                    result.grader_failed = True
            score = cents(min(max(float(verdict.score), 0.0), max_points))
            reason = "" if score >= max_points else " | ".join(verdict.failures)[:1000]
            result.items.append(Item(cell_id, score, max_points, reason))
            _show_verdict(graded[grade_id], verdict)
    _flag(job, result, tables)


def _manual_item(cell_id, cell, release, max_points):
    """A written answer: "no response" (0, as nbgrader does) when it is the release's text, else it
    waits for the instructor's score (read back from the gradebook when recorded)."""
    released = next((c for c in release.cells if screening.grade_id(c) == screening.grade_id(cell)), None)
    if released is not None and cell.source.strip() == released.source.strip():
        return Item(cell_id, 0.0, max_points, "no response", GRADER)
    return Item(cell_id, 0.0, max_points, "needs manual grading", PENDING)


def _show_verdict(cell, verdict):
    """The grader's report becomes the graded cell's output (what the student reads in feedback)."""
    from nbformat import from_dict

    text = verdict.text()
    if verdict.output.strip():
        text += "\nWhat your code printed during the check:\n" + verdict.output[:2000]
    from .sanitize import clean_text

    cell.outputs = [from_dict({"output_type": "stream", "name": "stdout", "text": clean_text(text)})]


def _flag(job, result, tables):
    """Possible tampering, read from the student's code by the grader (tamper.py): evidence only."""
    from .tamper import tampering

    for notebook in result.notebooks.values():
        cells = [(screening.grade_id(cell) or f"cell {number}", cell.source)
                 for number, cell in enumerate((c for c in notebook.cells if c.cell_type == "code"), start=1)
                 if not (cell.metadata.get("nbgrader", {}).get("locked")
                         and not cell.metadata.get("nbgrader", {}).get("solution"))]
        result.flags += tampering(cells, tables.checks_of, tables.protected)


# ------------------------------------------------------------------- 7. record
def record_one(job, gb, result):
    """One student's scores and submission time into the gradebook, their graded notebooks into
    autograded/; then what the instructor gave in formgrader is read back into the result, and the
    late penalty worked out.

    A regrade never undoes the instructor's work: manual scores, extra credit and comments stay,
    and a cell the instructor graded is not marked "needs manual grading" again. A student none
    of whose notebooks could be read keeps whatever the gradebook already had; the reports say
    why nothing new was recorded.
    """
    try:
        write(gb, lambda: _record_one(job, gb, result))  # other graders wait, or it is tried again
        read_back(gb, job.assignment, result, job.release, job.max_scores)
        when, result.seconds_late, result.late_penalty = write(
            gb, lambda: assign_late_penalty(gb, job.assignment, result.student, job.plugin))
        result.timestamp = when or result.timestamp
    except Exception as error:  # this student's record only; the class goes on
        gb.db.rollback()
        result.grader_failed = True
        result.note(f"the scores could not be recorded in the gradebook ({type(error).__name__}: "
                    f"{str(error)[:200]}); regrade this student")
        return
    coursedir = job.coursedir
    folder = Path(coursedir.format_path(coursedir.autograded_directory, result.student, job.assignment))
    result.notebooks = OnDisk(folder, list(result.notebooks))


class OnDisk(Mapping):
    """A recorded student's graded notebooks, read back from autograded/ when asked for."""

    def __init__(self, folder, names):
        self.folder, self.names = Path(folder), names

    def __getitem__(self, name):
        if name not in self.names:
            raise KeyError(name)
        return _read(self.folder / name)

    def __iter__(self):
        return iter(self.names)

    def __len__(self):
        return len(self.names)


def _cell_key(max_scores, notebook, grade_id):
    """An Item's cell_id: the grade_id, prefixed with the notebook for a multi-notebook assignment."""
    return f"{notebook[:-6]}:{grade_id}" if len(max_scores) > 1 else grade_id


def _record_one(job, gb, result):
    """One student's scores into the gradebook, their graded notebooks into autograded/."""
    import shutil

    import nbformat

    from .sanitize import clean_notebook

    coursedir = job.coursedir
    gb.update_or_create_student(result.student)
    submission = gb.update_or_create_submission(
        job.assignment, result.student, **({"timestamp": result.timestamp} if result.timestamp else {}))
    for notebook in submission.notebooks if result.flags else ():
        notebook.flagged = True  # formgrader's flag on the submission; only the instructor clears it
    folder = Path(coursedir.format_path(coursedir.autograded_directory, result.student, job.assignment))
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    # nbgrader's release_feedback reads these next to the feedback (stock autograde keeps them too)
    for name in ("timestamp.txt", "submission_secret.txt"):
        try:
            data = screening.read_own_file(job.submissions / result.student / job.assignment / name, limit=4096)
        except (OSError, screening.Refused):
            continue
        (folder / name).write_bytes(data)
    items = {item.cell_id: item for item in result.items}
    for name, notebook in result.notebooks.items():
        for note in clean_notebook(notebook, job.source[name]):
            result.note(note)
        nbformat.write(notebook, folder / name)
        stored = gb.find_submission_notebook(name[:-6], job.assignment, result.student)
        grades = {grade.name: grade for grade in stored.grades}  # one query, not one per cell
        comments = {comment.name: comment for comment in stored.comments}
        for cell in notebook.cells:
            gid = screening.grade_id(cell)
            if not cell.metadata.get("nbgrader", {}).get("grade"):
                continue
            grade = grades.get(gid) or gb.find_grade(gid, name[:-6], job.assignment, result.student)
            item = items.get(_cell_key(job.max_scores, name, gid))
            # A 0-point cell has no item: 0 of 0, nothing to grade. A written answer has no score
            # of the grader's until the instructor gives one (nbgrader's own convention: None).
            grade.auto_score = None if item is not None and item.pending else item.score if item else 0.0
            grade.needs_manual_grade = bool(item is not None and item.pending and grade.manual_score is None)
            if item is not None and screening.is_manual_cell(cell):
                comment = comments.get(gid) or gb.find_comment(gid, name[:-6], job.assignment, result.student)
                comment.auto_comment = "No response." if item.reason == "no response" else None
    gb.db.commit()


def read_back(gb, assignment, result, release, max_scores):
    """Put what the instructor gave in formgrader into `result`'s items (the gradebook is the record).

    A manual score replaces the grader's (and ends "needs manual grading"), extra credit is
    added, and each comment the instructor wrote on an answer cell goes to the first graded
    cell from that answer on (the test cell that grades it, or the written answer itself).
    """
    from .sanitize import one_line

    submission = gb.find_submission(assignment, result.student)
    items = {item.cell_id: item for item in result.items}
    for notebook in submission.notebooks:
        name = notebook.name + ".ipynb"
        grades = {grade.name: grade for grade in notebook.grades}
        comments = {comment.name: comment.manual_comment for comment in notebook.comments if comment.manual_comment}
        waiting, last = [], None
        for cell in release[name].cells if name in release else []:
            gid = screening.grade_id(cell)
            if gid in comments:
                waiting.append(one_line(comments[gid]))
            item = items.get(_cell_key(max_scores, name, gid)) if gid is not None else None
            if item is None:
                continue
            _instructors_score(item, grades.get(gid))
            if waiting:
                item.comment, waiting = " | ".join(filter(None, [item.comment, *waiting])), []
            last = item
        if waiting and last is not None:
            last.comment = " | ".join(filter(None, [last.comment, *waiting]))


def _instructors_score(item, grade):
    if grade is None:
        return
    extra = float(grade.extra_credit or 0.0)
    if grade.manual_score is not None:
        given = cents(float(grade.manual_score) + extra)
        if item.graded_by != PENDING and item.reason != "no response":
            item.reason = f"score set by the instructor (the grader gave {item.score:g}" + (
                f": {item.reason})" if item.reason else ")")
        else:
            item.reason = ""
        item.score, item.graded_by = given, INSTRUCTOR
    elif extra:
        item.score = cents(item.score + extra)
        item.reason = "; ".join(filter(None, [item.reason, f"{extra:g} extra credit from the instructor"]))


def late_penalty_plugin(config):
    """nbgrader's late-submission plugin as nbgrader_config.py sets it (c.AssignLatePenalties.plugin_class)."""
    from nbgrader.preprocessors import AssignLatePenalties

    assigner = AssignLatePenalties(config=config)
    assigner.init_plugin()
    return assigner.plugin_inst


def assign_late_penalty(gb, assignment, student, plugin):
    """The late penalty of one recorded submission, as nbgrader's AssignLatePenalties works it out
    (per notebook, from its current score, never below 0 or above the score), into the gradebook.

    Worked out again at every grading and export, so manual points given later count.
    Returns (submission time, seconds late, penalty in points).
    """
    gb.db.commit()  # the scores just recorded are what the penalty is computed from
    submission = gb.find_submission(assignment, student)
    seconds_late, total = float(submission.total_seconds_late), 0.0
    for notebook in submission.notebooks:
        notebook.late_submission_penalty = None
        if seconds_late > 0:
            score = cents(notebook.score)
            penalty = plugin.late_submission_penalty(student, score, seconds_late)
            if penalty is not None:
                notebook.late_submission_penalty = cents(min(max(float(penalty), 0.0), score))
                total += notebook.late_submission_penalty
    gb.db.commit()
    return submission.timestamp, seconds_late, cents(total)


# ------------------------------------------------------------------- 8. report
def report(job):
    from .reports import html_feedback, write_reports
    from .sanitize import one_line

    write_reports(job.assignment, job.results, job.out)
    flagged = [r for r in job.results if r.flags]
    if flagged:
        job.options.log(f"{len(flagged)} student(s) flagged for possible tampering: see {job.out / 'flags.csv'}")
    pending = [r for r in job.results if r.pending]
    if pending:
        job.options.log(f"{len(pending)} student(s) have written answers that need manual grading in formgrader; "
                        "their reports show them as 0 until then (grade again or export to update)")
    failed = [r for r in job.results if r.grader_failed]
    if failed:
        job.options.log(f"the grader failed for {len(failed)} student(s): regrade them (see grades.csv)")
    if job.options.html_feedback:
        failed = html_feedback(job.assignment, job.results, job.out, job.overrides,
                               job.options.reveal_hidden_tests, job.options.jobs) or {}
        for student, error in failed.items():
            job.options.log(f"no HTML feedback for {one_line(student)}: {one_line(str(error))[:300]}")


STAGES = (
    ("check the input", check_input),
    ("start the sandboxes", start_sandboxes),
    ("register the assignment in the gradebook", register),
    ("grade each student", grade_students),  # screen_one, (the worker: run), score_one, record_one
    ("write reports and feedback", report),
)

