"""Grade a whole class: `python -m autograder grade ASSIGNMENT [--submissions DIR] [--out DIR]`.

The pipeline, one small step each (nbgrader's own autograde is not used: it runs
student code as the grader, can be fooled through stderr, and loses results on
broken input; see sandbox.py):

1. check the assignment and the submissions folder (`<student>/<assignment>/*.ipynb`);
2. register the assignment in the gradebook (nbgrader generate_assignment into a
   temporary folder, so `release/` is never touched);
3. screen every submission: a missing folder or notebook, or a file that is not a
   notebook, is recorded with a reason; deleted, duplicated or retyped cells and a
   changed kernel are repaired from the source notebook (hidden tests, points and
   read-only cells always come from there), with a note;
4. run each notebook in its own sandbox, several at once (sandbox.py), on a scratch
   copy holding only that notebook and the assignment's files;
5. score each graded cell from its output (an error scores 0; stderr does not);
6. record scores in the gradebook (the course's, or the workspace's), save the graded
   notebooks, write `grades.csv`, `items.csv` and feedback, and print the table.
Every student ends with a recorded result; one student's failure never stops the rest.
"""

import csv
import json
import math
import os
import shutil
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from . import sandbox
from .course import (
    ROOT,
    SOURCE,
    assignments,
    course_directory,
    nbgrader_api,
    nbgrader_config,
    put_environment_on_path,
    sync_assignment,
    temporary_release,
)

FAIL_MARK = "\N{BALLOT X}"


@dataclass
class Item:
    """The score of one graded cell of one student."""

    cell_id: str
    score: float
    max_score: float
    reason: str = ""


@dataclass
class Result:
    """What grading one student produced."""

    student: str
    items: list = field(default_factory=list)
    reason: str = ""  # what went wrong with the submission as a whole, or what was repaired
    notebooks: dict = field(default_factory=dict)  # name -> sanitized notebook, then graded notebook
    flags: list = field(default_factory=list)  # (cell id, notebook's score, trusted score): for the instructor

    @property
    def score(self):
        return round(sum(item.score for item in self.items), 4)

    @property
    def max_score(self):
        return round(sum(item.max_score for item in self.items), 4)

    def note(self, text):
        self.reason = "; ".join(filter(None, [self.reason, text]))


class GradingError(Exception):
    """A problem with the command's input (no such assignment or folder): nothing was graded."""


