"""reports.py: hostile student ids and reasons reach no spreadsheet formula, terminal escape or glob."""

import csv
import html
import re
import shutil
import stat
import warnings

import nbformat
import pytest

from autograder import reports
from autograder.course import SOURCE
from autograder.reports import feedback_text, format_table, html_feedback, spreadsheet_text, write_reports
from autograder.results import Item, Result

ASSIGNMENT = "task2_backward"
pytestmark = pytest.mark.xdist_group("reports")  # one graded class for the whole module
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
FORMULA = "=+-@\uff1d\uff0b\uff0d\uff20"
HOSTILE_IDS = [
    "=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)", " =1+1", "\t=tab", "\r=cr", "\uff1dfull",
    "\x1b[31mred\x1b[0m", "\x1b]0;title\x07x", "new\nline", "a [x]", "ünï code", "\u202eevil", "plain",
]
HIDDEN_IDS = ["normal", "a [x]", "=1+1", "-dash", "ünï code", "*", "?", ".hidden", "trail ", "x][", "{0}%s",
              "new\nline"]


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def hostile_results():
    results = []
    for number, student in enumerate(HOSTILE_IDS):
        result = Result(student, reason=f"=HYPERLINK(\"http://evil/?{number}\") \x1b[2J\x1b[H cleared\nforged line")
        result.items = [Item("test_linear", -1.5 if number == 0 else 2.0, 4.0, "-2+3 \x1b[31mwrong\x1b[0m\r\x07"),
                        Item("=test_evil", 0.0, 1.0, "@cmd"), Item("test_ok", 1.0, 1.0, "")]
        result.flags = [("test_linear", f"=notebook 4, trusted 2 \x1b]8;;http://evil\x1b\\ {number}")]
        results.append(result)
    return results


# ------------------------------------------------------------------- CSVs
def test_spreadsheet_text():
    for value, expected in [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1.5", "'-1.5"), ("@SUM(A1)", "'@SUM(A1)"),
                            ("\t=x", "' =x"), ("\r=x", "'=x"), ("  =x", "'  =x"), ("\uff1dx", "'\uff1dx"),
                            ("ok", "ok"), ("a=b", "a=b"), ("", ""), (None, ""), ("\x1b[31m=x", "'=x"),
                            ("line\nbreak", "line break")]:
        assert spreadsheet_text(value) == expected, value


def test_csvs_have_escaped_text_and_plain_numbers(tmp_path):
    results = hostile_results()
    write_reports(ASSIGNMENT, results, tmp_path)
    grades, items, flags = (read_csv(tmp_path / name) for name in ("grades.csv", "items.csv", "flags.csv"))
    assert grades[0] == reports.GRADES_COLUMNS == ["student_id", "assignment", "score", "max_score", "raw_score",
                                                   "late_penalty", "submitted_at", "needs_manual_grading", "reason"]
    assert items[0] == reports.ITEMS_COLUMNS == ["student_id", "assignment", "cell_id", "score", "max_score",
                                                 "graded_by", "reason", "comment"]
    assert flags[0] == ["student_id", "assignment", "cell_id", "evidence"]
    assert len(grades) == len(results) + 1 and len(items) == 3 * len(results) + 1 and len(flags) == len(results) + 1
    text_columns = {"grades.csv": (0, 1, 6, 7, 8), "items.csv": (0, 1, 2, 5, 6, 7), "flags.csv": (0, 1, 2, 3)}
    for name, rows in (("grades.csv", grades), ("items.csv", items), ("flags.csv", flags)):
        for row in rows[1:]:
            for index, cell in enumerate(row):
                assert not CONTROL.search(cell), (name, row)
                if index in text_columns[name] and cell.lstrip()[:1] and cell.lstrip()[0] in FORMULA:
                    pytest.fail(f"{name}: formula {cell!r}")
        # One physical line per row: no newline inside a value.
        assert len((tmp_path / name).read_text(encoding="utf-8").splitlines()) == len(rows)
    students = [row[0] for row in grades[1:]]
    assert students == [reports.student_text(r.student) for r in results]
    assert len(set(students)) == len(students)  # no two folders share a row's id
    # Printable ids stay as they are (formula starts escaped); the others are shown as their repr.
    assert students[1:4] == ["'+1", "'-2", "'@SUM(A1)"] and students[7] == "'\uff1dfull"
    assert {"a [x]", "ünï code", "plain"} <= set(students)
    assert repr("new\nline") in students and students[0] == repr(HOSTILE_IDS[0])
    assert grades[1][2:6] == ["0", "6", "-0.5", "0"] and float(grades[2][2]) == 3.0  # scores stay numbers
    assert items[1][3:5] == ["-1.5", "4"] and items[1][6] == "'-2+3 wrong"
    assert items[2][2] == "'=test_evil" and items[2][6] == "'@cmd"
    assert grades[1][8].startswith("'=HYPERLINK") and grades[1][8].endswith("cleared forged line")
    assert flags[1][2:] == ["test_linear", "'=notebook 4, trusted 2  0"]


