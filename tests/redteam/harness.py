"""Grade one batch of hostile and honest students from the outside, and read what came out.

A batch is graded with `jobs=1`: one worker, one warm sandbox, the students one after the
other in the order of their folder names, so that an honest reference student placed
after an attacker runs in the sandbox the attacker left behind. While it runs, a monitor
thread samples the grader's processes (their memory) and the names of the sandboxed
processes (an attack names its process `rt-...` to say what it is doing), so that the
grader-side cost of one attack can be told apart from the rest.
"""

import csv
import inspect
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
for _path in (ROOT, ROOT / "checks"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from autograder import course, sandbox  # noqa: E402
from autograder.submissions import BANK, build_submission, read_answers  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")


# ---------------------------------------------------------------- answers and notebooks
_REFERENCE = {}


def reference_answers(assignment):
    """{answer grade_id: the reference solution's source} of the source notebook."""
    if assignment not in _REFERENCE:
        notebook = nbformat.read(course.notebook_path(assignment), as_version=4)
        _REFERENCE[assignment] = {gid: course.solution_source(cell.source)
                                  for gid, cell in course.answer_cells(notebook).items()}
    return dict(_REFERENCE[assignment])


def bank_answer(assignment, bug, grade_id):
    return read_answers(BANK / assignment / "bugs" / bug)[grade_id]


def with_code(assignment, grade_id, code, base=None):
    """The reference answer of `grade_id` (or `base`) followed by `code`."""
    return (base if base is not None else reference_answers(assignment)[grade_id]) + "\n" + code


# -------------------------------------------------------------------------- students
@dataclass
class Student:
    """One folder of the submissions: its answers, and how its files are made.

    role: "reference" (honest reference solution; must keep full marks), "baseline" (honest
    but wrong code an attack is compared with), "untouched" (the release as handed out) or
    "attacker".
    """

    name: str
    role: str = "attacker"
    answers: dict = field(default_factory=dict)  # grade_id -> source (others: the reference)
    untouched: bool = False
    mutate: object = None  # function(notebook) -> notebook, before it is written
    write: object = None  # function(student folder, assignment, notebook, submitted folder), replaces the default
    folder: str = None  # the folder name, when it must be exactly this (default: ordered prefix + name)


def default_write(student_folder, assignment, notebook):
    folder = Path(student_folder) / assignment
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{assignment}.ipynb").write_text(json.dumps(notebook, indent=1, ensure_ascii=True))


def build_notebook(assignment, student):
    notebook = build_submission(assignment, None if student.untouched else student.answers, student.untouched)
    if student.mutate is not None:
        notebook = student.mutate(notebook)
    return notebook


# ---------------------------------------------------------------------------- monitor
def _children(pid):
    found = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(n) for n in handle.read().split()]
        except OSError:
            continue
    return found


def _comm_and_rss(pid):
    try:
        with open(f"/proc/{pid}/comm") as handle:
            comm = handle.read().strip()
        with open(f"/proc/{pid}/statm") as handle:
            rss = int(handle.read().split()[1]) * PAGE
        return comm, rss
    except (OSError, ValueError, IndexError):
        return None, 0


class Monitor:
    """Samples, every `interval` seconds: the RSS of each grader process (descendants of this
    process outside any bubblewrap sandbox) and the `rt-...` names of sandboxed processes."""

    def __init__(self, interval=0.05, kill_after=None):
        self.interval, self.samples, self.stop = interval, [], threading.Event()
        self.kill_after, self.killed = dict(kill_after or {}), []  # marker -> seconds; [(marker, pid, seconds)]
        self.main_rss = []  # this process's own RSS (the grading command's main process)
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=5)

    def _run(self):
        me = os.getpid()
        first_seen = {}
        while not self.stop.is_set():
            self.main_rss.append(_comm_and_rss(me)[1])
            grader, markers, owners = {}, set(), {}
            todo = [(me, False, me)]
            while todo:
                pid, inside, owner = todo.pop()
                comm, rss = _comm_and_rss(pid)
                if comm is None:
                    continue
                inside = inside or comm == "bwrap"
                if inside:
                    if comm.startswith("rt-"):
                        markers.add(comm)
                        owners[comm] = owner
                else:
                    owner = pid
                    if pid != me:
                        grader[pid] = rss
                todo += [(child, inside, owner) for child in _children(pid)]
            now = time.monotonic()
            self.samples.append((now, frozenset(markers), grader))
            for marker, limit in self.kill_after.items():
                if marker not in markers:
                    first_seen.pop(marker, None)
                    continue
                first_seen.setdefault(marker, now)
                owner = owners.get(marker)
                if now - first_seen[marker] > limit and owner not in (None, me):
                    # The grader's worker is stuck on this attack (it would wait for the pool's
                    # per-student time-out, minutes): end it, as that time-out would, only sooner.
                    try:
                        os.kill(owner, 9)
                        self.killed.append((marker, owner, round(now - first_seen[marker], 1)))
                    except OSError:
                        pass
                    first_seen.pop(marker)
            self.stop.wait(self.interval)

    def marker_stats(self, marker):
        """(seconds the marker was seen, largest grader-side RSS growth in MB while it was)."""
        seen = [i for i, (_, markers, _) in enumerate(self.samples) if marker in markers]
        if not seen:
            return None
        first, last = seen[0], seen[-1]
        growth = 0
        for pid, start_rss in self.samples[max(first - 1, 0)][2].items():
            peak = max(self.samples[i][2].get(pid, 0) for i in range(first, min(last + 2, len(self.samples))))
            growth = max(growth, peak - start_rss)
        return self.samples[last][0] - self.samples[first][0], growth / 2**20

    def main_growth_mb(self):
        """How much the grading command's own process grew while the batch ran."""
        return (max(self.main_rss) - self.main_rss[0]) / 2**20 if self.main_rss else 0.0

    def peak_grader_mb(self):
        return max((sum(g.values()) for _, _, g in self.samples), default=0) / 2**20


