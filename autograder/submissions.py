"""Make student submissions from answers: the example class and the test bank use this.

A set of answers is a folder of `<grade_id>.py` files, each the whole source of
one answer cell; a `FROM_BANK` file in it names folders of the test bank
(`tests/bank/...`, one per line) whose answers it takes as well, so an example
student reuses bank answers instead of copying them. `build_submission` fills the
release notebook the way a student would: every answer cell gets the student's
code, or the reference solution where the folder has no file for it. An
`UNTOUCHED` file in the folder means the release notebook as handed out, stubs
and all.
"""

from pathlib import Path

import nbformat

from .course import RELEASE, ROOT, answer_cells, notebook_path, solution_source

UNTOUCHED = "UNTOUCHED"
BANK = ROOT / "tests" / "bank"


def read_answers(folder):
    """{grade_id: source} of the `<grade_id>.py` files of `folder` (and of its FROM_BANK folders)."""
    folder = Path(folder)
    answers = {}
    references = folder / "FROM_BANK"
    if references.exists():
        for line in references.read_text().split():
            answers.update(read_answers(BANK / line))
    answers.update({path.stem: path.read_text() for path in sorted(folder.glob("*.py"))})
    return answers


def build_submission(assignment, answers=None, untouched=False, release_root=RELEASE):
    """The release notebook of `assignment` filled with `answers` (grade_id -> code)."""
    release = nbformat.read(notebook_path(assignment, release_root), as_version=4)
    if untouched:
        return release
    answers = dict(answers or {})
    reference = answer_cells(nbformat.read(notebook_path(assignment), as_version=4))
    unknown = set(answers) - set(reference)
    if unknown:
        raise KeyError(f"{assignment} has no answer cells {sorted(unknown)}")
    for grade_id, cell in answer_cells(release).items():
        if grade_id in answers:
            cell.source = answers[grade_id].rstrip("\n")
        else:
            cell.source = solution_source(reference[grade_id].source)
    return release


def write_submission(notebook, submitted_dir, student, assignment):
    """Write `notebook` as `<submitted_dir>/<student>/<assignment>/<assignment>.ipynb`."""
    folder = Path(submitted_dir) / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{assignment}.ipynb"
    nbformat.write(notebook, path)
    return path


def write_from_folder(answers_folder, submitted_dir, student, assignment, release_root=RELEASE):
    """Build and write the submission described by one answers folder."""
    folder = Path(answers_folder)
    untouched = (folder / UNTOUCHED).exists()
    notebook = build_submission(assignment, read_answers(folder), untouched, release_root)
    return write_submission(notebook, submitted_dir, student, assignment)