def test_text_feedback_and_table_are_clean(tmp_path):
    results = hostile_results()
    write_reports(ASSIGNMENT, results, tmp_path)
    for result in results:
        text = (tmp_path / "feedback" / result.student / f"{ASSIGNMENT}.txt").read_text(encoding="utf-8")
        assert text == feedback_text(ASSIGNMENT, result)
        lines = text.splitlines()
        assert not CONTROL.search(text.replace("\n", ""))
        assert lines[0] == f"{ASSIGNMENT}: {result.final_score:g} / {result.max_score:g} points"
        assert lines[1].startswith("Note: =HYPERLINK") and lines[1].endswith("cleared forged line")
        assert len(lines) == 2 + len(result.items)  # a reason cannot forge lines
        assert re.fullmatch(r"  test_linear +(-1\.5|2) / 4  - -2\+3 wrong", lines[2])
        assert re.fullmatch(r"  test_ok +1 / 1", lines[4])
    table = format_table(ASSIGNMENT, results)
    assert not CONTROL.search(table.replace("\n", ""))
    assert len(table.splitlines()) == 3 + 2 * len(results)
    assert repr("new\nline") in table and "\x1b" not in table


def test_scores_are_exact_to_the_cent(tmp_path):
    """One rounding, to the cent, for items and totals: no 15.3334 in a report."""
    from autograder.results import cents

    assert [cents(v) for v in (1.335, 2 / 3, 15.33339, -0.0, 0.1 + 0.2, 1e-12)] == [1.34, 0.67, 15.33, 0.0, 0.3, 0.0]
    result = Result("s", [Item("a", cents(4 * 2 / 3), 4), Item("b", cents(4 * 2 / 3), 4), Item("c", 10, 10)])
    assert result.score == 15.34 and result.final_score == 15.34
    write_reports(ASSIGNMENT, [result], tmp_path)
    assert read_csv(tmp_path / "grades.csv")[1][2:5] == ["15.34", "18", "15.34"]
    assert reports._number(15.3334) == "15.33" and reports._number(123456.785) == "123456.79"


def test_feedback_shows_the_time_the_penalty_manual_scores_and_comments(tmp_path):
    import datetime

    result = Result("late", [Item("test_linear", 3.33, 4, "score set by the instructor (the grader gave 2.67)",
                                  "instructor", "Nicely\nvectorised."),
                             Item("explain", 0.0, 2, "needs manual grading", "pending")],
                    timestamp=datetime.datetime(2025, 3, 2, 20, 0), seconds_late=32 * 3600 + 1, late_penalty=0.67)
    lines = feedback_text(ASSIGNMENT, result).splitlines()
    assert lines[:3] == [f"{ASSIGNMENT}: 2.66 / 6 points",
                         "Submitted 2025-03-02 20:00:00 UTC, 1 day 8 h 1 min after the due date: late penalty "
                         "0.67 points (3.33 before it)",
                         "Waiting for your instructor's grade: explain (not counted yet)"]
    assert re.fullmatch(r"  test_linear +3\.33 / 4  - score set by the instructor \(the grader gave 2\.67\)", lines[3])
    assert re.fullmatch(r" +Comment: Nicely vectorised\.", lines[4])
    assert re.fullmatch(r"  explain +\? / 2  - needs manual grading", lines[5])
    write_reports(ASSIGNMENT, [result], tmp_path)
    row = read_csv(tmp_path / "grades.csv")[1]
    assert row[2:8] == ["2.66", "6", "3.33", "0.67", "2025-03-02 20:00:00 UTC", "explain"]
    assert read_csv(tmp_path / "items.csv")[1][5:] == ["instructor", "score set by the instructor (the grader gave "
                                                       "2.67)", "Nicely vectorised."]
    assert reports.duration(59) == "1 min" and reports.duration(86400) == "1 day" and reports.duration(0) == "0 min"


