"""Red team: hostile students graded next to honest ones, one parametrized case per attack.

Every attack is a student of a batch (tests/redteam/attacks.py). A batch is graded once, as
a class would be: `grade(...)` with `jobs=1`, so that its students run one after the other
in one warm sandbox and an honest reference student placed after an attacker runs in what
the attacker left behind. Each case then checks, for its attacker:

- all recorded: the batch finished, grades.csv has one row per folder of the submissions,
  and the grader did not fail on this student (the exit status would say "regrade");
- no gain: no graded cell scores more than the honest baseline (the same wrong code
  without the trick, or the untouched release), and cells it does not attack keep the
  reference's score;
- no harm: the next honest reference student keeps full marks and sees no files the
  students before it left (compared with the previous reference's view);
- no leak: nothing of the grader (hidden tests and their seeds, solutions, reference
  code, specs, grader paths) in the attacker's graded notebook, feedback or reasons;
- and the checks only that attack needs (memory and time the grader spent for it, live
  markup in the feedback, control characters in the reports, ...).

Run it alone: `python -m autograder test tests/test_redteam.py` (about 3 minutes).
"""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from redteam import attacks as A  # noqa: E402
from redteam.harness import env_listing, grade_batch, leaks, read_csv, student_texts  # noqa: E402

pytestmark = pytest.mark.xdist_group("redteam")
BATCHES = A.batches()
EPS = 1e-6


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """grade(name) -> Graded, each batch graded once, when a case first needs it."""
    cache = {}
    tmp = tmp_path_factory.mktemp("redteam")

    def get(name):
        if name not in cache:
            cache[name] = grade_batch(BATCHES[name], tmp)
        return cache[name]

    return get


class Context:
    """What one case looks at: its attacker's result and reports, in its (possibly split) batch."""

    def __init__(self, attack, graded):
        self.attack, self.batch = attack, BATCHES[attack.batch]
        self.assignment = self.batch.assignment
        self.graded = graded.graded_for(attack.student.name)
        self.folder = self.graded.folders.get(attack.student.name)
        self.result = self.graded.results.get(self.folder)
        self.texts = student_texts(graded, attack.student.name, self.assignment)

    def csv(self, name):
        return read_csv(self.graded.out / name)

    def monitor_stats(self, marker):
        return self.graded.monitor.marker_stats(marker) if self.graded.monitor else None

    def autograded_notebook(self):
        path = self.graded.workspace / "autograded" / self.folder / self.assignment / f"{self.assignment}.ipynb"
        try:
            return json.loads(path.read_text(encoding="utf-8", errors="replace"))
        except (OSError, ValueError):
            return None


def _scores(result):
    return {item.cell_id: item.score for item in result.items} if result is not None else {}


def _max_scores(result):
    return {item.cell_id: item.max_score for item in result.items} if result is not None else {}


def _students(ctx):
    """(student, folder) of the graded batch, in grading order."""
    return [(s, ctx.graded.folders[s.name]) for s in ctx.batch.students if s.name in ctx.graded.folders]


# ----------------------------------------------------------------- shared assertions
def all_recorded(ctx):
    if ctx.graded.error:
        return [f"the batch crashed, nobody got a grade: {ctx.graded.error.strip().splitlines()[-1]}"]
    problems = []
    rows = ctx.csv("grades.csv")
    if rows is None:
        return ["no grades.csv was written"]
    ids = [row[0] for row in rows[1:] if row]
    folders = sorted(p.name for p in ctx.graded.submitted.iterdir())
    missing = [f for f in folders if not any(A.same_id(i, f) for i in ids)]
    if missing:
        problems.append(f"no row in grades.csv for {missing!r}")
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        problems.append(f"several rows in grades.csv for {twice!r}")
    if ctx.result is None:
        problems.append("the attacker has no result at all")
    elif getattr(ctx.result, "grader_failed", False):
        problems.append(f"the grader failed on this student (the exit status says regrade): {ctx.result.reason[:300]}")
    return problems


