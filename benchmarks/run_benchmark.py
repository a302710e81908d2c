"""What one sandboxed run costs: the grader starts ~12 per Task 2 student (the notebook, then one per
trusted check), so a millisecond here is a second per 100 students.

    .venv/bin/python benchmarks/run_benchmark.py [--runs 100] [--assignment task2_backward]

Prints, for one warm sandbox (sandbox.Slot, bubblewrap as in grading), the wall time and the
grader's CPU per run of: start and close alone; start, the notebook's imports (the first request
of a trusted session), close; and one request in a run that is going. The ratios at the end are
taken within this one run (the machines are shared: compare ratios, not seconds, between runs).
"""

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "checks"))

from autograder import sandbox, trusted  # noqa: E402
from autograder.course import shipped_files, sync_assignment  # noqa: E402


def _cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _time(function, runs):
    function()  # once before timing
    wall, cpu = time.perf_counter(), _cpu()
    for _ in range(runs):
        function()
    return (time.perf_counter() - wall) / runs * 1000, (_cpu() - cpu) / runs * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--assignment", default="task2_backward")
    args = parser.parse_args()
    sync_assignment(args.assignment)
    slot = sandbox.Slot([ROOT / p for p in shipped_files(args.assignment).values()], sandbox.Limits())
    imports = trusted.notebook_imports(args.assignment)
    try:
        slot.start()

        def bare():
            slot.start_run("objects").close()

        def with_imports():
            run = slot.start_run("objects")
            run.request({"op": "define", "source": imports}, 30)
            run.close()

        rows = [("start, close", *_time(bare, args.runs)),
                ("start, the notebook's imports, close", *_time(with_imports, args.runs))]
        going = slot.start_run("objects")  # (a slot has one run at a time)
        rows.append(("one request in a run that is going",
                     *_time(lambda: going.request({"op": "define", "source": "x = 1"}, 30), args.runs * 10)))
        going.close()
    finally:
        slot.close()
    print(f"{args.assignment}, {args.runs} runs each (ms per run: wall, the grader's CPU)")
    for label, wall, cpu in rows:
        print(f"    {label:<40} {wall:7.2f} ms  {cpu:6.2f} ms")
    first = rows[1][1] - rows[0][1]
    print(f"the first request costs {first:.1f} ms more than none ({rows[1][1] / rows[0][1]:.2f}x start and close); "
          f"a request in a going run {rows[2][1]:.2f} ms")


if __name__ == "__main__":
    main()
