"""Grade a generated class of Task 2 submissions at growing sizes, then on a local Dask cluster.

    .venv/bin/python benchmarks/class_benchmark.py [--sizes 100,300,1000] [--workers 1,2]
        [--quick] [--html] [--keep] [--tracemalloc]

The class is generated once: student i hands in the answers of test-bank folder i mod N
(tests/bank/task2_backward: every correct variant and every bug, in name order), under the
id `s0042_<folder>`, so the planted bugs each student's run draws from their id differ from
one student to the next. Then:

1. the first 100, 300 and 1,000 students (--sizes; --quick: 20, 40, 80) are graded, each size
   in a fresh Python process, with the local pool on all cores and no HTML feedback (--html
   renders it): the wall seconds, the seconds per student, the grading process's own peak RSS
   (ru_maxrss of RUSAGE_SELF in that process) and the largest child's (RUSAGE_CHILDREN: a
   grading worker; the sandboxes are killed, not waited for, so neither their memory nor their
   CPU counts), and the CPU milliseconds per student of the grading process and of its grading
   workers (on a shared machine steadier than the wall time, which others' load moves). A flat
   cost per student and a bounded memory give ratios 1,000 / 100 of about 1;
2. the smallest size's students are graded with the local pool of 1 job, then on a fresh
   loopback Dask cluster of 1 worker (`dask scheduler` and `python -m autograder worker`, one
   thread each, as the README starts them), then the same with 2 (--workers): each Dask run
   right after the local run it is compared with, so both meet the same load. It prints each
   one's throughput in students per minute, and "identical totals: yes" when every run of the
   same course files gave every one of those students the same total (on a shared checkout
   the files may change under a long run: each run records `course.fingerprint`, and runs of
   other files are named, not compared).

--tracemalloc traces the grading process's allocations (not its workers') and prints what it
still holds after grading, per extra student, by the grader's line that led to it (a
diagnosis: it slows that process many times, use small sizes such as --sizes 5,20).
Each run has its own gradebook and folders; --keep keeps them (and the class) and prints where.
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder import course  # noqa: E402
from autograder.submissions import BANK, build_submission, read_answers, write_submission  # noqa: E402

ASSIGNMENT = "task2_backward"
QUICK_SIZES = (20, 40, 80)
GRADER_STEPS = ("screen the submissions", "score", "record in the gradebook")  # the grader's own work per student


# ------------------------------------------------------------------ the class
def make_class(folder, n):
    """n submissions in `folder`; student i gets the answers of bank folder i mod N. Returns the ids, in the
    order the grader sorts them (so "the first 100" are the same students in every run)."""
    variants = sorted([*(BANK / ASSIGNMENT / "correct").iterdir(), *(BANK / ASSIGNMENT / "bugs").iterdir()],
                      key=lambda path: path.name)
    notebooks = [build_submission(ASSIGNMENT, read_answers(v)) for v in variants]  # built once, written n times
    students = []
    for i in range(n):
        student = f"s{i:04d}_{variants[i % len(variants)].name}"
        write_submission(notebooks[i % len(variants)], folder, student, ASSIGNMENT)
        students.append(student)
    return students


# ----------------------------------------------------- one run, in its own process
def megabytes(usage):
    return usage.ru_maxrss / 1024  # Linux gives ru_maxrss in KiB


def cpu(usage):
    return usage.ru_utime + usage.ru_stime


def run_child(spec_file):
    """Grade as `spec_file` says, in this (fresh) process; write what was measured next to it."""
    from autograder.grading import grade

    spec = json.loads(Path(spec_file).read_text())
    folder = Path(spec["folder"])
    version = course.fingerprint(ASSIGNMENT)  # the course's files as this run graded them (others may edit them)
    if spec["tracemalloc"]:
        trace_grader_only()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    before, cpu_before = megabytes(usage), cpu(usage)
    timings = {}
    started = time.perf_counter()
    results = grade(ASSIGNMENT, spec["submitted"], folder / "out", workspace=folder / "workspace", progress=False,
                    html_feedback=spec["html"], jobs=spec["jobs"], timings=timings, students=spec["students"],
                    scheduler=spec["scheduler"])
    seconds = time.perf_counter() - started
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    measured = {
        "seconds": seconds, "timings": timings, "load": os.getloadavg()[0], "rss_before": before,
        "rss_self": megabytes(own), "rss_children": megabytes(children),
        "cpu_self": cpu(own) - cpu_before, "cpu_children": cpu(children),
        "version": " to ".join(dict.fromkeys([version, course.fingerprint(ASSIGNMENT)])),  # two: it changed
        "totals": {r.student: r.final_score for r in results},
        "failed": [r.student for r in results if r.grader_failed],
    }
    if spec["tracemalloc"]:
        measured["traced"] = traced()
    (folder / "measured.json").write_text(json.dumps(measured))


def trace_grader_only():
    """Trace the grading process's allocations, not its grading workers' (forked from it, they would trace
    every allocation of theirs too, many times slower)."""
    import tracemalloc

    from autograder import pool

    def untraced(*args, main=pool._worker_main):
        tracemalloc.stop()
        return main(*args)

    pool._worker_main = untraced  # (looked up when a worker starts)
    tracemalloc.start(15)  # frames: deep enough to reach the grader's line from SQLAlchemy's


def traced():
    """What the grading process still holds now that `grade` has returned (its results are alive): bytes by
    the grader's line that led to the allocation (the newest frame in autograder/) and the line that made it."""
    import gc
    import tracemalloc

    gc.collect()  # what is garbage is not held
    grader = str(ROOT / "autograder")
    held = {}
    for trace in tracemalloc.take_snapshot().traces:
        frames = list(trace.traceback)  # oldest first
        mine = next((f for f in reversed(frames) if f.filename.startswith(grader)), None)
        if mine is None:
            continue
        key = f"{Path(mine.filename).relative_to(ROOT)}:{mine.lineno} <- {Path(frames[-1].filename).name}:" \
              f"{frames[-1].lineno}"
        held[key] = held.get(key, 0) + trace.size
    current, peak = tracemalloc.get_traced_memory()
    return {"current": current, "peak": peak, "held": held}


