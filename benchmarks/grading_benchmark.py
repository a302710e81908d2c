"""Grade the same generated Task 2 class with stock `nbgrader autograde` and with the course's grader.

    .venv/bin/python benchmarks/grading_benchmark.py [--students 100] [--skip-stock]

The class: the reference solution, every bug of the test bank in turn, and the
untouched release, cycled until there are --students submissions (all honest code).
Both graders get the same files; the script checks that every student gets the
same total from both, then prints each one's throughput, the ratio, where the
course grader's time goes, and the floor: the time the students' own code takes
when run back to back in one plain Python process, divided by the cores.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder import course  # noqa: E402
from autograder.grading import grade  # noqa: E402
from autograder.submissions import BANK, build_submission, read_answers, write_submission  # noqa: E402

ASSIGNMENT = "task2_backward"


def make_class(folder, n):
    """n submissions: reference, each bank bug, untouched, repeated."""
    kinds = [("reference", {})] + [(v.name, read_answers(v)) for v in sorted((BANK / ASSIGNMENT / "bugs").iterdir())]
    kinds.append(("untouched", None))
    students = []
    for i in range(n):
        label, answers = kinds[i % len(kinds)]
        student = f"s{i:03d}_{label}"
        notebook = build_submission(ASSIGNMENT, answers or {}, untouched=answers is None)
        if answers is not None:  # the id the planted-bug hunt is drawn for, written in as a student would
            for cell in notebook.cells:
                if cell.cell_type == "code" and cell.source.startswith('STUDENT_ID = ""'):
                    cell.source = cell.source.replace('STUDENT_ID = ""', f"STUDENT_ID = {student!r}", 1)
        write_submission(notebook, folder, student, ASSIGNMENT)
        students.append(student)
    return students


def stock(submitted, work):
    """Time `nbgrader autograde` over the class; return (seconds, {student: total})."""
    from nbgrader.api import Gradebook

    db = f"sqlite:///{work / 'gradebook.db'}"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": str(ROOT)}  # the hidden tests import the grader-only spec from the repository
    common = [f"--CourseDirectory.db_url={db}", f"--CourseDirectory.submitted_directory={submitted}",
              f"--CourseDirectory.autograded_directory={work / 'autograded'}",
              f"--CourseDirectory.release_directory={work / 'release'}"]
    nbgrader = [str(Path(sys.executable).parent / "nbgrader")]
    subprocess.run([*nbgrader, "generate_assignment", ASSIGNMENT, "--force", *common], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    start = time.perf_counter()
    # nbgrader's own executor: the course's config sends `nbgrader autograde` to its own grader instead
    stock_executor = "--Autograde.exporter_class=nbconvert.exporters.NotebookExporter"
    subprocess.run([*nbgrader, "autograde", ASSIGNMENT, "--force", stock_executor, *common], cwd=ROOT, env=env,
                   capture_output=True)
    seconds = time.perf_counter() - start
    with Gradebook(db) as gb:  # each cell to the cent, as the course's grader records it
        totals = {s.student_id: sum(round(float(g.score), 2) for nb in s.notebooks for g in nb.grades)
                  for s in gb.assignment_submissions(ASSIGNMENT)}
    return seconds, totals


def floor(submitted, students):
    """Seconds to run every student's code cells back to back in one plain Python process."""
    import nbformat

    code = ["import os, sys, matplotlib\nmatplotlib.use('Agg')\n"]
    for student in students:
        folder = submitted / student / ASSIGNMENT
        notebook = nbformat.read(folder / f"{ASSIGNMENT}.ipynb", as_version=4)
        cells = [c.source for c in notebook.cells if c.cell_type == "code" and not c.source.startswith("%")]
        code.append(f"os.chdir({str(SCRATCH)!r})\nns = {{}}\n")
        for source in cells:
            code.append(f"try:\n    exec(compile({source!r}, 'cell', 'exec'), ns)\nexcept BaseException:\n    pass\n")
    script = SCRATCH / "floor.py"
    script.write_text("".join(code))
    start = time.perf_counter()
    subprocess.run([sys.executable, str(script)], cwd=SCRATCH, capture_output=True)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--skip-stock", action="store_true", help="time the course grader only")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="grading-benchmark-") as tmp:
        tmp = Path(tmp)
        global SCRATCH
        SCRATCH = tmp / "scratch"
        SCRATCH.mkdir()
        course.sync_assignment(ASSIGNMENT)
        for path in (course.SOURCE / ASSIGNMENT).glob("*.py"):
            shutil.copy(path, SCRATCH / path.name)
        submitted = tmp / "submitted"
        students = make_class(submitted, args.students)
        print(f"{len(students)} Task 2 submissions, {cores} cores")

        timings = {}
        start = time.perf_counter()
        results = grade(ASSIGNMENT, submitted, tmp / "out", workspace=tmp / "ours", progress=False,
                        html_feedback=False, timings=timings)
        ours = time.perf_counter() - start
        ours_totals = {r.student: r.score for r in results}
        print(f"course grader: {ours:7.1f} s  ({len(students) / ours:5.2f} students/s)")
        for phase, seconds in timings.items():
            print(f"    {phase:<34} {seconds:7.1f} s")

        own = floor(submitted, students)
        print(f"floor (students' code back to back, / {cores} cores): {own / cores:7.1f} s; "
              f"the grader takes {ours / (own / cores):.1f}x that")

        if not args.skip_stock:
            seconds, stock_totals = stock(submitted, tmp / "stock")
            print(f"stock nbgrader autograde: {seconds:7.1f} s  ({len(students) / seconds:5.2f} students/s)")
            differ = {s: (stock_totals.get(s), ours_totals[s]) for s in students
                      if abs((stock_totals.get(s) or 0.0) - ours_totals[s]) > 0.005 + 1e-9}
            # (each cell to the cent: the course's grader records cents, nbgrader 4 decimals)
            print(f"same total from both graders (to the cent): {len(students) - len(differ)} of {len(students)}")
            for student, (a, b) in sorted(differ.items()):
                print(f"    {student}: stock {a}, course {b}")
            ratio = seconds / ours
            print(f"throughput ratio course / stock: {ratio:.1f}x (target >= 10x): "
                  f"{'OK' if ratio >= 10 else 'BELOW TARGET'}")


if __name__ == "__main__":
    main()
