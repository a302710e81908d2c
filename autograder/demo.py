"""The main job: regenerate every release, grade the example class, print the scores.

The example students of each assignment are folders of answers in
`autograder/examples/<assignment>/<student>/` (see `submissions.py`): at least a
correct one, one with typical bugs in two classes, and the untouched release.
Their notebooks are built into `reports/demo/submitted/` and graded with a
separate gradebook in `reports/demo/`, so the course's own gradebook is untouched.
"""

import shutil
import sys

from . import sandbox
from .course import EXAMPLES, ROOT, assignments, release_all
from .grading import grade
from .reports import format_table
from .submissions import write_from_folder

DEMO = ROOT / "reports" / "demo"


def run_demo():
    names = assignments()
    for path in release_all(names):
        print(f"generated {path.relative_to(ROOT)}")
    if DEMO.exists():
        shutil.rmtree(DEMO)
    submitted = DEMO / "submitted"
    tables = []
    unsafe = False
    try:
        sandbox.check_available()
    except sandbox.SandboxUnavailable as error:
        # The demo grades the course's own example answers, so it may go on without a
        # sandbox; `grade` on real submissions refuses unless told --unsafe-no-sandbox.
        print(f"WARNING: {error}\nThe demo grades only the course's own examples, so it goes on "
              "WITHOUT a sandbox.", file=sys.stderr)
        unsafe = True
    for assignment in names:
        examples = EXAMPLES / assignment
        if not examples.is_dir():
            continue
        for student in sorted(p for p in examples.iterdir() if p.is_dir()):
            write_from_folder(student, submitted, student.name, assignment)
        results = grade(assignment, submitted, DEMO / assignment, workspace=DEMO / "workspace",
                        unsafe_no_sandbox=unsafe)
        tables.append(format_table(assignment, results))
        print(f"wrote {(DEMO / assignment).relative_to(ROOT)}/grades.csv, items.csv, feedback/")
    print()
    print("\n\n".join(tables))
    return 0
