"""Grade a whole class: `python -m autograder grade ASSIGNMENT [--submissions DIR] [--out DIR]`.

The pipeline, one step each:
1. check the assignment and the submissions folder (`<student>/<assignment>/*.ipynb`);
2. make sure the gradebook knows the assignment (nbgrader generate_assignment into a
   temporary folder, so `release/` is never touched);
3. screen every submission: a missing folder or notebook, or a file that is not a
   valid notebook, is recorded with a reason and never reaches nbgrader;
4. copy the valid notebooks to a staging folder (the instructor's copies are never
   modified) and run nbgrader's autograde on each student, in this one process;
5. read the scores from the gradebook and the reasons from the graded cells' output;
6. write `grades.csv`, `items.csv`, per-student feedback, and print the score table.
Every student ends with a recorded result; one student's failure never stops the rest.
"""

import csv
import json
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from .course import ROOT, SOURCE, assignments, temporary_release

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
    reason: str = ""  # why the whole submission (or a notebook of it) could not be graded

    @property
    def score(self):
        return round(sum(item.score for item in self.items), 4)

    @property
    def max_score(self):
        return round(sum(item.max_score for item in self.items), 4)


class GradingError(Exception):
    """A problem with the command's input (no such assignment or folder): nothing was graded."""


def grade(assignment, submissions=None, out=None, workspace=None, progress=True, log=print, html_feedback=True):
    """Grade every student folder of `submissions`; return the list of Results.

    Args:
        assignment: the folder name in `source/`, e.g. "task2_backward".
        submissions: folder in nbgrader's `<student>/<assignment>/*.ipynb` layout
            (default: the course's `submitted/`).
        out: where grades.csv, items.csv and feedback/ go (default `reports/<assignment>/`).
        workspace: a folder for a separate gradebook.db, autograded/ and feedback/
            (the demo and the tests); default: the course's own, at the repository root.
        html_feedback: also render nbgrader's HTML feedback (about a second per student).
    """
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
        write_reports(assignment, [], {}, out)
        return []

    overrides = _workspace_overrides(workspace)
    gradebook_url = overrides.get("CourseDirectory.db_url") or _db_url()
    release_tmp, release = temporary_release(assignment, db_url=gradebook_url)
    max_scores = _max_scores(assignment, gradebook_url)

    results, staged = [], []
    with tempfile.TemporaryDirectory(prefix="staging-") as staging:
        for student in students:
            result, ok_notebooks = _screen(student, assignment, submissions, staging, release)
            results.append(result)
            if ok_notebooks:
                staged.append((result, ok_notebooks))
        _autograde(assignment, staging, staged, overrides, progress, log)
    release_tmp.cleanup()

    for result in results:
        _fill_missing_items(result, max_scores)
    write_reports(assignment, results, max_scores, out)
    if html_feedback:
        _copy_feedback(assignment, [r for r, _ in staged], out, overrides)
    return results


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


def _db_url():
    from .course import nbgrader_config

    config = nbgrader_config()
    url = config.CourseDirectory.get("db_url")
    return url if isinstance(url, str) and url else f"sqlite:///{ROOT / 'gradebook.db'}"


def _max_scores(assignment, db_url):
    """{notebook: {grade_id: max points}} of the autograded cells, from the gradebook."""
    from nbgrader.api import Gradebook

    from .course import _put_environment_on_path

    _put_environment_on_path()
    scores = {}
    with Gradebook(db_url) as gb:
        for notebook in gb.find_assignment(assignment).notebooks:
            scores[notebook.name + ".ipynb"] = {
                cell.name: float(cell.max_score) for cell in notebook.grade_cells if not cell.cell_type == "markdown"
            }
    return scores


def _screen(student, assignment, submissions, staging, release):
    """Check one student's folder; copy its valid notebooks, repaired, to staging."""
    import nbformat

    expected = sorted(p.name for p in release.glob("*.ipynb"))
    result = Result(student)
    folder = submissions / student / assignment
    if not folder.is_dir():
        found = sorted(p.name for p in (submissions / student).iterdir())
        result.reason = f"no folder {assignment}/ in the submission (found: {', '.join(found) or 'nothing'})"
        return result, []
    target = Path(staging) / student / assignment
    target.mkdir(parents=True)
    for path in folder.iterdir():  # data files the student made; notebooks are screened below
        if path.is_file() and path.suffix != ".ipynb":
            shutil.copy2(path, target / path.name)
    ok, problems = [], []
    for name in expected:
        path = folder / name
        if not path.is_file():
            others = sorted(p.name for p in folder.glob("*.ipynb"))
            problems.append(f"{name} is missing (found: {', '.join(others) or 'no notebooks'})")
            continue
        try:
            notebook = nbformat.read(path, as_version=4)
            nbformat.validate(notebook)
        except json.JSONDecodeError as error:
            problems.append(f"{name} is not valid JSON ({error}); it could not be opened")
            continue
        except Exception as error:  # nbformat raises several types for a broken file
            problems.append(f"{name} is not a valid notebook ({type(error).__name__}: {str(error)[:200]})")
            continue
        problems += repair(notebook, nbformat.read(release / name, as_version=4))
        nbformat.write(notebook, target / name)
        ok.append(name)
    result.reason = "; ".join(problems)
    return result, ok


