"""nbgrader's own entry points on this course: each one safe, and each one agreeing with the course's grader.

`nbgrader_config.py` plugs these in, so an instructor can use formgrader's buttons and nbgrader's
command line as nbgrader's documentation describes:

- `nbgrader autograde`, formgrader's Autograde: `CourseGraderExporter` runs the course's
  sandboxed, trusted grader (`grading.grade`) for those students, in a subprocess; nothing of
  nbgrader executes student code or reads a score from it. `match_renamed_notebooks` lets a
  renamed notebook (`name (1).ipynb`, `name-1.ipynb`) reach it.
- `nbgrader generate_assignment`, formgrader's Generate: `sync_before_release` links the shared
  files and generates the given code first (as `python -m autograder release` does);
  `ReleaseIsExact` refuses a release folder that would differ from what that command makes.
- `nbgrader generate_feedback`, formgrader's feedback buttons: nbgrader's ClearHiddenTests, and
  `HideUngradedCells` (a 0-point cell is no row of the feedback).
- `nbgrader export`: `CentsCsvExport` (late penalties worked out from the current scores,
  numbers to the cent).
- late penalties: `LatePenalty` (`percent_per_day` of the points per day or part of a day late).

`python -m autograder.nbgrader_plugin REQUEST` is the subprocess the exporter starts (REQUEST is
JSON: assignment, submissions, students, overrides, out); it prints one JSON line.
"""

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

from nbconvert.exporters import NotebookExporter
from nbgrader.converters.base import NbGraderException
from nbgrader.plugins import BasePlugin
from nbgrader.plugins.export import CsvExportPlugin
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Float

from .course import ROOT, SOURCE
from .results import cents

REFUSED = ("nbgrader's own autograde would run student code unsandboxed, so this course replaces it with "
           "its sandboxed grader; that grader could not run: {why}. Fix that, or grade from a terminal with "
           "`python3 -m autograder grade {assignment}` (see docs/INSTRUCTORS.md).")


# ------------------------------------------------------------------ autograde
class CourseGraderExporter(NotebookExporter):
    """`c.Autograde.exporter_class`: every notebook nbgrader's Autograde converts comes from the course's grader.

    nbgrader's Autograde converts each submitted notebook twice: a "sanitizing" pass from
    submitted/ to autograded/, then an "autograding" pass that executes the copy and reads its
    test cells' outputs as scores. Here the first pass runs `grading.grade` for the student (the
    sandbox, the trusted checks, the gradebook, the graded notebook in autograded/) and returns
    that graded notebook; the second returns it as it is. No preprocessor of nbgrader's ever runs,
    whatever `Autograde.*_preprocessors` say, so no student code runs outside the sandbox and no
    score comes from the student's process.

    When `nbgrader autograde ASSIGNMENT` converts a whole class, the first student's pass grades
    every student the converter will process in one run (one pool of warm sandboxes) and keeps
    their graded notebooks (nbgrader empties each student's autograded/ folder when it reaches
    them); the others' passes use those. For a student with a renamed notebook nbgrader zeroes the
    "missing" notebook in the gradebook when it reaches them: their grades are put back then.
    """

    def from_filename(self, filename, resources=None, **kw):
        converter = self.parent
        resources = self._init_resources(resources)
        if not getattr(converter, "_sanitizing", True):
            return Path(filename).read_text(encoding="utf-8"), resources  # already graded: as it is
        assignment, student = resources["nbgrader"]["assignment"], resources["nbgrader"]["student"]
        summary = _graded(converter, assignment, student)
        if summary.get("grades"):
            _put_back(converter.coursedir.db_url, assignment, student, summary["grades"])
        graded = summary.get("notebooks", {}).get(Path(filename).name)
        if summary.get("grader_failed") or graded is None:
            raise NbGraderException(f"the course's grader could not grade {student}: "
                                    f"{summary.get('reason') or 'no graded notebook'}")
        return graded, resources


def _graded(converter, assignment, student):
    """The course grader's summary of `student` (grading them, and the rest of this run's students, once)."""
    first = "_course_grades" not in converter.__dict__  # the first student of this run grades the batch
    cache = converter.__dict__.setdefault("_course_grades", {})
    if student not in cache:
        batch = _still_to_convert(converter, assignment) if first else []
        students = [student] + [s for s in batch if s != student]
        expected = [path.name for path in (SOURCE / assignment).glob("*.ipynb")]
        for name, summary in _run_course_grader(converter, assignment, students).items():
            folder = Path(converter._format_dest(assignment, name))
            summary["notebooks"] = {path.name: path.read_text(encoding="utf-8") for path in folder.glob("*.ipynb")}
            submitted = Path(converter._format_source(assignment, name))
            if name != student and summary["notebooks"] and not all((submitted / n).is_file() for n in expected):
                summary["grades"] = _grades_of(converter.coursedir.db_url, assignment, name)
            cache[name] = summary
    summary = cache.pop(student, {"grader_failed": True, "reason": "the grader returned nothing for this student"})
    log = converter.log
    log.info("%s graded by the course's sandboxed grader: %s / %s%s", student, summary.get("score"),
             summary.get("max_score"), f" ({summary['reason']})" if summary.get("reason") else "")
    for cell, evidence in summary.get("flags", []):
        log.warning("%s: possible tampering in %s: %s (flagged in formgrader; see docs/SECURITY.md)", student, cell,
                    evidence)
    if summary.get("pending"):
        log.warning("%s: written answers to grade by hand in formgrader: %s", student, ", ".join(summary["pending"]))
    return summary


