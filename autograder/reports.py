"""The reports of a graded class: CSVs, text and HTML feedback, the printed score table.

Everything a student controls (their id, which is a folder name, and every reason, which
can quote their code's output) is cleaned before it is written: no terminal escape
sequences or control characters (sanitize.clean_text), one line per value, and in the
CSVs no text cell a spreadsheet would run as a formula (`spreadsheet_text`).

The HTML feedback is rendered here, not by nbgrader's `generate_feedback`: that globs
paths built from the student id, so an id such as `a [x]`, `*` or `?` gets no feedback
(or another student's), and it strips trailing spaces from ids. `html_feedback` runs the
same preprocessors (nbgrader_config.py's GenerateFeedback.preprocessors; ClearHiddenTests
unless hidden tests are revealed) and the same HTMLExporter set-up (nbgrader's `feedback` template) on
each graded notebook, opened by its exact path, and writes where generate_feedback would
(`feedback/<student>/<assignment>/`, files 644), then copies the HTML next to the text
feedback. The notebook is cleaned again before rendering (sanitize.clean_notebook), so the
feedback is safe even for a graded notebook that was saved without it.
"""

import csv
import fnmatch
import os
import shutil
from pathlib import Path

from .sanitize import one_line

FORMULA_STARTS = "=+-@\t\r\uff1d\uff0b\uff0d\uff20"  # and their full-width forms, which some spreadsheets read too


def spreadsheet_text(value):
    """A text cell for a CSV: one clean line, with a leading `'` if a spreadsheet would run it.

    OWASP's advice against CSV injection: a cell that starts (after any spaces) with
    = + - @ tab or carriage return is prefixed with an apostrophe. Only for text columns:
    the scores we write ourselves stay numbers.
    """
    text = one_line("" if value is None else str(value))
    stripped = text.lstrip()
    return "'" + text if stripped and stripped[0] in FORMULA_STARTS else text


def student_text(student):
    """A student id as the reports show it: itself when it is printable, else its Python repr.

    The repr of an id that holds a newline, an escape or a quote starts with a quote, which
    no printable id has (screening refuses quotes), so two folders never share a row's id.
    """
    from .screening import unsafe_id

    plain = unsafe_id(student) is None and one_line(student) == student
    return spreadsheet_text(student if plain else repr(student))


def _number(value):
    """A score as the CSVs write it: to the cent, without trailing zeros (15.33, 6, 0.5)."""
    from .results import cents

    return f"{cents(value):.2f}".rstrip("0").rstrip(".")


GRADES_COLUMNS = ["student_id", "assignment", "score", "max_score", "raw_score", "late_penalty", "submitted_at",
                  "needs_manual_grading", "reason"]
ITEMS_COLUMNS = ["student_id", "assignment", "cell_id", "score", "max_score", "graded_by", "reason", "comment"]


def submitted_at(result):
    """When the student submitted (UTC, from timestamp.txt), as the reports write it; "" when unknown."""
    return result.timestamp.strftime("%Y-%m-%d %H:%M:%S UTC") if result.timestamp else ""


def write_reports(assignment, results, out):
    """grades.csv (one row per student), items.csv (one per student and graded cell), flags.csv, feedback.

    grades.csv's `score` is the grade (`raw_score`, the points of all cells, less `late_penalty`);
    `needs_manual_grading` names the written answers still waiting for the instructor (counted as
    0 until graded). items.csv says who gave each score (`graded_by`: grader, instructor or
    pending) and holds the instructor's `comment` from formgrader.
    """
    out = Path(out)
    text = spreadsheet_text
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(GRADES_COLUMNS)
        for r in results:
            writer.writerow([student_text(r.student), text(assignment), _number(r.final_score), _number(r.max_score),
                             _number(r.score), _number(r.late_penalty), submitted_at(r), text(" ".join(r.pending)),
                             text(r.reason)])
    with open(out / "items.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(ITEMS_COLUMNS)
        for r in results:
            for item in r.items:
                writer.writerow([student_text(r.student), text(assignment), text(item.cell_id), _number(item.score),
                                 _number(item.max_score), item.graded_by, text(item.reason), text(item.comment)])
    with open(out / "flags.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student_id", "assignment", "cell_id", "evidence"])
        for r in results:
            for flag in r.flags:
                cell_id, *evidence = flag
                writer.writerow([student_text(r.student), text(assignment), text(cell_id),
                                 text("; ".join(str(e) for e in evidence))])
    for r in results:
        folder = out / "feedback" / r.student
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{assignment}.txt").write_text(feedback_text(assignment, r), encoding="utf-8")


