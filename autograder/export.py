"""Grades for an LMS: `python -m autograder export [ASSIGNMENT ...] --format canvas|moodle --out FILE`.

One row per student of the gradebook (the roster: `nbgrader db student import`), their id
columns, one column per assignment: the grade (the points less the late penalty, to the cent;
0 for no submission, as `nbgrader export` counts it). The late penalties are worked out again
from the current scores first, so manual points given in formgrader since grading count, and
`nbgrader export`, formgrader and the feedback show the same numbers.

- **Canvas** (Grades > Import): `Student, ID, SIS User ID, SIS Login ID, Section`, a
  `Points Possible` row, then the assignments. The nbgrader student id goes into `SIS Login ID`
  (`--canvas-id sis`: into `SIS User ID`), the student's `lms_user_id` into `ID` (Canvas's own
  user id). A column named as an existing Canvas assignment with its id, `Task 1 (12345)`
  (`--column task1_forward="Task 1 (12345)"`), updates that assignment; a new name makes a new one.
- **Moodle** (Grades > Import > CSV file): `First name, Last name, ID number, Username, Email
  address`, then the assignments; at import, map `Username` to `username` (or `ID number` to
  `useridnumber`, `Email address` to `useremail`) and each column to its grade item.
"""

import csv
import sys
from pathlib import Path

from .reports import _number, spreadsheet_text
from .results import cents


class ExportError(Exception):
    """Nothing to export as asked (an unknown assignment, a bad --column)."""


def refresh_late_penalties(gb, config, assignments=None):
    """Work out every recorded submission's late penalty again from its current score (grading.py's rule)."""
    from .grading import assign_late_penalty, late_penalty_plugin

    plugin = late_penalty_plugin(config)
    for assignment in gb.assignments:
        if not assignments or assignment.name in assignments:
            for submission in list(assignment.submissions):
                assign_late_penalty(gb, assignment.name, submission.student.id, plugin)


def gradebook_grades(assignments=None, overrides=None):
    """(assignments, students, {(student id, assignment): grade}, {assignment: max score}, pending count)."""
    import warnings

    from nbgrader.api import MissingEntry

    from .course import course_directory, nbgrader_config
    from .gradebook import open_gradebook

    config = nbgrader_config(**(overrides or {}))
    with open_gradebook(course_directory(config).db_url) as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore", category=Warning)
        known = sorted(a.name for a in gb.assignments)  # the course's order (nbgrader's is by due date)
        unknown = [a for a in assignments or () if a not in known]
        if unknown:
            raise ExportError(f"no assignment {', '.join(unknown)} in the gradebook "
                              f"(known: {', '.join(known) or 'none'})")
        chosen = list(assignments or known)
        refresh_late_penalties(gb, config, chosen)
        students = [{"id": s.id, "first_name": s.first_name or "", "last_name": s.last_name or "",
                     "email": s.email or "", "lms_user_id": s.lms_user_id or ""} for s in gb.students]
        grades, maxima, pending = {}, {}, 0
        for name in chosen:
            maxima[name] = cents(gb.find_assignment(name).max_score)
            for student in students:
                try:
                    submission = gb.find_submission(name, student["id"])
                except MissingEntry:
                    grades[student["id"], name] = 0.0
                    continue
                penalty = submission.late_submission_penalty or 0.0
                grades[student["id"], name] = cents(max(0.0, cents(submission.score) - penalty))
                pending += bool(submission.needs_manual_grade)
    return chosen, students, grades, maxima, pending


def write_canvas(path, assignments, headers, students, grades, maxima, canvas_id="login"):
    text = spreadsheet_text
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *headers])
        writer.writerow(["    Points Possible", "", "", "", "", *(_number(maxima[a]) for a in assignments)])
        for s in students:
            name = ", ".join(filter(None, [s["last_name"], s["first_name"]])) or s["id"]
            sis_user, sis_login = (s["id"], "") if canvas_id == "sis" else ("", s["id"])
            writer.writerow([text(name), text(s["lms_user_id"]), text(sis_user), text(sis_login), "",
                             *(_number(grades[s["id"], a]) for a in assignments)])


def write_moodle(path, assignments, headers, students, grades, maxima, canvas_id=None):
    text = spreadsheet_text
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["First name", "Last name", "ID number", "Username", "Email address", *headers])
        for s in students:
            writer.writerow([text(s["first_name"]), text(s["last_name"]), text(s["lms_user_id"]), text(s["id"]),
                             text(s["email"]), *(_number(grades[s["id"], a]) for a in assignments)])


WRITERS = {"canvas": write_canvas, "moodle": write_moodle}


def export(assignments, fmt, out, columns=(), canvas_id="login", overrides=None, log=print):
    """Write `out` for the LMS `fmt`; return the number of rows (students) written."""
    names = dict(column.split("=", 1) for column in columns if "=" in column)
    if len(names) != len(columns):
        raise ExportError("--column takes ASSIGNMENT=HEADER")
    chosen, students, grades, maxima, pending = gradebook_grades(assignments, overrides)
    headers = [spreadsheet_text(names.get(name, name)) for name in chosen]
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    WRITERS[fmt](out, chosen, headers, students, grades, maxima, canvas_id)
    log(f"wrote {len(students)} student(s) x {len(chosen)} assignment(s) to {out} ({fmt})")
    if pending:
        log(f"warning: {pending} submission(s) still need manual grading in formgrader; their written answers "
            "count 0 in this file")
    return len(students)


def main(args):
    """The `export` command (see __main__.py)."""
    try:
        export(args.assignments, args.format, args.out, args.column, args.canvas_id,
               overrides={"CourseDirectory.db_url": args.db} if args.db else None)
    except ExportError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
