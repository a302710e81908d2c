"""TEMPORARY: the old report and output code, until sanitize.py and reports.py land."""

import csv
import json
import os
import shutil
from pathlib import Path

from .course import nbgrader_api


def clean_text(text):
    return text


def clean_notebook(notebook, source):
    return []


def clean_output(output, number):
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
        writer.writerow(["student_id", "assignment", "cell_id", "evidence"])
        for r in results:
            for cell_id, evidence in r.flags:
                writer.writerow([r.student, assignment, cell_id, evidence])
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




def html_feedback(assignment, results, out, overrides, reveal_hidden_tests, jobs=None):
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
