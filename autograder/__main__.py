"""`python -m autograder COMMAND`: the course's one entry point.

    demo                      the main job: build every release, grade the example class, print scores
    release [ASSIGNMENT ...]  regenerate release/<assignment>/ from source/ (all by default)
    grade ASSIGNMENT [--submissions DIR] [--out DIR] [--scheduler ADDRESS] [--db URL]
                              grade a class: grades.csv, items.csv, feedback/ in DIR
    export [ASSIGNMENT ...] --format canvas|moodle --out FILE
                              the gradebook's grades in the CSV form Canvas or Moodle imports
    worker ADDRESS [--nworkers N]
                              join a Dask cluster (`dask scheduler`) as a grading worker
    package [ASSIGNMENT ...] [--out DIR]
                              a zip per assignment for students: its release/, requirements, README
    test [PYTEST ARGS ...]    run the test suite

Run with any Python >= 3.10: the first call creates `.venv/` from requirements.txt
and re-runs itself there.
"""

import argparse
import os
import sys

from . import bootstrap


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not bootstrap.in_course_venv():
        bootstrap.reexec_in_venv(argv)  # does not return
    bootstrap.ensure_venv()  # reinstalls when requirements.txt changed
    os.environ["PATH"] = str(bootstrap.venv_python().parent) + os.pathsep + os.environ.get("PATH", "")

    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="build releases, grade the example class, print the score table")
    release = commands.add_parser("release", help="regenerate release/ from source/")
    release.add_argument("assignments", nargs="*", help="default: every assignment in source/")
    grade = commands.add_parser("grade", help="autograde a class of submissions")
    grade.add_argument("assignment")
    grade.add_argument("--submissions", help="folder <student>/<assignment>/*.ipynb (default: submitted/)")
    grade.add_argument("--out", help="folder for grades.csv, items.csv, feedback/ (default: reports/<assignment>/)")
    grade.add_argument("--student", action="append", help="grade only this student folder (repeatable)")
    grade.add_argument("--jobs", type=int, help="notebooks run at once (default: number of cores)")
    grade.add_argument("--scheduler", metavar="ADDRESS",
                       help="grade on a Dask cluster: its scheduler's address, e.g. tcp://10.0.0.1:8786")
    grade.add_argument("--db", metavar="URL", help="the gradebook (default: c.CourseDirectory.db_url), e.g. "
                       "postgresql+psycopg://grader@dbhost/course")
    grade.add_argument("--no-progress", action="store_true", help="no progress bar")
    grade.add_argument("--no-html-feedback", action="store_true", help="text feedback only (faster)")
    grade.add_argument("--reveal-hidden-tests", action="store_true",
                       help="show hidden tests' source in the HTML feedback (after the deadline)")
    grade.add_argument("--unsafe-no-sandbox", action="store_true",
                       help="DANGEROUS: run student code unisolated, as you (only if bubblewrap cannot work)")
    export = commands.add_parser("export", help="write the gradebook's grades for Canvas or Moodle to import")
    export.add_argument("assignments", nargs="*", help="default: every assignment in the gradebook")
    export.add_argument("--format", choices=("canvas", "moodle"), required=True)
    export.add_argument("--out", required=True, help="the CSV file to write")
    export.add_argument("--db", metavar="URL", help="the gradebook (default: c.CourseDirectory.db_url)")
    export.add_argument("--column", action="append", default=[], metavar="ASSIGNMENT=HEADER",
                        help="the LMS column of an assignment, e.g. task1_forward='Task 1 (12345)' (Canvas)")
    export.add_argument("--canvas-id", choices=("login", "sis"), default="login",
                        help="the Canvas column that holds nbgrader's student id: SIS Login ID or SIS User ID")
    worker = commands.add_parser("worker", help="join a Dask cluster as a grading worker (runs `dask worker`)")
    worker.add_argument("scheduler", metavar="ADDRESS", help="the scheduler's address, e.g. tcp://10.0.0.1:8786")
    worker.add_argument("--nworkers", type=int, default=1, help="grading processes on this machine (default 1; "
                        "one per core the students' notebooks may use)")
    worker.add_argument("--name", help="this worker's name in the cluster")
    worker.add_argument("--no-nanny", action="store_true", help="no Dask nanny (a worker that dies is not restarted)")
    package = commands.add_parser("package", help="zip each release for students (notebook, helper files, "
                                  "requirements, README)")
    package.add_argument("assignments", nargs="*", help="default: every assignment in release/")
    package.add_argument("--out", help="folder for <assignment>.zip (default: reports/packages/)")
    test = commands.add_parser("test", help="run the test suite (arguments go to pytest)")
    test.add_argument("pytest_args", nargs=argparse.REMAINDER)
    # Everything after `test` goes to pytest as is (argparse would take `-q` for its own).
    args = parser.parse_args(argv[:1] if argv[:1] == ["test"] else argv)
    if args.command == "test":
        args.pytest_args = argv[1:]
        import pytest

        from .course import ROOT

        os.chdir(ROOT)
        from .bootstrap import ensure_browser, ensure_postgres

        # Once, before the tests: the servers some tests start (they skip, saying why, without them).
        for what, why_not in (("browser", ensure_browser()), ("PostgreSQL", ensure_postgres())):
            if why_not:
                print(f"{what} tests will be skipped: {why_not}", file=sys.stderr)
        return pytest.main(["-n", "2", "--dist", "loadgroup", *args.pytest_args])
    if args.command == "release":
        from .course import assignments, release_all

        names = args.assignments or assignments()
        for path in release_all(names):
            print(f"generated {path}")
        return 0
    if args.command == "grade":
        return _grade(args)
    if args.command == "worker":
        return _worker(args)
    if args.command == "package":
        from .course import ROOT
        from .package import build_packages, released_assignments

        try:
            paths = build_packages(args.assignments or released_assignments(),
                                   args.out or ROOT / "reports" / "packages")
        except (FileNotFoundError, ValueError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        for path in paths:
            print(f"wrote {path}")
        return 0
    if args.command == "export":
        from .export import main as export_main

        return export_main(args)
    if args.command == "demo":
        from .demo import run_demo

        return run_demo()
    return 2


def _grade(args):
    from .grading import GradingError, grade
    from .reports import format_table

    try:
        results = grade(args.assignment, args.submissions, args.out, progress=not args.no_progress,
                        html_feedback=not args.no_html_feedback, jobs=args.jobs,
                        unsafe_no_sandbox=args.unsafe_no_sandbox, reveal_hidden_tests=args.reveal_hidden_tests,
                        students=getattr(args, "student", None), scheduler=getattr(args, "scheduler", None),
                        overrides={"CourseDirectory.db_url": args.db} if getattr(args, "db", None) else None)
    except GradingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(format_table(args.assignment, results))
    if args.unsafe_no_sandbox:
        print("WARNING: student code ran WITHOUT a sandbox (--unsafe-no-sandbox).", file=sys.stderr)
    failed = [r.student for r in results if r.grader_failed or not (r.items or r.reason)]
    if failed:
        print(f"error: the grader failed for {len(failed)} student(s): {', '.join(failed)[:500]}; "
              "regrade them", file=sys.stderr)
    return 0 if not failed else 1


def _worker(args):
    """`dask worker`, as the course's grading needs it: one task per process, the course importable,
    worker processes allowed to start grading processes (not daemonic), bubblewrap checked first."""
    from . import sandbox
    from .course import ROOT

    try:
        sandbox.check_available()
    except sandbox.SandboxUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    command = [str(bootstrap.venv_python().parent / "dask"), "worker", args.scheduler, "--nthreads", "1",
               "--nworkers", str(args.nworkers), *(["--name", args.name] if args.name else []),
               *(["--no-nanny"] if args.no_nanny else [])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    os.chdir(ROOT)
    os.execve(command[0], command, env)


if __name__ == "__main__":
    sys.exit(main())