def grade(assignment, submissions=None, out=None, workspace=None, progress=True, log=print,
          html_feedback=True, jobs=None, unsafe_no_sandbox=False, limits=None, reveal_hidden_tests=False,
          timings=None):
    """Grade every student folder of `submissions`; return the list of Results.

    Args:
        assignment: the folder name in `source/`, e.g. "task2_backward".
        submissions: folder in nbgrader's `<student>/<assignment>/*.ipynb` layout
            (default: the course's `submitted/`).
        out: where grades.csv, items.csv and feedback/ go (default `reports/<assignment>/`).
        workspace: a folder for a separate gradebook.db, autograded/ and feedback/
            (the demo and the tests); default: the course's own, at the repository root.
        html_feedback: also render nbgrader's HTML feedback (about a second per student).
        jobs: students graded at once, each in its own warm sandbox (default: the number of cores).
        unsafe_no_sandbox: run student code without isolation (only where bubblewrap
            cannot work; never for a real class).
        limits: sandbox.Limits (default: `c.Sandbox` in nbgrader_config.py).
        reveal_hidden_tests: show the hidden tests' source in the HTML feedback.
        timings: a dict that receives the seconds each phase took (for benchmarks).
    """
    clock = _Clock(timings)
    if assignment not in assignments():
        known = ", ".join(assignments()) or "none"
        raise GradingError(f"no assignment {assignment!r} in {SOURCE} (known: {known})")
    submissions = Path(submissions or ROOT / "submitted").resolve()
    out = Path(out or ROOT / "reports" / assignment).resolve()
    if not submissions.is_dir():
        raise GradingError(
            f"submissions folder {submissions} does not exist; expected "
            f"<student>/{assignment}/*.ipynb inside it"
        )
    students = sorted(p.name for p in submissions.iterdir() if p.is_dir() and not p.name.startswith("."))
    out.mkdir(parents=True, exist_ok=True)
    if not students:
        log(f"No student folders in {submissions}: nothing to grade.")
        write_reports(assignment, [], out)
        return []

    overrides = _workspace_overrides(workspace)
    config = nbgrader_config(**overrides)
    limits = limits or sandbox.Limits.from_config(config)
    try:
        sandbox.check_available(unsafe=unsafe_no_sandbox)
        sandbox.self_test(limits, unsafe=unsafe_no_sandbox)
    except sandbox.SandboxUnavailable as error:
        raise GradingError(str(error)) from None
    # The workers warm up their sandboxes while this process sets up the gradebook and screens;
    # the assignment's files (links, generated code such as Task 3's framework.py) come first.
    sync_assignment(assignment)
    pool, workers = _start_workers(assignment, limits, jobs, unsafe_no_sandbox, len(students))
    try:
        coursedir = course_directory(config)
        gradebook_url = coursedir.db_url
        release_tmp, release = temporary_release(assignment, db_url=gradebook_url)
        try:
            max_scores = _max_scores(assignment, gradebook_url)
            clock.lap("start-up (gradebook, release; sandboxes warming up)")
            source = {p.name: _read(p) for p in (SOURCE / assignment).glob("*.ipynb")}
            results = [_screen(s, assignment, submissions, release, source) for s in students]
            clock.lap("screening and repair")
        finally:
            release_tmp.cleanup()
        trusted = _run_all(pool, workers, assignment, results, max_scores, progress, clock)
    finally:
        pool.shutdown(cancel_futures=True)
    for result in results:
        _score(result, max_scores, trusted.get(result.student, {}))
    _save(assignment, results, coursedir)
    clock.lap("gradebook and graded notebooks")
    write_reports(assignment, results, out)
    flagged = [r for r in results if r.flags]
    if flagged:
        log(f"{len(flagged)} student(s) flagged for possible tampering: see {out / 'flags.csv'}")
    if html_feedback:
        _html_feedback(assignment, results, out, overrides, reveal_hidden_tests, jobs)
    clock.lap("reports and feedback")
    return results


class _Clock:
    """Adds the seconds since the last lap to `timings[name]` (when timings is a dict)."""

    def __init__(self, timings):
        import time

        self.timings, self.now, self.last = timings, time.perf_counter, time.perf_counter()

    def lap(self, name):
        now = self.now()
        self.note(name, now - self.last)
        self.last = now

    def note(self, name, seconds):
        if self.timings is not None:
            self.timings[name] = self.timings.get(name, 0.0) + seconds


# ------------------------------------------------------------------ set-up
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


def _gradebook(url):
    from nbgrader.api import Gradebook

    put_environment_on_path()
    return Gradebook(url)


def _max_scores(assignment, db_url):
    """{notebook file: {grade_id: max points}} of the graded cells, from the gradebook."""
    with _gradebook(db_url) as gb:
        return {
            notebook.name + ".ipynb": {cell.name: float(cell.max_score) for cell in notebook.grade_cells}
            for notebook in gb.find_assignment(assignment).notebooks
        }


def _read(path):
    import nbformat

    return nbformat.read(path, as_version=4)