def test_reports_of_no_students(tmp_path):
    write_reports(ASSIGNMENT, [], tmp_path)
    assert read_csv(tmp_path / "grades.csv") == [reports.GRADES_COLUMNS]
    assert format_table(ASSIGNMENT, []) == f"{ASSIGNMENT}: no students."
    assert html_feedback(ASSIGNMENT, [Result("nobody")], tmp_path, {}, False) == {}


# ------------------------------------------------------------ HTML feedback
def shown_text(page):
    """The text a reader sees (highlighted code is split into spans)."""
    return html.unescape(re.sub(r"<[^>]*>", "", page))


def hidden_test_lines():
    """Lines of the source notebook's hidden tests, long enough to be unmistakable."""
    source = nbformat.read(SOURCE / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    lines = []
    for cell in source.cells:
        hidden = re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", cell.source, re.DOTALL)
        lines += [line.strip() for block in hidden for line in block.splitlines() if len(line.strip()) > 25]
    assert lines, "the assignment has no hidden tests to look for"
    return lines


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """One student graded for real, then the same graded notebook for students with hostile ids.

    The copies are recorded in the gradebook and autograded/ the way grading.py's _save does.
    """
    from nbgrader.api import Gradebook

    from autograder.grading import grade
    from autograder.submissions import build_submission, write_submission

    tmp = tmp_path_factory.mktemp("reports")
    write_submission(build_submission(ASSIGNMENT), tmp / "submitted", "normal", ASSIGNMENT)
    grade(ASSIGNMENT, tmp / "submitted", tmp / "out", workspace=tmp / "w", progress=False, html_feedback=False)
    workspace = tmp / "w"
    overrides = {
        "CourseDirectory.db_url": f"sqlite:///{workspace / 'gradebook.db'}",
        "CourseDirectory.autograded_directory": str(workspace / "autograded"),
        "CourseDirectory.feedback_directory": str(workspace / "feedback"),
    }
    with Gradebook(overrides["CourseDirectory.db_url"]) as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore", category=Warning)
        normal = gb.find_submission(ASSIGNMENT, "normal")
        for student in HIDDEN_IDS[1:]:
            gb.update_or_create_student(student)
            gb.update_or_create_submission(ASSIGNMENT, student)
            for notebook in normal.notebooks:
                for grade_ in notebook.grades:
                    gb.find_grade(grade_.name, notebook.name, ASSIGNMENT, student).auto_score = grade_.auto_score
            shutil.copytree(workspace / "autograded" / "normal", workspace / "autograded" / student)
        gb.db.commit()
    return tmp, overrides


def test_html_feedback_for_any_student_id(graded_class):
    tmp, overrides = graded_class
    results = [Result(student, notebooks={f"{ASSIGNMENT}.ipynb": None}) for student in HIDDEN_IDS]
    results.append(Result("not_graded"))  # no notebooks: no HTML feedback wanted
    assert html_feedback(ASSIGNMENT, results, tmp / "out", overrides, reveal_hidden_tests=False, jobs=2) == {}
    hidden = hidden_test_lines()
    from nbgrader.api import Gradebook

    with Gradebook(overrides["CourseDirectory.db_url"]) as gb:  # every copy has normal's scores
        normal = gb.find_submission(ASSIGNMENT, "normal")
        graded_score = f"{round(normal.score, 2)} / {round(normal.max_score, 2)}"
    for student in HIDDEN_IDS:
        written = sorted((tmp / "out" / "feedback" / student).glob("*.html"))
        assert [p.name for p in written] == [f"{ASSIGNMENT}.html"], student
        page = written[0].read_text(encoding="utf-8")
        assert f"(Score: {graded_score})" in page, student
        assert not [line for line in hidden if line in shown_text(page)], f"{student}: hidden tests shown"
        course_copy = tmp / "w" / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html"
        assert course_copy.read_text(encoding="utf-8") == page  # where nbgrader's release_feedback looks
        assert stat.S_IMODE(course_copy.stat().st_mode) == 0o644
    assert not (tmp / "out" / "feedback" / "not_graded").exists()


def test_html_feedback_is_nbgraders_own(graded_class, tmp_path):
    """For an id nbgrader can handle, the HTML is byte for byte what its generate_feedback writes."""
    from autograder.course import nbgrader_api

    tmp, overrides = graded_class
    html_feedback(ASSIGNMENT, [Result("normal", notebooks={"x": None})], tmp / "out", overrides, False)
    preprocessors = reports.feedback_preprocessors()  # nbgrader_config.py's, formgrader's
    assert preprocessors[0] == "nbgrader.preprocessors.ClearHiddenTests"
    api = nbgrader_api(**{**overrides, "CourseDirectory.feedback_directory": str(tmp_path)},
                       **{"GenerateFeedback.preprocessors": preprocessors})
    assert api.generate_feedback(ASSIGNMENT, "normal", force=True)["success"]
    theirs = (tmp_path / "normal" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text(encoding="utf-8")
    assert (tmp / "out" / "feedback" / "normal" / f"{ASSIGNMENT}.html").read_text(encoding="utf-8") == theirs
    # ... and nbgrader's own fails on the ids this module handles.
    assert not api.generate_feedback(ASSIGNMENT, "a [x]", force=True)["success"]


def test_revealed_hidden_tests_and_failures(graded_class, tmp_path):
    tmp, overrides = graded_class
    out = tmp_path / "out"
    results = [Result("a [x]", notebooks={"x": None}), Result("missing", notebooks={"x": None})]
    failures = html_feedback(ASSIGNMENT, results, out, overrides, reveal_hidden_tests=True, jobs=1)
    assert list(failures) == ["missing"]  # reported; the other student still gets feedback
    text = shown_text((out / "feedback" / "a [x]" / f"{ASSIGNMENT}.html").read_text(encoding="utf-8"))
    assert all(line in text for line in hidden_test_lines())
    assert not (out / "feedback" / "missing").exists()


def test_html_feedback_of_a_hostile_graded_notebook(graded_class, tmp_path):
    """A graded notebook saved with student HTML in it is cleaned before it is rendered."""
    from test_sanitize import HOSTILE_MARKDOWN, dangers, hostile_notebook

    tmp, overrides = graded_class
    student = "=hostile"
    autograded = tmp / "w" / "autograded"
    shutil.copytree(autograded / "normal", autograded / student, dirs_exist_ok=True)
    path = autograded / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    hostile = hostile_notebook()
    notebook.cells += hostile.cells
    notebook.metadata.update(hostile.metadata)
    nbformat.write(notebook, path)
    from nbgrader.api import Gradebook

    with Gradebook(overrides["CourseDirectory.db_url"]) as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore", category=Warning)
        gb.update_or_create_student(student)
        gb.update_or_create_submission(ASSIGNMENT, student)
    out = tmp_path / "out"
    assert html_feedback(ASSIGNMENT, [Result(student, notebooks={"x": None}),
                                      Result("normal", notebooks={"x": None})], out, overrides, False) == {}
    page = (out / "feedback" / student / f"{ASSIGNMENT}.html").read_text(encoding="utf-8")
    baseline = (out / "feedback" / "normal" / f"{ASSIGNMENT}.html").read_text(encoding="utf-8")
    assert len(HOSTILE_MARKDOWN) > 20 and dangers(page, baseline) == []


def test_other_files_do_not_glob(tmp_path):
    folder = tmp_path / "a [x]"
    (folder / "sub").mkdir(parents=True)
    for name in ("data.csv", "x.ipynb", "cache.pyc", "sub/img.png"):
        (folder / name).write_text("x")
    found = reports._other_files(folder, ["*.ipynb", "*.pyc"])
    assert sorted(p.relative_to(folder).as_posix() for p in found) == ["data.csv", "sub/img.png"]


def test_ids_that_would_print_alike_keep_distinct_rows(tmp_path):
    """`rt\\nnewline` (refused: a control character) and `rt newline` (a real student) must not
    share a row's id in the reports."""
    results = [Result("rt\nnewline", [Item("test_linear", 0.0, 4.0, "refused")], "refused"),
               Result("rt newline", [Item("test_linear", 4.0, 4.0)]),
               Result("it's", [Item("test_linear", 0.0, 4.0)])]
    write_reports("task2_backward", results, tmp_path)
    with open(tmp_path / "grades.csv", newline="") as handle:
        ids = [row["student_id"] for row in csv.DictReader(handle)]
    assert len(set(ids)) == 3 and "rt newline" in ids, ids
    assert all("\n" not in i for i in ids)