def measure(tmp, label, submitted, students, jobs=None, scheduler=None, html=False, trace=False):
    """Grade `students` in a fresh Python process; what it measured (see run_child)."""
    folder = tmp / "runs" / label
    folder.mkdir(parents=True)
    spec = folder / "spec.json"
    spec.write_text(json.dumps({"folder": str(folder), "submitted": str(submitted), "students": students,
                                "jobs": jobs, "scheduler": scheduler, "html": html, "tracemalloc": trace}))
    with open(folder / "log.txt", "wb") as log:
        done = subprocess.run([sys.executable, __file__, "--child", str(spec)], cwd=ROOT, stdout=log,
                              stderr=subprocess.STDOUT)
    if done.returncode:
        sys.exit(f"run {label} failed (exit code {done.returncode}); its log:\n"
                 + (folder / "log.txt").read_text(errors="replace")[-3000:])
    run = json.loads((folder / "measured.json").read_text())
    run["label"] = label
    print(f"  ({label}: {len(students)} students in {run['seconds']:.0f} s)", file=sys.stderr, flush=True)
    if run["failed"]:
        print(f"    {label}: the grader failed for {len(run['failed'])} student(s), e.g. {run['failed'][:3]}")
    return run


def dask_run(tmp, label, submitted, students, workers, html):
    """Grade `students` on a fresh loopback Dask cluster of `workers` one-thread workers."""
    from tests.servers import DaskCluster

    cluster = DaskCluster(workers)
    try:
        cluster.wait_for_workers(workers)
        return measure(tmp, label, submitted, students, scheduler=cluster.address, html=html)
    finally:
        cluster.close()


# -------------------------------------------------------------------- printing
def per_student_ms(run, n):
    """Milliseconds of the grader's own steps (screen, score, record) per student, wall time."""
    return 1000 * sum(run["timings"].get(step, 0.0) for step in GRADER_STEPS) / n


def print_sizes(runs, cores):
    print(f"\nclass size (local pool, {cores} jobs; CPU: the grading process + its grading workers, not the "
          "sandboxes):")
    print(f"  {'students':>8} {'wall s':>7} {'s/student':>9} {'CPU ms/student':>17} {'steps ms/student':>16} "
          f"{'reports s':>9} {'grader peak MB':>14} {'(before grading)':>16} {'largest child MB':>16} {'load':>5}")
    for n, run in runs.items():
        own, workers = 1000 * run["cpu_self"] / n, 1000 * run["cpu_children"] / n
        print(f"  {n:>8} {run['seconds']:>7.1f} {run['seconds'] / n:>9.3f} {f'{own:.0f} + {workers:.0f}':>17} "
              f"{per_student_ms(run, n):>16.1f} {run['timings'].get('write reports and feedback', 0.0):>9.1f} "
              f"{run['rss_self']:>14.0f} {run['rss_before']:>16.0f} {run['rss_children']:>16.0f} "
              f"{run['load']:>5.1f}")
    small, large = min(runs), max(runs)
    if small == large:
        return
    a, b = runs[small], runs[large]

    def ratio(key):
        return (b[key] / large) / (a[key] / small)

    print(f"  s/student at {large} / at {small}: {ratio('seconds'):.2f} (flat: ≈ 1; wall time, which others' "
          f"load moves); CPU/student: grading process {ratio('cpu_self'):.2f}, grading workers "
          f"{ratio('cpu_children'):.2f}")
    print(f"  grader peak RSS at {large} / at {small}: {b['rss_self'] / a['rss_self']:.2f} (bounded: ≈ 1); "
          f"above its level before grading: {b['rss_self'] - b['rss_before']:.0f} MB / "
          f"{a['rss_self'] - a['rss_before']:.0f} MB")
    print(f"  largest child's peak RSS at {large} / at {small}: {b['rss_children'] / a['rss_children']:.2f}")
    if "traced" in a and "traced" in b:
        print_held(a["traced"], b["traced"], large - small)