# --------------------------------------------------------------- screening
def _screen(student, assignment, submissions, release, source):
    """Read, check and repair one student's notebooks; problems become notes, not crashes."""
    import nbformat

    result = Result(student)
    folder = submissions / student / assignment
    if not folder.is_dir():
        found = sorted(p.name for p in (submissions / student).iterdir())
        result.note(f"no folder {assignment}/ in the submission (found: {', '.join(found) or 'nothing'})")
        return result
    for name in sorted(source):
        path = folder / name
        if not path.is_file():
            others = sorted(p.name for p in folder.glob("*.ipynb"))
            result.note(f"{name} is missing (found: {', '.join(others) or 'no notebooks'})")
            continue
        try:
            with open(path, encoding="utf-8") as handle:
                raw = json.load(handle)
            _add_missing_ids(raw)
            notebook = nbformat.reads(json.dumps(raw), as_version=4)  # joins line lists, upgrades
            nbformat.validate(notebook)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            result.note(f"{name} is not valid JSON ({error}); it could not be opened")
            continue
        except Exception as error:  # nbformat raises several types for a broken notebook
            result.note(f"{name} is not a valid notebook ({type(error).__name__}: {str(error)[:200]})")
            continue
        for text in repair(notebook, _read(release / name)) + sanitize(notebook, source[name]):
            result.note(text)
        result.notebooks[name] = notebook
    return result


def _add_missing_ids(raw):
    """Give cells without an id (older Jupyter versions) a fresh one, as nbformat 4.5 wants."""
    import nbformat

    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        return
    seen = set()
    for cell in raw["cells"]:
        if isinstance(cell, dict) and (not cell.get("id") or cell["id"] in seen):
            cell["id"] = nbformat.v4.nbbase.random_cell_id()
        if isinstance(cell, dict):
            seen.add(cell["id"])
    raw["nbformat"], raw["nbformat_minor"] = 4, max(5, raw.get("nbformat_minor", 5))


def _grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def repair(notebook, release):
    """Undo what students do to a notebook's structure; return notes for the student.

    - A graded or read-only cell of the release that the student deleted is put back
      after the nearest earlier cell that is still there.
    - A cell id used twice (a duplicated answer cell): the last copy keeps it, the
      earlier copies still run but are no longer graded.
    """
    notes = []
    seen = {}
    for index, cell in enumerate(notebook.cells):
        grade_id = _grade_id(cell)
        if grade_id is not None:
            seen.setdefault(grade_id, []).append(index)
    duplicated = [gid for gid, where in seen.items() if len(where) > 1]
    for grade_id in duplicated:
        for index in seen[grade_id][:-1]:
            del notebook.cells[index].metadata["nbgrader"]
    if duplicated:
        notes.append(f"duplicated cells {', '.join(duplicated)}: only the last copy of each was graded")

    present = {_grade_id(cell) for cell in notebook.cells} - {None}
    restored = []
    for position, cell in enumerate(release.cells):
        grade_id = _grade_id(cell)
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if grade_id is None or grade_id in present or not (meta.get("grade") or meta.get("locked")
                                                           or meta.get("solution")):
            continue
        index = 0
        for earlier in reversed(release.cells[:position]):
            where = [i for i, c in enumerate(notebook.cells) if _grade_id(c) == _grade_id(earlier)]
            if _grade_id(earlier) is not None and where:
                index = where[-1] + 1
                break
        notebook.cells.insert(index, cell)
        present.add(grade_id)
        if meta.get("grade") or meta.get("solution"):
            restored.append(grade_id)
    if restored:
        notes.append(f"deleted cells were put back (as released) and graded: {', '.join(restored)}")
    return notes