def _grades_of(db_url, assignment, student):
    """{(notebook, cell): (auto score, needs manual grade)} of a student's recorded submission."""
    from .gradebook import open_gradebook

    with open_gradebook(db_url) as gb:
        return {(nb.name, g.name): (g.auto_score, g.needs_manual_grade)
                for nb in gb.find_submission(assignment, student).notebooks for g in nb.grades}


def _put_back(db_url, assignment, student, grades):
    from .gradebook import open_gradebook

    with open_gradebook(db_url) as gb:
        for (notebook, cell), (auto_score, needs_manual_grade) in grades.items():
            grade = gb.find_grade(cell, notebook, assignment, student)
            grade.auto_score, grade.needs_manual_grade = auto_score, needs_manual_grade
        gb.db.commit()


def _still_to_convert(converter, assignment):
    """The other students this Autograde run will convert (read-only, as nbgrader's init_destination decides)."""
    coursedir = converter.coursedir
    pattern = re.compile(converter._format_source(re.escape(assignment), "(?P<student_id>.*)", escape=True) + "$")
    excluded = set(filter(None, coursedir.student_id_exclude.split(",")))
    found = []
    for path in sorted(converter.assignments):
        match = pattern.match(path)
        student = match.group("student_id") if match else None
        if student is None or student in excluded:
            continue
        dest = converter._format_dest(assignment, student)
        new, old = coursedir.get_existing_timestamp(path), coursedir.get_existing_timestamp(dest)
        if converter.force or not os.path.exists(dest) or (new and old and new > old):
            found.append(student)
    return found


def _run_course_grader(converter, assignment, students):
    """Grade `students` with `grading.grade` in a subprocess of the course's Python; {student: summary}."""
    coursedir = converter.coursedir
    if not coursedir.directory_structure.replace("\\", "/").endswith("{student_id}/{assignment_id}"):
        raise NbGraderException(REFUSED.format(why="CourseDirectory.directory_structure is not nbgrader's default",
                                               assignment=assignment))
    root = Path(coursedir.root).resolve()
    request = {
        "assignment": assignment,
        "submissions": str(root / coursedir.submitted_directory),
        "students": students,
        "out": str((root / coursedir.autograded_directory).parent / "reports" / assignment / "last_autograde"),
        "overrides": {
            "CourseDirectory.root": str(root),
            "CourseDirectory.course_id": coursedir.course_id,
            "CourseDirectory.db_url": coursedir.db_url,
            "CourseDirectory.autograded_directory": str(root / coursedir.autograded_directory),
            "CourseDirectory.feedback_directory": str(root / coursedir.feedback_directory),
        },
    }
    from .bootstrap import venv_python

    python = venv_python() if venv_python().exists() else Path(sys.executable)
    converter.log.info("Grading %d student(s) of %s with the course's sandboxed grader", len(students), assignment)
    done = subprocess.run([str(python), "-m", "autograder.nbgrader_plugin", json.dumps(request)], cwd=ROOT,
                          capture_output=True, text=True)
    lines = done.stdout.strip().splitlines()
    try:
        reply = json.loads(lines[-1])
    except (IndexError, ValueError):
        errors = [line for line in done.stderr.splitlines() if "Error" in line or "error" in line]
        reply = {"error": " / ".join(errors[-3:]) or f"the grader stopped without a reply (exit {done.returncode})"}
    if "error" in reply:
        raise NbGraderException(REFUSED.format(why=reply["error"], assignment=assignment))
    return reply["students"]


def match_renamed_notebooks(assignment, student, notebooks):
    """`c.Autograde.pre_convert_hook`: a notebook the student's browser or LMS renamed reaches the grader.

    nbgrader skips a notebook whose name is not in the gradebook (`task2_backward-1.ipynb`) and
    then fails the student. The course's grader matches renamed copies (screening.renamed_copy)
    and notes it; here the list nbgrader is about to convert gets the expected name instead of
    the renamed copy's (in place: nbgrader reads the same list), so the grader is asked for it.
    """
    from .screening import renamed_copy

    if not notebooks:
        return
    folder = Path(notebooks[0]).parent
    names = [Path(path).name for path in notebooks]
    for expected in sorted(p.name for p in (SOURCE / folder.name).glob("*.ipynb")):
        renamed = None if expected in names else renamed_copy(expected, names)
        if renamed is not None:
            notebooks[names.index(renamed)] = str(folder / expected)
            names[names.index(renamed)] = expected