# ------------------------------------------------------------------------------ batches
@dataclass
class Batch:
    """Students graded together in one worker, in order (see the module docstring)."""

    name: str
    assignment: str
    students: list
    limits: sandbox.Limits
    html: bool = False
    checks_budget: float = None  # the grader's per-student budget for trusted checks, when settable
    split_on_crash: bool = False  # when grade() raises, grade each attacker alone to tell which one did it
    watchdog: dict = None  # marker -> seconds after which the grader's worker stuck on it is killed
    split_on_harm: bool = False  # when an honest student after an attacker loses points, grade each attacker alone


@dataclass
class Graded:
    """What grading a batch produced (or the exception that stopped it)."""

    batch: Batch
    tmp: Path
    folders: dict  # student name -> folder name
    results: dict = field(default_factory=dict)  # folder name -> Result
    error: str = None  # traceback of an exception grade() raised
    monitor: Monitor = None
    seconds: float = 0.0
    split: dict = None  # student name -> Graded of its own batch (split_on_crash)

    @property
    def submitted(self):
        return self.tmp / "submitted"

    @property
    def out(self):
        return self.tmp / "out"

    @property
    def workspace(self):
        return self.tmp / "workspace"

    def result(self, name):
        if self.split is not None and name in self.split:
            return self.split[name].result(name)
        return self.results.get(self.folders.get(name, name))

    def graded_for(self, name):
        """The Graded that holds student `name` (its own, after a split)."""
        if self.split is not None and name in self.split:
            return self.split[name]
        return self


def folder_names(batch):
    names = {}
    for position, student in enumerate(batch.students):
        names[student.name] = student.folder or f"s{position:02d}_{student.name}"
    return names


def write_students(batch, submitted, students=None):
    folders = folder_names(batch)
    for student in students or batch.students:
        folder = Path(submitted) / folders[student.name]
        notebook = build_notebook(batch.assignment, student)
        if student.write is not None:
            student.write(folder, batch.assignment, notebook, Path(submitted))
        else:
            default_write(folder, batch.assignment, notebook)
    return folders


def _grade(batch, tmp, students=None):
    from autograder import grading

    tmp.mkdir(parents=True, exist_ok=True)
    folders = write_students(batch, tmp / "submitted", students)
    graded = Graded(batch, tmp, folders)
    saved, options = None, {}
    defaults = getattr(grading, "GRADER_DEFAULTS", None)
    if batch.checks_budget is not None:  # as an instructor would set c.Grader.checks_timeout
        if "checks_timeout" in inspect.signature(grading.grade).parameters:
            options["checks_timeout"] = batch.checks_budget
        elif isinstance(defaults, dict) and "checks_timeout" in defaults:
            saved = defaults["checks_timeout"]
            defaults["checks_timeout"] = batch.checks_budget
    started = time.monotonic()
    try:
        with Monitor(kill_after=batch.watchdog) as monitor:
            graded.monitor = monitor
            results = grading.grade(batch.assignment, tmp / "submitted", tmp / "out", workspace=tmp / "workspace",
                                    progress=False, log=lambda *a, **k: None, html_feedback=batch.html, jobs=1,
                                    limits=batch.limits, **options)
        graded.results = {r.student: r for r in results}
    except BaseException:  # noqa: B036 - whatever stops the batch is a finding
        graded.error = traceback.format_exc()[-3000:]
    finally:
        graded.seconds = time.monotonic() - started
        if saved is not None:
            defaults["checks_timeout"] = saved
        _remove_sandbox_leftovers()
    if os.environ.get("RT_REPORT") and graded.monitor is not None:  # measurements, for whoever reads the run
        markers = sorted({m for _, ms, _ in graded.monitor.samples for m in ms})
        with open(os.environ["RT_REPORT"], "a") as handle:
            handle.write(json.dumps({"batch": tmp.name, "seconds": round(graded.seconds, 1),
                                     "error": (graded.error or "").strip().splitlines()[-1:],
                                     "killed": graded.monitor.killed,
                                     "peak_grader_mb": round(graded.monitor.peak_grader_mb()),
                                     "main_growth_mb": round(graded.monitor.main_growth_mb()),
                                     "markers": {m: graded.monitor.marker_stats(m) for m in markers}}) + "\n")
    return graded