def sanitize(notebook, source):
    """Make every graded and read-only cell what the instructor wrote; clear all outputs.

    Hidden tests, points, cell types and read-only code always come from the source
    notebook, whatever the submission says; answer cells keep the student's code.
    """
    notes = []
    reference = {_grade_id(cell): cell for cell in source.cells if _grade_id(cell) is not None}
    changed = []
    for cell in notebook.cells:
        original = reference.get(_grade_id(cell))
        if original is None:
            if "nbgrader" in cell.get("metadata", {}):
                del cell.metadata["nbgrader"]  # a made-up grade cell grades nothing
            continue
        meta = original.metadata["nbgrader"]
        if cell.cell_type != original.cell_type:
            changed.append(_grade_id(cell))
        if meta.get("grade") or meta.get("locked"):
            cell.source = original.source
        if cell.cell_type != original.cell_type:
            cell.cell_type = original.cell_type
            if cell.cell_type == "code":
                cell.setdefault("execution_count", None)
            else:
                cell.pop("execution_count", None)
        cell.metadata["nbgrader"] = json.loads(json.dumps(meta))
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
    if changed:
        notes.append(f"cells of the wrong type were restored: {', '.join(changed)}")
    kernel = notebook.metadata.get("kernelspec", {}).get("name")
    if kernel != source.metadata.get("kernelspec", {}).get("name"):
        notes.append(f"the notebook's kernel was changed to {kernel!r}; it was run with Python 3")
    notebook.metadata["kernelspec"] = source.metadata.get("kernelspec", {})
    return notes


# --------------------------------------------------------------- execution
def _assignment_files(assignment):
    """The course's files every run of the assignment gets (never the student's copies of them)."""
    return sorted(p for p in (SOURCE / assignment).iterdir()
                  if p.is_file() and p.suffix != ".ipynb" and not p.name.startswith("."))


@dataclass
class _Task:
    """What a grading worker needs for one student (plain data: it crosses to another process)."""

    student: str
    cells: dict  # notebook name -> [code cell sources]
    answers: dict = None  # answer cell id -> source, for the trusted checks (None: no trusted checks)
    points: dict = None
    seeds: dict = None
    fetch: tuple = ()  # notebook variables the trusted checks read after the run


