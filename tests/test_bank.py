"""The autograder judged against a bank of student answers, graded in one batch per assignment.

tests/bank/<assignment>/correct/<variant>/<grade_id>.py: another valid formulation of an
answer cell; every correct variant must earn full marks. Correct variants that override
different cells are packed into one submission (fewer notebooks to run; a failure still
names the variant).
tests/bank/<assignment>/bugs/<variant>/<grade_id>.py: a common mistake; it must lose points
in the test cells of each answer it overrides (or of the cells listed in an optional
EXPECT file) and lose nothing in any other test cell, except whole-network cells
(`test_model_*`), which exercise every class together. No bank answer tampers, so
none may be flagged: the trusted verdict must agree with the notebook's own.
Also graded in the same batch: the reference solution, the source notebook itself and the
untouched release (0 points).
"""

import shutil
from pathlib import Path

import nbformat
import pytest

from autograder import course
from autograder.grading import grade
from autograder.submissions import build_submission, read_answers, write_submission

BANK = Path(__file__).resolve().parent / "bank"
ASSIGNMENTS = [a for a in course.assignments() if (BANK / a).is_dir()]
WHOLE_NETWORK = "test_model_"


def variants(assignment, kind):
    folder = BANK / assignment / kind
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def pack_correct(assignment):
    """Group correct variants into submissions in which no two override the same cell."""
    packs = []  # [(set of grade_ids, [variant dirs])]
    for variant in variants(assignment, "correct"):
        ids = set(read_answers(variant))
        for used, members in packs:
            if not used & ids:
                used |= ids
                members.append(variant)
                break
        else:
            packs.append((set(ids), [variant]))
    return [members for _, members in packs]


def cells_testing(answer_id, cells):
    return [c for c in cells if c == f"test_{answer_id}" or c.startswith(f"test_{answer_id}_")
            and not c.startswith(WHOLE_NETWORK)]


PARTS = 2  # each bank is graded in this many batches, so that test workers share the work


def bank_students(assignment):
    """{student name: (kind, [variant folders], answers or None for untouched)}, in a fixed order."""
    students = {
        "reference": ("correct", [], {}),
        "source_notebook": ("correct", [], {}),
        "untouched": ("untouched", [], None),
    }
    for i, members in enumerate(pack_correct(assignment)):
        answers = {}
        for variant in members:
            answers.update(read_answers(variant))
        students[f"correct_{i:02d}"] = ("correct", members, answers)
    for variant in variants(assignment, "bugs"):
        students[f"bug_{variant.name}"] = ("bug", [variant], read_answers(variant))
    return students


def part_of(assignment):
    """{student name: the batch it is graded in}."""
    return {name: i % PARTS for i, name in enumerate(bank_students(assignment))}


def manually_graded(assignment):
    """The grade_ids of the source notebook's written answers (markdown answer cells with points)."""
    notebook = nbformat.read(course.notebook_path(assignment), as_version=4)
    return {gid for gid, cell in course.answer_cells(notebook).items()
            if cell.cell_type == "markdown" and cell.metadata["nbgrader"].get("grade")}


@pytest.fixture(scope="session")
def graded_bank(tmp_path_factory):
    """A function that grades one batch of a bank once per test session, then remembers."""
    cache = {}

    def graded(assignment, part):
        if (assignment, part) not in cache:
            tmp = tmp_path_factory.mktemp(f"{assignment}-{part}")
            cache[assignment, part] = _grade_bank(assignment, part, tmp)
        return cache[assignment, part]

    return graded


def _grade_bank(assignment, part, tmp):
    """Grade one batch of the bank; {student: ({cell: (score, max, reason)}, tampering flags, notes)}."""
    submitted = tmp / "submitted"
    parts = part_of(assignment)
    for name, (_, _, answers) in bank_students(assignment).items():
        if parts[name] != part:
            continue
        if name == "source_notebook":
            (submitted / name / assignment).mkdir(parents=True)
            shutil.copy(course.notebook_path(assignment), submitted / name / assignment)
            continue
        notebook = build_submission(assignment, answers, untouched=answers is None)
        write_submission(notebook, submitted, name, assignment)
    results = grade(assignment, submitted, tmp / "out", workspace=tmp / "workspace", progress=False,
                    html_feedback=False)
    return {r.student: ({i.cell_id: (i.score, i.max_score, i.reason) for i in r.items}, r.flags, r.reason)
            for r in results}


def _cases():
    cases = []
    for assignment in ASSIGNMENTS:
        parts = part_of(assignment)
        for name, (kind, members, _) in bank_students(assignment).items():
            label = "+".join(v.name for v in members) or name
            mark = pytest.mark.xdist_group(f"bank-{assignment}-{parts[name]}")
            cases.append(pytest.param(assignment, name, id=f"{assignment}-{kind}-{label}", marks=mark))
    return cases


@pytest.mark.parametrize(("assignment", "student"), _cases())
def test_bank_variant(graded_bank, assignment, student):
    cells, flags, reason = graded_bank(assignment, part_of(assignment)[student])[student]
    assert cells, f"{student} got no graded cells"
    # Every bank answer is honest: its code shows no sign of tampering, and every check ran.
    assert not flags, f"{student}: honest code flagged as tampering (cell, evidence): {flags}"
    assert "the grader failed" not in reason and "could not run" not in str(cells), (reason, cells)
    manual = manually_graded(assignment)  # written answers: the instructor grades them, not the bank
    lost = {c: s for c, s in cells.items() if s[0] < s[1] and c not in manual}
    if student == "untouched":
        earned = {c: s for c, s in cells.items() if s[0] > 0}
        assert not earned, f"the untouched release earned points: {earned}"
        return
    kind, members, _ = bank_students(assignment)[student]
    if kind == "correct":
        assert not lost, f"correct answers {[m.name for m in members]} lost points: {lost}"
        return
    variant = members[0]
    expect_file = variant / "EXPECT"
    if expect_file.exists():
        must_lose = expect_file.read_text().split()
    else:
        must_lose = [c for gid in read_answers(variant) for c in cells_testing(gid, cells)]
    assert must_lose, f"{variant.name}: no test cell is expected to lose points (add an EXPECT file)"
    lost_expected = [c for c in must_lose if c in lost]
    assert lost_expected, f"bug {variant.name} lost no points in {must_lose}: {cells}"
    elsewhere = {c: s for c, s in lost.items() if c not in must_lose and not c.startswith(WHOLE_NETWORK)}
    assert not elsewhere, f"bug {variant.name} also lost points elsewhere: {elsewhere}"


def test_bank_is_broad():
    """Every answer cell has several correct variants and several bugs."""
    for assignment in ASSIGNMENTS:
        notebook = nbformat.read(course.notebook_path(assignment), as_version=4)
        for gid, cell in course.answer_cells(notebook).items():
            if cell.cell_type != "code":  # a written answer, graded by hand
                continue
            n_correct = sum(gid in read_answers(v) for v in variants(assignment, "correct"))
            n_bugs = sum(gid in read_answers(v) for v in variants(assignment, "bugs"))
            assert n_correct >= 1 and n_bugs >= 1, f"{assignment}/{gid}: {n_correct} correct, {n_bugs} bugs"