def _grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def repair(notebook, release):
    """Undo what would break nbgrader's autograde; return notes for the student.

    - A graded or read-only cell of the release that the student deleted is put back
      after the nearest earlier cell that is still there (nbgrader 0.9.6's own
      `add_missing_cells` fails when that earlier cell is not a graded one).
    - A cell id used twice (a duplicated answer cell) stops nbgrader: the last copy
      keeps it, the earlier copies still run but are no longer graded.
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
        if grade_id is None or grade_id in present or not (meta.get("grade") or meta.get("locked")):
            continue
        index = 0
        for earlier in reversed(release.cells[:position]):
            where = [i for i, c in enumerate(notebook.cells) if _grade_id(c) == _grade_id(earlier)]
            if _grade_id(earlier) is not None and where:
                index = where[-1] + 1
                break
        notebook.cells.insert(index, cell)
        present.add(grade_id)
        if meta.get("grade"):
            restored.append(grade_id)
    if restored:
        notes.append(f"deleted graded cells were put back and graded: {', '.join(restored)}")
    return notes


def _autograde(assignment, staging, staged, overrides, progress, log):
    """Run nbgrader autograde on every staged student, then read their scores."""
    if not staged:
        return
    from tqdm.auto import tqdm

    from .course import nbgrader_api

    api = nbgrader_api(**overrides, **{"CourseDirectory.submitted_directory": str(staging)})
    for result, notebooks in tqdm(staged, desc=f"grading {assignment}", unit="student", disable=not progress):
        with warnings.catch_warnings():
            # nbgrader 0.9.6 triggers harmless SQLAlchemy autoflush warnings on every submission.
            warnings.simplefilter("ignore", category=Warning)
            outcome = api.autograde(assignment, result.student, force=True, create=True)
        if not outcome["success"]:
            detail = _last_error_line(outcome.get("log", "") + "\n" + outcome.get("error", ""))
            result.reason = "; ".join(filter(None, [result.reason, f"autograde failed: {detail}"]))
            continue
        _read_scores(api, assignment, result, notebooks)


def _last_error_line(text):
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in reversed(lines):
        if "Error" in line or "error" in line:
            return line[:300]
    return lines[-1][:300] if lines else "unknown error"


def _read_scores(api, assignment, result, notebooks):
    from nbgrader.api import Gradebook

    with Gradebook(api.coursedir.db_url) as gb:
        for name in notebooks:
            stem = name[: -len(".ipynb")]
            submission = gb.find_submission_notebook(stem, assignment, result.student)
            graded = api.coursedir.format_path(api.coursedir.autograded_directory, result.student, assignment)
            reasons = _reasons_from_outputs(Path(graded) / name)
            for grade in submission.grades:
                if grade.cell_type == "markdown" or grade.max_score == 0 and grade.score is None:
                    continue
                score = float(grade.score or 0.0)
                reason = reasons.get(grade.name, "")
                if grade.needs_manual_grade:
                    reason = reason or "needs manual grading"
                result.items.append(
                    Item(f"{stem}:{grade.name}" if len(notebooks) > 1 else grade.name, score,
                         float(grade.max_score), "" if score >= grade.max_score else reason)
                )


def _reasons_from_outputs(path):
    """{grade_id: why points were lost} read from the graded cells' output."""
    import nbformat

    reasons = {}
    if not path.exists():
        return reasons
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("grade") or cell.cell_type != "code":
            continue
        failures = []
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                failures.append(f"{output.ename}: {output.evalue}"[:300])
            elif output.output_type == "stream":
                failures += [line.strip().lstrip(FAIL_MARK).strip() for line in output.text.splitlines()
                             if line.strip().startswith(FAIL_MARK)]
                if output.name == "stderr":
                    failures.append("the cell wrote to stderr")
        reasons[meta.get("grade_id")] = " | ".join(failures)[:1000]
    return reasons


def _fill_missing_items(result, max_scores):
    """Give every autograded cell a row: 0 points, with the reason, where nothing was graded."""
    present = {item.cell_id for item in result.items}
    multi = len(max_scores) > 1
    for notebook, cells in max_scores.items():
        for cell_id, max_score in cells.items():
            name = f"{notebook[:-6]}:{cell_id}" if multi else cell_id
            if name not in present:
                result.items.append(Item(name, 0.0, max_score, result.reason or "not graded"))


def write_reports(assignment, results, max_scores, out):
    """grades.csv (one row per student) and items.csv (one row per student and graded cell)."""
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


def _copy_feedback(assignment, graded, out, overrides):
    """nbgrader's HTML feedback of each graded student, next to the text summary."""
    from .course import nbgrader_api

    if not graded:
        return
    api = nbgrader_api(**overrides)
    for result in graded:
        if not result.items or result.reason.startswith("autograde failed"):
            continue
        api.generate_feedback(assignment, result.student, force=True)
        source = Path(api.coursedir.format_path(api.coursedir.feedback_directory, result.student, assignment))
        for html in source.glob("*.html"):
            shutil.copy2(html, out / "feedback" / result.student / html.name)


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
        for column, name in zip(columns, short):
            item = scores.get(column)
            cells.append(f"{(f'{item.score:g}' if item else '-'):>{max(len(name), 5)}}")
        lines.append(f"{r.student:<{width}} " + " ".join(cells) + f"   {r.score:g}/{r.max_score:g}")
        if r.reason:
            lines.append(f"{'':<{width}}   ! {r.reason}")
    return "\n".join(lines)