def _harmed(batch, graded):
    """Whether an honest reference student of the batch lost points (or could not be graded)."""
    for student in batch.students:
        if student.role == "reference":
            result = graded.result(student.name)
            full = None if result is None else result.max_score - result.pending_points
            if result is None or result.score < full - 1e-6 or getattr(result, "grader_failed", False):
                return True
    return False


def grade_batch(batch, tmp):
    graded = _grade(batch, Path(tmp) / batch.name)
    if batch.split_on_harm and (graded.error or _harmed(batch, graded)):
        # Sabotage lasts: tell which attacker did it by grading each one alone, with its victim.
        graded.split = {}
        students = batch.students
        for index, student in enumerate(students):
            if student.role == "attacker":
                victims = [s for s in students[index + 1:] if s.role == "reference"][:1]
                graded.split[student.name] = _grade(batch, Path(tmp) / f"{batch.name}-{student.name}",
                                                    [student] + victims)
        return graded
    if graded.error and batch.split_on_crash:
        keep = [s for s in batch.students if s.role != "attacker"]
        graded.split = {}
        for student in batch.students:
            if student.role == "attacker":
                graded.split[student.name] = _grade(batch, Path(tmp) / f"{batch.name}-{student.name}",
                                                    keep[:1] + [student] + keep[1:])
    return graded


def _remove_sandbox_leftovers():
    """Scratch folders an attack made impossible for the grader to remove (a deep tree)."""
    for path in Path(tempfile.gettempdir()).glob("sandbox-*"):
        if (path / "rt_deep").exists():
            subprocess.run(["rm", "-rf", str(path)], check=False)


# ------------------------------------------------------------------------------ reading
def read_csv(path):
    try:
        with open(path, newline="", encoding="utf-8", errors="surrogateescape") as handle:
            return list(csv.reader(handle))
    except OSError:
        return None


def outputs_text(notebook):
    """Everything the cells of a graded notebook show (outputs only, not the code)."""
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            parts.append(str(output.get("text", "")))
            for value in dict(output.get("data", {})).values():
                parts.append(value if isinstance(value, str) else json.dumps(value))
            parts.append(str(output.get("evalue", "")))
            parts += [str(line) for line in output.get("traceback", [])]
    return "\n".join(parts)


def rt_lines(text, prefix):
    return [line[len(prefix):] for line in text.splitlines() if line.startswith(prefix)]


def student_texts(graded, name, assignment):
    """{what: text} the student can see: graded notebook outputs, text and HTML feedback."""
    g = graded.graded_for(name)
    folder = g.folders.get(name, name)
    result = g.results.get(folder)
    texts = {}
    if result is not None:
        for nb_name, notebook in result.notebooks.items():
            texts[f"outputs of {nb_name}"] = outputs_text(notebook)
        texts["reasons"] = "\n".join([result.reason] + [i.reason for i in result.items])
    for suffix in ("txt", "html"):
        path = g.out / "feedback" / folder / f"{assignment}.{suffix}"
        if path.exists():
            texts[f"feedback .{suffix}"] = path.read_text(encoding="utf-8", errors="replace")
    return texts


# What must never reach a student: the hidden tests (and the seeds they pass), the solution
# markers of the source notebook, the grader's reference code and specs, grader paths.
LEAK_PATTERNS = {
    "hidden test markers": re.compile(r"BEGIN HIDDEN TESTS|END HIDDEN TESTS"),
    "a hidden test call with its seed": re.compile(r"check_\w+\([\w()]+, points=\d+(, seed=\d+)?\)"),
    "solution markers": re.compile(r"###>>> start of solution|###<<< end of solution"),
    "grader-only reference code": re.compile(r"def reference_minibatches|Grader-only reference code"),
    "the grader's spec tables": re.compile(r"TRUSTED_VALUES|TRUSTED_HELPERS|TRUSTED_NAMESPACE|autograder/specs"),
    "grader paths": re.compile(r"gradebook\.db|/source/task\d|/submitted/|/autograded/"),
}


def leaks(texts, allowed=()):
    """[(what, where, excerpt)] for every leak pattern found in `texts` (but not in `allowed`)."""
    found = []
    allowed_text = "\n".join(allowed)
    for what, pattern in LEAK_PATTERNS.items():
        if pattern.search(allowed_text):
            continue  # an honest student sees this too: not a leak of this attack
        for where, text in texts.items():
            match = pattern.search(text)
            if match:
                excerpt = text[max(0, match.start() - 60): match.end() + 60].replace("\n", " ")
                found.append((what, where, excerpt))
    return found


def env_listing(graded, name):
    """The RTENV listing an honest reference student printed (see snippets.ENV_LISTING), or None."""
    result = graded.result(name)
    if result is None:
        return None
    for notebook in result.notebooks.values():
        lines = rt_lines(outputs_text(notebook), "RTENV")
        if lines:
            try:
                return json.loads(lines[0])
            except ValueError:
                return None
    return None