def no_gain(ctx):
    if ctx.result is None:
        return []
    attack = ctx.attack
    reference = _max_scores(ctx.result)
    baseline_name = attack.baseline
    if baseline_name is None:
        allowed = reference
    else:
        baseline = ctx.graded.results.get(ctx.graded.folders.get(baseline_name)) or \
            ctx.graded.graded_for(baseline_name).result(baseline_name)
        if baseline is None:
            return [f"the honest baseline {baseline_name!r} was not graded"]
        allowed = _scores(baseline)
    problems = []
    for cell, score in _scores(ctx.result).items():
        limit = allowed.get(cell, reference.get(cell, 0.0))
        if attack.targets != "all" and cell not in attack.targets:
            limit = reference.get(cell, 0.0)
        if score > limit + EPS:
            problems.append(f"{cell}: {score:g} points, more than the honest {baseline_name or 'reference'}'s "
                            f"{limit:g}")
    return problems


def contained(ctx):
    """Cells the attack does not touch keep the reference's full score (a trick costs its class only)."""
    if ctx.result is None or not ctx.attack.contained or ctx.attack.targets == "all":
        return []
    spared = set(ctx.attack.targets) | set(ctx.attack.spill)
    lost = {i.cell_id: f"{i.score:g}/{i.max_score:g} ({i.reason[:120]})" for i in ctx.result.items
            if i.cell_id not in spared and not i.pending and i.score < i.max_score - EPS}
    return [f"it cost points outside its own class: {lost}"] if lost else []


def _reference_listing_before(ctx, position):
    students = _students(ctx)
    for student, _ in reversed(students[:position]):
        if student.role == "reference":
            listing = env_listing(ctx.graded, student.name)
            if listing is not None:
                return student.name, listing
    return None, None


def no_harm(ctx, graded):
    students = _students(ctx)
    names = [s.name for s, _ in students]
    if ctx.attack.student.name not in names:
        return []
    position = names.index(ctx.attack.student.name)
    victims = [s for s, _ in students[position + 1:] if s.role == "reference"]
    if not victims:
        return ["no honest reference student was graded after this attacker"]
    victim = victims[0]
    result = ctx.graded.result(victim.name)
    if result is None:
        return [f"the honest student {victim.name} graded after it has no result"]
    problems = []
    if result.score < result.max_score - result.pending_points - EPS:
        lost = {i.cell_id: f"{i.score:g}/{i.max_score:g} ({i.reason[:100]})" for i in result.items
                if not i.pending and i.score < i.max_score - EPS}
        problems.append(f"the honest student graded after it lost points: {result.score:g}/{result.max_score:g} {lost}")
    if getattr(result, "grader_failed", False):
        problems.append(f"the grader failed on the honest student graded after it: {result.reason[:200]}")
    # What the previous reference saw, and what the first run of a fresh sandbox sees (the
    # zygote's start-up files in /tmp, after a sandbox was replaced): nothing else may appear.
    before_name, before = _reference_listing_before(ctx, position)
    fresh = env_listing(ctx.graded, next((s.name for s, _ in students if s.role == "reference"), None) or "")
    if before is None or fresh is None:  # a batch of its own: compare with a fresh sandbox of batch t1
        t1 = graded("t1")
        fresh = env_listing(t1, "a_reference")
        before_name, before = before_name or "t1's first reference", before or fresh
    after = env_listing(ctx.graded, victim.name)
    if before is not None and after is not None:
        fresh = fresh or {}
        extra = {folder: sorted(set(after.get(folder, [])) - set(before.get(folder, []))
                                - set(fresh.get(folder, []) if isinstance(fresh.get(folder), list) else []))
                 for folder in after if isinstance(after.get(folder), list) and isinstance(before.get(folder), list)}
        extra = {k: v for k, v in extra.items() if v}
        if isinstance(before.get("process"), dict) and after.get("process") != before.get("process"):
            problems.append(f"the honest student graded after it runs with changed process limits: "
                            f"{before.get('process')} -> {after.get('process')}")
        changed = {k: (before.get(k), after.get(k)) for k in after if k != "process"
                   if not isinstance(after.get(k), list) or not isinstance(before.get(k), list)
                   if before.get(k) != after.get(k)}
        if extra:
            problems.append(f"the honest student graded after it found files left in its sandbox: {extra}")
        if changed:
            problems.append(f"the honest student graded after it found folders changed: {changed}")
    elif after is None and result.notebooks:
        problems.append("the honest student graded after it could not even list its sandbox")
    return problems