def _start_workers(assignment, limits, jobs, unsafe, students):
    """A pool of worker processes, each starting its sandbox (a warm zygote) right away."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    workers = max(1, min(jobs or os.cpu_count() or 1, students))
    context = multiprocessing.get_context("fork")  # the workers only run trusted code
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_worker_start,
                               initargs=(assignment, _assignment_files(assignment), limits, unsafe))
    for _ in range(workers):
        pool.submit(int)  # each submission starts one more worker process
    return pool, workers


def _run_all(pool, workers, assignment, results, max_scores, progress, clock):
    """Run every student's notebooks, then their trusted checks, in the pool's sandboxes.

    Each worker process owns one sandbox.Slot (a warm zygote) for the whole class.
    Returns {student: trusted verdict}; the notebooks in `results` get their outputs.
    """
    from concurrent.futures import as_completed

    from tqdm.auto import tqdm

    from .trusted import seed_of, trusted_namespace, trusted_table, trusted_values

    table = {**trusted_table(assignment), **trusted_values(assignment), **trusted_namespace(assignment)}
    fetch = sorted({entry[0] for entry in trusted_values(assignment).values()})
    tasks = []
    for result in results:
        if not result.notebooks:
            continue
        task = _Task(result.student, {name: [cell.source for cell in notebook.cells if cell.cell_type == "code"]
                                      for name, notebook in result.notebooks.items()})
        if len(result.notebooks) == 1 and table:
            (name, notebook), = result.notebooks.items()
            task.answers, task.seeds, task.fetch = {}, {}, fetch
            for cell in notebook.cells:
                meta = cell.metadata.get("nbgrader", {})
                if meta.get("solution"):
                    task.answers[meta["grade_id"]] = cell.source
                if meta.get("grade_id") in table:
                    task.seeds[meta["grade_id"]] = seed_of(cell.source)
            task.points = {gid: max_scores[name][gid] for gid in table if gid in max_scores.get(name, {})}
        tasks.append(task)
    if not tasks:
        return {}
    by_student = {result.student: result for result in results}
    trusted, seconds = {}, {"notebooks": 0.0, "trusted": 0.0}
    bar = tqdm(total=len(tasks), desc=f"grading {assignment}", unit="student", disable=not progress)
    futures = {pool.submit(_grade_in_worker, task): task.student for task in tasks}
    for future in as_completed(futures):
        try:
            student, outputs, verdict, spent = future.result()
        except Exception as error:  # the grader's own failure (a worker died): say so, go on
            by_student[futures[future]].note(f"the grader failed while running this notebook "
                                             f"({type(error).__name__}: {error}); regrade this student")
            bar.update()
            continue
        for name, cell_outputs in outputs.items():
            code = [cell for cell in by_student[student].notebooks[name].cells if cell.cell_type == "code"]
            for number, (cell, produced) in enumerate(zip(code, cell_outputs, strict=True), start=1):
                cell.outputs = [_clean_output(output, number) for output in produced if isinstance(output, dict)]
                cell.execution_count = number
        if verdict is not None:
            trusted[student] = verdict
        for phase, value in spent.items():
            seconds[phase] += value
        bar.update()
    bar.close()
    clock.lap(f"sandboxed runs ({workers} workers)")
    clock.note("  of which notebooks (worker-seconds)", seconds["notebooks"])
    clock.note("  of which trusted checks (worker-seconds)", seconds["trusted"])
    return trusted


_SLOT = None  # this worker process's sandbox (set by _worker_start)
_ASSIGNMENT = None


def _worker_start(assignment, files, limits, unsafe):
    """In each worker process: one sandbox slot, closed when the process ends."""
    from multiprocessing import util

    global _SLOT, _ASSIGNMENT
    _ASSIGNMENT = assignment
    _SLOT = sandbox.Slot(files, limits, unsafe)
    util.Finalize(_SLOT, _SLOT.close, exitpriority=10)
    try:
        _SLOT.start()  # warm up now, while the grader is still setting up
    except sandbox.WorkerDied:
        pass  # the first run tries again, and reports what goes wrong


def _grade_in_worker(task):
    """Run one student's notebooks and trusted checks in this worker's slot."""
    import time

    from .trusted import namespace_scores, trusted_scores

    spent = {}
    start = time.perf_counter()
    values, of_objects, failures = {}, {}, []

    def after(run):
        """Checks of the objects the notebook made, on the live run (see trusted.py)."""
        if task.answers is None:
            return
        try:
            of_objects.update(namespace_scores(_ASSIGNMENT, run, task.points))
        except Exception as error:  # our own failure: fall back to the notebook's verdict, and say so
            failures.append(f"{type(error).__name__}: {error}")

    outputs = {name: sandbox.execute_cells(sources, _SLOT, task.fetch, values, after)
               for name, sources in task.cells.items()}
    spent["notebooks"] = time.perf_counter() - start
    verdict = None
    if task.answers is not None:
        try:
            verdict = {**trusted_scores(_ASSIGNMENT, task.answers, task.points, task.seeds, _SLOT, values),
                       **of_objects}
        except Exception as error:  # our own failure: fall back to the notebook's verdict, and say so
            failures.append(f"{type(error).__name__}: {error}")
        if failures:
            verdict = {"error": failures[0]}
    spent["trusted"] = time.perf_counter() - start - spent["notebooks"]
    return task.student, outputs, verdict, spent


def _clean_output(output, number):
    """A well-formed nbformat output made only of what we expect from the runner.

    Built field by field, so it needs no schema validation (that took 0.7 ms an output).
    """
    from nbformat import from_dict

    kind = output.get("output_type")
    if kind == "stream":
        name = output.get("name") if output.get("name") in ("stdout", "stderr") else "stdout"
        return from_dict({"output_type": "stream", "name": name, "text": str(output.get("text", ""))})
    if kind in ("display_data", "execute_result"):
        data = {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in dict(output.get("data", {})).items()}
        if kind == "execute_result":
            return from_dict({"output_type": "execute_result", "data": data, "metadata": {},
                              "execution_count": number})
        return from_dict({"output_type": "display_data", "data": data, "metadata": {}})
    return from_dict({"output_type": "error", "ename": str(output.get("ename", "Error")),
                      "evalue": str(output.get("evalue", "")),
                      "traceback": [str(line) for line in output.get("traceback", [])][:50]})


# ----------------------------------------------------------------- scoring
def cell_score(cell, max_points):
    """Points of one executed test cell, and why points were lost.

    An error scores 0; the cell's final value, a number in [0, max_points], is the
    partial credit; a cell with no such value scores 0 (our test cells always end
    with one, so a missing value means something interfered). Output on stderr
    (warnings, noisy but honest code) costs nothing.
    """
    failures = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            failures += [line.strip().lstrip(FAIL_MARK).strip() for line in output.text.splitlines()
                         if line.strip().startswith(FAIL_MARK)]
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            return 0.0, " | ".join(failures + [f"{output.ename}: {output.evalue}"])[:1000]
    values = [o for o in cell.get("outputs", []) if o.output_type == "execute_result"]
    if not values:
        return 0.0, "the test cell produced no score"
    try:
        value = float(values[-1].data.get("text/plain", ""))
    except ValueError:
        return 0.0, "the test cell produced no score"
    if not math.isfinite(value):
        return 0.0, "the test cell produced no score"
    value = min(max(value, 0.0), max_points)
    return value, "" if value >= max_points else " | ".join(failures)[:1000]


def _score(result, max_scores, trusted):
    if "error" in trusted:
        result.note(f"the trusted checks could not run ({trusted.pop('error')}); notebook scores used")
    multi = len(max_scores) > 1
    for name, cells in max_scores.items():
        notebook = result.notebooks.get(name)
        graded = {_grade_id(c): c for c in notebook.cells} if notebook is not None else {}
        for grade_id, max_points in cells.items():
            cell_id = f"{name[:-6]}:{grade_id}" if multi else grade_id
            if notebook is None:
                result.items.append(Item(cell_id, 0.0, max_points, result.reason or "not graded"))
                continue
            score, reason = cell_score(graded[grade_id], max_points)
            if grade_id in trusted:
                verdict, report, _ = trusted[grade_id]
                if abs(verdict - score) > 1e-6:
                    result.flags.append((cell_id, score, verdict))
                failures = [line.strip().lstrip(FAIL_MARK).strip() for line in report.splitlines()
                            if line.strip().startswith(FAIL_MARK)]
                score, reason = verdict, "" if verdict >= max_points else " | ".join(failures)[:1000]
            result.items.append(Item(cell_id, round(score, 4), max_points, reason))


# ------------------------------------------------------------------ saving
def _save(assignment, results, coursedir):
    """Scores into the gradebook and graded notebooks into autograded/, for students graded now.

    A student none of whose notebooks could be read keeps whatever the gradebook
    already had; the reports say why nothing new was recorded.
    """
    import nbformat

    with _gradebook(coursedir.db_url) as gb, warnings.catch_warnings():
        # nbgrader 0.9.6's models trigger harmless SQLAlchemy autoflush warnings.
        warnings.simplefilter("ignore", category=Warning)
        for result in results:
            if not result.notebooks:
                continue
            gb.update_or_create_student(result.student)
            gb.update_or_create_submission(assignment, result.student)
            folder = Path(coursedir.format_path(coursedir.autograded_directory, result.student, assignment))
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir(parents=True)
            scores = {item.cell_id: item.score for item in result.items}
            multi = len(result.notebooks) > 1
            for name, notebook in result.notebooks.items():
                nbformat.write(notebook, folder / name)
                for cell in notebook.cells:
                    grade_id = _grade_id(cell)
                    if not cell.metadata.get("nbgrader", {}).get("grade"):
                        continue
                    grade = gb.find_grade(grade_id, name[:-6], assignment, result.student)
                    grade.auto_score = scores.get(f"{name[:-6]}:{grade_id}" if multi else grade_id, 0.0)
                    grade.needs_manual_grade = grade.manual_score is not None
            gb.db.commit()


def write_reports(assignment, results, out):
    """grades.csv (one row per student), items.csv (one row per student and graded cell), feedback."""
    with open(out / "grades.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student_id", "assignment", "score", "max_score", "reason"])
        for r in results:
            writer.writerow([r.student, assignment, f"{r.score:g}", f"{r.max_score:g}", r.reason])
    with open(out / "items.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student_id", "assignment", "cell_id", "score", "max_score", "reason"])
        for r in results:
            for item in r.items:
                writer.writerow([r.student, assignment, item.cell_id, f"{item.score:g}",
                                 f"{item.max_score:g}", item.reason])
    with open(out / "flags.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student_id", "assignment", "cell_id", "notebook_score", "trusted_score"])
        for r in results:
            for cell_id, notebook_score, trusted_score in r.flags:
                writer.writerow([r.student, assignment, cell_id, f"{notebook_score:g}", f"{trusted_score:g}"])
    for r in results:
        folder = out / "feedback" / r.student
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{assignment}.txt").write_text(feedback_text(assignment, r))


def feedback_text(assignment, result):
    """A plain-text feedback summary for one student."""
    lines = [f"{assignment}: {result.score:g} / {result.max_score:g} points"]
    if result.reason:
        lines.append(f"Note: {result.reason}")
    for item in result.items:
        line = f"  {item.cell_id:<24} {item.score:g} / {item.max_score:g}"
        if item.reason:
            line += f"  - {item.reason}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def _html_feedback(assignment, results, out, overrides, reveal_hidden_tests, jobs=None):
    """nbgrader's HTML feedback of each graded student, next to the text summary (`jobs` at once)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    graded = [r.student for r in results if r.notebooks]
    if not graded:
        return
    workers = min(jobs or os.cpu_count() or 1, len(graded))
    chunks = [graded[i::workers] for i in range(workers)]
    arguments = [(assignment, chunk, str(out), overrides, reveal_hidden_tests) for chunk in chunks]
    if workers == 1:
        list(map(_feedback_for, arguments))
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
        list(pool.map(_feedback_for, arguments))