def print_held(a, b, more):
    """What the grading process holds per extra student: the growth of each allocating line, small to large."""
    per_student = (b["current"] - a["current"]) / more
    print(f"  tracemalloc (grading process; it slows grading and adds to its RSS): peak {a['peak'] / 2**20:.1f} / "
          f"{b['peak'] / 2**20:.1f} MiB, held after grading {a['current'] / 2**20:.1f} / {b['current'] / 2**20:.1f} "
          f"MiB: {per_student:.0f} bytes per student, most of it allocated by")
    growth = {key: (b["held"].get(key, 0) - a["held"].get(key, 0)) / more for key in {*a["held"], *b["held"]}}
    for key, size in sorted(growth.items(), key=lambda item: -item[1])[:10]:
        print(f"    {size:8.0f} bytes/student  {key}")


def print_throughput(rows, n):
    print(f"\nthroughput on the first {n} students (students per minute; each Dask run next to its local one):")
    local = {count: run for kind, count, run in rows if kind == "local"}
    for kind, count, run in rows:
        plural = "s" * (count > 1)
        name = (f"local pool, {count} job{plural}" if kind == "local" else
                f"Dask, {count} worker{plural} (1 thread each)")
        versus = f"  {local[count]['seconds'] / run['seconds']:.2f}x the local pool" if kind == "dask" else ""
        print(f"  {name:<34} {60 * n / run['seconds']:7.1f}  ({run['seconds']:6.1f} s, load {run['load']:.1f})"
              f"{versus}")


def kinds(runs):
    return {run["label"].split("-")[0] for run in runs}  # "local", "dask"


def check_totals(runs, students):
    """Print whether every two runs of the same course files gave each of `students` the same total (the
    course's files may change under a long benchmark on a shared checkout: runs of other files are named,
    not compared)."""
    versions = {}
    for run in runs:
        versions.setdefault(run["version"], []).append(run)
    compared = max(versions.values(), key=lambda group: ({"local", "dask"} <= kinds(group), len(group)))
    differ = [s for s in students if len({run["totals"][s] for run in compared}) > 1]
    for student in differ[:10]:
        print(f"    {student}: " + ", ".join(f"{run['label']} {run['totals'][student]:g}" for run in compared))
    verdict = "no" if differ else "yes" if {"local", "dask"} <= kinds(compared) else "not checked"
    print(f"identical totals: {verdict} (the first {len(students)} students, in {len(compared)} runs of the same "
          f"course files: {', '.join(run['label'] for run in compared)})")
    others = [run["label"] for run in runs if run not in compared]
    if others:
        print(f"  the course's files changed during the benchmark: {', '.join(others)} graded other versions "
              "and are not compared")


# ------------------------------------------------------------------------ main
def load():
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def sizes_of(text):
    return sorted({int(part) for part in text.split(",") if part.strip()})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=sizes_of, default=[100, 300, 1000], help="class sizes (default 100,300,1000)")
    parser.add_argument("--workers", type=sizes_of, default=[1, 2], help="Dask workers and local jobs (default 1,2)")
    parser.add_argument("--quick", action="store_true", help=f"sizes {','.join(map(str, QUICK_SIZES))} (development)")
    parser.add_argument("--html", action="store_true", help="render the HTML feedback as well")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="trace the grading process's allocations: what it holds per student (slower, and its "
                        "memory and times are then not the grader's)")
    parser.add_argument("--keep", action="store_true", help="keep the class and every run's folders")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # one measured run (run_child)
    args = parser.parse_args()
    if args.child:
        return run_child(args.child)
    sizes = list(QUICK_SIZES) if args.quick else args.sizes
    cores = os.cpu_count() or 1
    tmp = Path(tempfile.mkdtemp(prefix="class-benchmark-"))
    try:
        course.sync_assignment(ASSIGNMENT)
        started = time.perf_counter()
        students = make_class(tmp / "submitted", max(sizes))
        print(f"{len(students)} Task 2 submissions ({len(set(s.split('_', 1)[1] for s in students))} bank variants) "
              f"generated in {time.perf_counter() - started:.0f} s; {cores} cores; HTML feedback "
              f"{'on' if args.html else 'off'}; load average {load()}")
        submitted = tmp / "submitted"
        by_size = {n: measure(tmp, f"local-{n}", submitted, students[:n], jobs=cores, html=args.html,
                              trace=args.tracemalloc) for n in sizes}
        print_sizes(by_size, cores)

        n, rows = sizes[0], []
        for count in args.workers:  # each Dask run right after the local one it is compared with (same load)
            rows.append(("local", count, measure(tmp, f"local-{n}-jobs{count}", submitted, students[:n], jobs=count,
                                                 html=args.html)))
            rows.append(("dask", count, dask_run(tmp, f"dask-{n}-workers{count}", submitted, students[:n], count,
                                                 args.html)))
        print_throughput(rows, n)
        check_totals([*by_size.values(), *(run for _, _, run in rows)], students[:n])
        print(f"load average at the end: {load()} (others' work on this machine slows the wall times)")
    finally:
        if args.keep:
            print(f"kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