def _serve(request):
    """The subprocess: grade, and say how it went (one JSON line on stdout)."""
    from .grading import GradingError, grade

    try:
        results = grade(request["assignment"], request["submissions"], request["out"], progress=False,
                        html_feedback=False, students=request["students"], overrides=request["overrides"],
                        log=lambda message: print(message, file=sys.stderr))
    except GradingError as error:
        return {"error": str(error)}
    return {"students": {r.student: {"score": r.final_score, "max_score": r.max_score, "reason": r.reason,
                                     "grader_failed": r.grader_failed, "pending": r.pending,
                                     "flags": [(str(f[0]), "; ".join(map(str, f[1:]))) for f in r.flags]}
                         for r in results}}


# ------------------------------------------------------------ generate_assignment
def sync_before_release(assignment, student, notebooks):
    """`c.GenerateAssignment.pre_convert_hook`: link the shared files and generate the given code into
    source/<assignment>/ before nbgrader copies that folder (what `python -m autograder release` does)."""
    from .course import sync_assignment

    if (SOURCE / assignment).is_dir():
        sync_assignment(assignment)


def release_problems(assignment, folder):
    """How `folder` (a release being generated) differs from what the course ships; [] when it does not."""
    from .course import GENERATED_FILES, generate_given_code, shipped_files

    expected = {}
    for name, path in shipped_files(assignment).items():
        origin = GENERATED_FILES.get(assignment, {}).get(name)
        expected[name] = generate_given_code(*origin).encode() if origin else (ROOT / path).read_bytes()
    folder = Path(folder)
    found = {path.relative_to(folder).as_posix() for path in folder.rglob("*")
             if path.is_file() and path.suffix != ".ipynb" and "__pycache__" not in path.parts}
    problems = [f"{name} is not shipped by the course" for name in sorted(found - set(expected))]
    problems += [f"{name} is missing" for name in sorted(set(expected) - found)]
    problems += [f"{name} is stale" for name in sorted(found & set(expected))
                 if (folder / name).read_bytes() != expected[name]]
    return problems


class ReleaseIsExact(NbGraderPreprocessor):
    """Last of `c.GenerateAssignment.preprocessors`: a release holds exactly the files the course ships,
    each as `python -m autograder release` makes it (no stale given code, no grader-only file)."""

    def preprocess(self, nb, resources):
        assignment = resources["nbgrader"]["assignment"]
        if (SOURCE / assignment).is_dir():
            converter = self.parent.parent  # the exporter's parent: the GenerateAssignment converter
            problems = release_problems(assignment, converter._format_dest(assignment, "."))
            if problems:
                raise NbGraderException(f"release/{assignment} would not be what the course ships "
                                        f"({'; '.join(problems)}): run `python3 -m autograder release {assignment}`")
        return nb, resources


# ----------------------------------------------------------- generate_feedback
class HideUngradedCells(NbGraderPreprocessor):
    """In `c.GenerateFeedback.preprocessors`, before GetGrades: a 0-point graded cell (the `self_checks`
    summary nbgrader's Validate reads) is shown as a read-only cell, not as a "Test cell (0 / 0)" row."""

    def preprocess_cell(self, cell, resources, index):
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution") and not meta.get("points"):
            meta["grade"] = False
        return cell, resources


# ---------------------------------------------------------------------- export
class CentsCsvExport(CsvExportPlugin):
    """`c.ExportApp.plugin_class`: nbgrader's CSV export, after the late penalties are worked out from the
    current scores (manual points given since grading count), with every number to the cent."""

    def export(self, gradebook):
        from .export import refresh_late_penalties

        refresh_late_penalties(gradebook, self.config, self.assignment or None)
        super().export(gradebook)
        _round_csv(self.to or "grades.csv", ("raw_score", "late_submission_penalty", "score", "max_score"))


def _round_csv(path, columns):
    import csv

    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    if not rows:
        return
    where = [rows[0].index(column) for column in columns if column in rows[0]]
    for row in rows[1:]:
        for index in where:
            if row[index]:
                row[index] = f"{cents(float(row[index])):.2f}".rstrip("0").rstrip(".")
    with open(path, "w", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


# ------------------------------------------------------------------ late penalty
class LatePenalty(BasePlugin):
    """`c.AssignLatePenalties.plugin_class`: a late submission loses `percent_per_day` percent of its
    points for each day or part of a day after the due date (and `grace_minutes`), at most all of them."""

    percent_per_day = Float(10.0, help="Percent of the points taken off per day or part of a day late").tag(
        config=True)
    grace_minutes = Float(0.0, help="Minutes after the due date that are not late").tag(config=True)

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        late = float(total_seconds_late) - 60.0 * self.grace_minutes
        if late <= 0:
            return 0.0
        days = math.ceil(late / 86400.0)
        return cents(float(score) * min(100.0, self.percent_per_day * days) / 100.0)


if __name__ == "__main__":
    print(json.dumps(_serve(json.loads(sys.argv[1]))))