def _feedback_for(arguments):
    """Render the HTML feedback of some students (one nbgrader API per process)."""
    assignment, students, out, overrides, reveal_hidden_tests = arguments
    preprocessors = ["nbgrader.preprocessors.GetGrades", "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor"]
    if not reveal_hidden_tests:
        preprocessors.append("nbgrader.preprocessors.ClearHiddenTests")
    api = nbgrader_api(**overrides, **{"GenerateFeedback.preprocessors": preprocessors})
    for student in students:
        api.generate_feedback(assignment, student, force=True)
        source = Path(api.coursedir.format_path(api.coursedir.feedback_directory, student, assignment))
        for html in source.glob("*.html"):
            shutil.copy2(html, Path(out) / "feedback" / student / html.name)


def format_table(assignment, results):
    """The per-student, per-component score table printed at the end of grading."""
    if not results:
        return f"{assignment}: no students."
    columns = []
    for r in results:
        for item in r.items:
            if item.cell_id not in columns:
                columns.append(item.cell_id)
    short = [c.removeprefix("test_") for c in columns]
    width = max(len("student"), *(len(r.student) for r in results))
    header = f"{'student':<{width}} " + " ".join(f"{s:>{max(len(s), 5)}}" for s in short) + "   total"
    lines = [f"== {assignment} ==", header, "-" * len(header)]
    for r in results:
        scores = {item.cell_id: item for item in r.items}
        cells = []
        for column, name in zip(columns, short, strict=True):
            item = scores.get(column)
            cells.append(f"{(f'{item.score:.4g}' if item else '-'):>{max(len(name), 5)}}")
        lines.append(f"{r.student:<{width}} " + " ".join(cells) + f"   {r.score:.4g}/{r.max_score:g}")
        if r.reason:
            lines.append(f"{'':<{width}}   ! {r.reason}")
    return "\n".join(lines)