def duration(seconds):
    """`93780` -> "1 day 2 h 3 min": how late a submission was, as a person says it."""
    minutes = int(-(-float(seconds) // 60))  # a started minute counts
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} day" + ("s" if days > 1 else "")] if days else []
    parts += [f"{hours} h"] if hours else []
    parts += [f"{minutes} min"] if minutes or not parts else []
    return " ".join(parts)


def feedback_text(assignment, result):
    """A plain-text feedback summary for one student: the grade, when it was submitted and any late
    penalty, any note, then each cell's score, reason and the instructor's comment."""
    lines = [f"{one_line(assignment)}: {result.final_score:g} / {result.max_score:g} points"]
    if result.timestamp:
        when = f"Submitted {submitted_at(result)}"
        if result.seconds_late > 0:
            when += f", {duration(result.seconds_late)} after the due date"
            if result.late_penalty:
                when += f": late penalty {result.late_penalty:g} points ({result.score:g} before it)"
        lines.append(when)
    if result.reason:
        lines.append(f"Note: {one_line(result.reason)}")
    if result.pending:
        lines.append(f"Waiting for your instructor's grade: {one_line(', '.join(result.pending))} "
                     "(not counted yet)")
    for item in result.items:
        score = "?" if item.pending else f"{item.score:g}"
        line = f"  {one_line(item.cell_id):<24} {score} / {item.max_score:g}"
        if item.reason:
            line += f"  - {one_line(item.reason)}"
        lines.append(line)
        if item.comment:
            lines.append(f"  {'':<24} Comment: {one_line(item.comment)}")
    return "\n".join(lines) + "\n"


def format_table(assignment, results):
    """The per-student, per-component score table printed at the end of grading."""
    assignment = one_line(assignment)
    if not results:
        return f"{assignment}: no students."
    columns = []
    for r in results:
        for item in r.items:
            if item.cell_id not in columns:
                columns.append(item.cell_id)
    short = [one_line(c).removeprefix("test_") for c in columns]
    students = [student_text(r.student) for r in results]
    width = max(len("student"), *(len(s) for s in students))
    header = f"{'student':<{width}} " + " ".join(f"{s:>{max(len(s), 5)}}" for s in short) + "   total"
    lines = [f"== {assignment} ==", header, "-" * len(header)]
    for r, student in zip(results, students, strict=True):
        scores = {item.cell_id: item for item in r.items}
        cells = []
        for column, name in zip(columns, short, strict=True):
            item = scores.get(column)
            shown = "?" if item and item.pending else f"{item.score:g}" if item else "-"
            cells.append(f"{shown:>{max(len(name), 5)}}")
        lines.append(f"{student:<{width}} " + " ".join(cells) + f"   {r.final_score:g}/{r.max_score:g}")
        if r.reason:
            lines.append(f"{'':<{width}}   ! {one_line(r.reason)}")
    return "\n".join(lines)


# ------------------------------------------------------------ HTML feedback
def html_feedback(assignment, results, out, overrides, reveal_hidden_tests, jobs=None):
    """The HTML feedback of each graded student, next to the text summary (`jobs` processes at once).

    Returns {student: what went wrong} for the students whose feedback could not be
    rendered (the others are not affected); empty when all went well.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    graded = [r.student for r in results if r.notebooks]
    if not graded:
        return {}
    workers = min(jobs or os.cpu_count() or 1, len(graded))
    chunks = [graded[i::workers] for i in range(workers)]
    arguments = [(assignment, chunk, str(out), overrides, reveal_hidden_tests) for chunk in chunks]
    if workers == 1:
        parts = list(map(_feedback_for, arguments))
    else:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
            parts = list(pool.map(_feedback_for, arguments))
    return {student: error for part in parts for student, error in part.items()}


def _feedback_for(arguments):
    """Render the HTML feedback of some students (one exporter per process); {student: error}."""
    assignment, students, out, overrides, reveal_hidden_tests = arguments
    renderer = _FeedbackRenderer(assignment, overrides, reveal_hidden_tests)
    failures = {}
    for student in students:
        try:
            for html in renderer.render(student):
                target = Path(out) / "feedback" / student
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(html, target / html.name)
        except Exception as error:  # one student's broken notebook never stops the others
            failures[student] = f"{type(error).__name__}: {error}"[:500]
    return failures


CLEAR_HIDDEN_TESTS = "nbgrader.preprocessors.ClearHiddenTests"


def feedback_preprocessors(reveal_hidden_tests=False):
    """nbgrader_config.py's GenerateFeedback.preprocessors (what formgrader's buttons run): hidden tests
    cleared first, whatever the list says, unless they are revealed (after the deadline)."""
    from .course import nbgrader_config

    listed = [str(p) for p in nbgrader_config().GenerateFeedback.get("preprocessors", [])
              if str(p) != CLEAR_HIDDEN_TESTS]
    return listed if reveal_hidden_tests else [CLEAR_HIDDEN_TESTS, *listed]


class _FeedbackRenderer:
    """What nbgrader's GenerateFeedback does for one student, without globbing any path."""

    def __init__(self, assignment, overrides, reveal_hidden_tests):
        import nbformat
        from nbconvert.writers import FilesWriter
        from nbgrader.converters import GenerateFeedback
        from traitlets.config import Config

        from .course import SOURCE, nbgrader_api

        api = nbgrader_api(**overrides, **{"GenerateFeedback.preprocessors": feedback_preprocessors(
            reveal_hidden_tests)})
        config = Config()
        config.HTMLExporter.template_name = "feedback"  # as NbGraderAPI.generate_feedback
        self.app = GenerateFeedback(coursedir=api.coursedir, parent=api)
        self.app.update_config(config)
        self.coursedir = api.coursedir
        self.exporter = self.app.exporter_class(parent=self.app, config=self.app.config)
        for preprocessor in self.app.preprocessors:
            self.exporter.register_preprocessor(preprocessor)
        self.writer = FilesWriter(parent=self.app, config=self.app.config)
        self.assignment = assignment
        self.permissions = int(str(self.app.permissions), 8)
        self.sources = {path.name: nbformat.read(path, as_version=4)
                        for path in sorted((SOURCE / assignment).glob("*.ipynb"))}

    def render(self, student):
        """Write `student`'s feedback; return the HTML files written."""
        import datetime

        import nbformat

        from .sanitize import clean_notebook

        coursedir, assignment = self.coursedir, self.assignment
        source = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment))
        dest = Path(coursedir.format_path(coursedir.feedback_directory, student, assignment))
        notebooks = sorted(p for p in source.iterdir()
                           if p.suffix == ".ipynb" and p.is_file() and not p.name.startswith("."))
        if not notebooks:
            raise FileNotFoundError(f"no graded notebook in {source}")
        if dest.exists():  # generate_feedback --force
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        try:
            for path in _other_files(source, list(coursedir.ignore) + ["*.ipynb"]):
                target = dest / path.relative_to(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, target)
            written = []
            for path in notebooks:
                notebook = nbformat.read(path, as_version=4)
                clean_notebook(notebook, self.sources.get(path.name))
                modified = datetime.datetime.fromtimestamp(path.stat().st_mtime, tz=datetime.UTC)
                resources = {
                    "unique_key": path.stem,
                    "output_files_dir": f"{path.stem}_files",
                    "nbgrader": {"student": student, "assignment": assignment, "notebook": path.stem,
                                 "db_url": coursedir.db_url},
                    "metadata": {"name": path.stem, "path": str(source),
                                 "modified_date": modified.strftime("%B %-d, %Y")},
                }
                output, resources = self.exporter.from_notebook_node(notebook, resources=resources)
                self.writer.build_directory = str(dest)
                written.append(Path(self.writer.write(output, resources, notebook_name=path.stem)))
            for folder, _, files in os.walk(dest):
                for name in files:
                    os.chmod(os.path.join(folder, name), self.permissions)
            return written
        except BaseException:
            shutil.rmtree(dest, ignore_errors=True)  # as nbgrader: no half-written feedback
            raise


def _other_files(folder, ignore):
    """Files under `folder` whose names match none of the `ignore` patterns (no globbing of the path)."""
    found = []
    for directory, subdirectories, files in os.walk(folder):
        subdirectories[:] = [d for d in subdirectories if not any(fnmatch.fnmatch(d, p) for p in ignore)]
        found += [Path(directory) / f for f in sorted(files) if not any(fnmatch.fnmatch(f, p) for p in ignore)]
    return found