def no_leak(ctx):
    reference = next((s.name for s, _ in _students(ctx) if s.role == "reference"), None)
    allowed = list(student_texts(ctx.graded, reference, ctx.assignment).values()) if reference else []
    return [f"{what} in {where}: ...{excerpt}..." for what, where, excerpt in leaks(ctx.texts, allowed)]


# ----------------------------------------------------------------------- the cases
# Known limits, documented in docs/SECURITY.md ("Known limits"): strict, so that a fix shows up here.
# Task 2's mystery networks are built in the student's process from the released checks and the
# student's id, so whatever spoils them can be read there: the hunt's automatic points (4) are the most
# it is worth. Drawing for another id gains nothing (c9-draw_for_a_classmate, c9-draw_of_choice_recorded_as_own).
_PLANTED_IN_THE_STUDENTS_PROCESS = ("Task 2's planted bugs are built in the student's process from released code "
                                    "and the student's id: they can be read there instead of hunted (at most the "
                                    "hunt's 4 automatic points; docs/SECURITY.md, Known limits)")
KNOWN_LIMITS = {"c9-planted_key_by_introspection": _PLANTED_IN_THE_STUDENTS_PROCESS,
                "c9-planted_key_from_the_draw": _PLANTED_IN_THE_STUDENTS_PROCESS}


def _cases():
    return [pytest.param(a, id=a.id, marks=pytest.mark.xfail(strict=True, raises=AssertionError,
                                                             reason=KNOWN_LIMITS[a.id]))
            if a.id in KNOWN_LIMITS else pytest.param(a, id=a.id) for a in A.ATTACKS]


@pytest.mark.parametrize("attack", _cases())
def test_attack(attack, graded):
    ctx = Context(attack, graded(attack.batch))
    problems = []
    for name, check in [("recorded", all_recorded), ("gain", no_gain), ("contained", contained),
                        ("harm", lambda c: no_harm(c, graded)), ("leak", no_leak)] + \
            [(getattr(c, "__name__", "check"), c) for c in attack.checks]:
        try:
            problems += [f"[{name}] {p}" for p in check(ctx)]
        except Exception as error:  # noqa: BLE001 - a check that cannot even look is a finding too
            problems.append(f"[{name}] could not be checked ({type(error).__name__}: {error})")
    unexpected = [p for p in problems if not p.startswith("[gain]")]
    if attack.id in KNOWN_LIMITS and unexpected:  # a known limit is a gain; anything else is a new finding
        raise RuntimeError(f"known limit {attack.id} fails for another reason too:\n  " + "\n  ".join(unexpected))
    assert not problems, f"class {attack.cls} attack {attack.name!r} ({attack.summary}) succeeds:\n  " + \
        "\n  ".join(problems)


def test_first_reference_of_each_batch_keeps_full_marks(graded):
    """The honest student graded first in each batch (a fresh sandbox): full marks, or the
    harness itself is broken and no attack's verdict means anything."""
    problems = []
    for name, batch in BATCHES.items():
        if batch.students[0].role != "reference":
            continue  # a batch of one attack: its reference comes after the attacker
        g = graded(name)
        if g.error:
            continue  # the batch crashed: its attack's case says so
        first = batch.students[0]
        result = g.result(first.name)
        if result is None:
            problems.append(f"{name}/{first.name}: no result ({(g.error or '').strip()[-300:]})")
        elif result.score < result.max_score - result.pending_points - EPS:
            lost = [(i.cell_id, i.reason[:80]) for i in result.items if not i.pending and i.score < i.max_score]
            problems.append(f"{name}/{first.name}: {result.score:g}/{result.max_score:g} {lost}")
    assert not problems, "\n".join(problems)
