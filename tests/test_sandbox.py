"""The sandbox itself: limits, and clear refusals when it cannot work."""

import pytest

from autograder import sandbox
from autograder.grading import GradingError, grade
from autograder.submissions import build_submission, write_submission

LIMITS = sandbox.Limits(cell_timeout=5, notebook_timeout=60, cpu_seconds=30, memory_mb=1024)


def test_self_test_passes_here():
    sandbox.self_test(LIMITS)


def test_a_sandbox_without_python_is_refused_clearly(monkeypatch):
    monkeypatch.setattr(sandbox, "_python_mounts", lambda: [])
    with pytest.raises(sandbox.SandboxUnavailable, match="cannot run Python"):
        sandbox.self_test(LIMITS)


def test_grading_refuses_without_bubblewrap_unless_told(monkeypatch, tmp_path):
    write_submission(build_submission("task2_backward"), tmp_path / "sub", "s", "task2_backward")
    monkeypatch.setattr(sandbox, "bwrap_path", lambda: None)
    with pytest.raises(GradingError, match="--unsafe-no-sandbox"):
        grade("task2_backward", tmp_path / "sub", tmp_path / "out", workspace=tmp_path / "w", progress=False)


@pytest.fixture
def slot():
    slot = sandbox.Slot([], sandbox.Limits(cell_timeout=5, notebook_timeout=60, file_size_mb=16, memory_mb=1024))
    yield slot
    slot.close()


def test_cells_run_in_order_with_state_and_limits(slot):
    outputs = sandbox.execute_cells(
        ["x = 6", "x * 7", "import os; os._exit(3)", "x + 1", "open('big', 'wb').write(b'0' * 2**27)",
         "import numpy as np; len(np.ones(2**28))"], slot)
    value = [o["data"]["text/plain"] for o in outputs[1] if o["output_type"] == "execute_result"]
    assert value == ["42"]
    assert outputs[2][0]["ename"] == "KernelDied" and "exit code 3" in outputs[2][0]["evalue"]
    assert [o["data"]["text/plain"] for o in outputs[3] if o["output_type"] == "execute_result"] == ["7"]
    assert any(o["output_type"] == "error" for o in outputs[4]), "a 128 MB file got past a 16 MB limit"
    assert any(o["output_type"] == "error" and o["ename"] == "MemoryError" for o in outputs[5])


def values(outputs):
    return [o["data"]["text/plain"] for o in outputs if o["output_type"] == "execute_result"]


LEAVE_TRACES = """
import os, subprocess
open('/tmp/secret', 'w').write('answers')
if os.path.isdir('/dev/shm'):
    open('/dev/shm/secret', 'w').write('answers')
open('left_behind.txt', 'w').write('answers')
os.makedirs('locked/inner', exist_ok=True)
os.chmod('locked', 0)
subprocess.Popen(['sh', '-c', 'trap "" TERM HUP INT; sleep 600'], start_new_session=True)
"""

LOOK_AROUND = """
import os
others = [p for p in os.listdir('/proc') if p.isdigit() and int(p) not in (1, os.getpid(), os.getppid())]
(sorted(os.listdir('.')), os.listdir('/tmp'), os.path.exists('/dev/shm/secret'), others)
"""


def test_nothing_of_one_run_reaches_the_next(slot, tmp_path):
    course_file = tmp_path / "utils.py"
    course_file.write_text("X = 1\n")
    slot.files = [course_file]
    sandbox.execute_cells(["1"], slot)  # the zygote's own start-up files are gone after a first run
    fresh = values(sandbox.execute_cells([LOOK_AROUND], slot)[0])  # (/tmp may hold the environment's mount point)
    same_run = sandbox.execute_cells([LEAVE_TRACES, LOOK_AROUND], slot)
    assert not [o for o in same_run[0] if o["output_type"] == "error"], same_run[0]
    files, in_tmp, in_shm, processes = eval(values(same_run[1])[0])  # noqa: S307 - our own cell's repr
    assert "left_behind.txt" in files and "secret" in in_tmp and in_shm and processes  # the traces are there
    outputs = sandbox.execute_cells([LOOK_AROUND], slot)
    assert values(outputs[0]) == fresh and fresh[0].startswith("(['utils.py'],") and fresh[0].endswith(", False, [])")


def test_a_run_cannot_reach_the_zygote(slot):
    probe = """
import os
parent, reached = os.getppid(), []
for path in (f'/proc/{parent}/fd/0', f'/proc/{parent}/fd/1', f'/proc/{parent}/mem', f'/proc/{parent}/environ'):
    try:
        open(path, 'rb').close()
        reached.append(path)
    except OSError:
        pass
reached
"""
    assert values(sandbox.execute_cells([probe], slot)[0]) == ["[]"]


def test_killing_or_stopping_the_zygote_costs_one_cell(slot):
    outputs = sandbox.execute_cells(
        ["x = 6", "import os, signal; os.kill(os.getppid(), signal.SIGKILL)", "x * 7",
         "import os, signal; os.kill(os.getppid(), signal.SIGSTOP); import time; time.sleep(60)", "x + 1"], slot)
    assert outputs[1][0]["ename"] == "KernelDied"
    assert values(outputs[2]) == ["42"]
    assert outputs[3][0]["ename"] == "CellTimeout"
    assert values(outputs[4]) == ["7"]
    assert values(sandbox.execute_cells(["6 * 7"], slot)[0]) == ["42"]


@pytest.mark.parametrize("draw", [False, True])
def test_figures_are_drawn_only_when_asked(draw):
    limits = sandbox.Limits(cell_timeout=30, notebook_timeout=60, draw_figures=draw)
    slot = sandbox.Slot([], limits)
    try:
        outputs = sandbox.execute_cells(
            ["%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()"], slot)
    finally:
        slot.close()
    shown = [o["data"] for o in outputs[0] if o["output_type"] == "display_data"]
    assert len(shown) == 1, outputs
    assert ("image/png" in shown[0]) == draw
    if not draw:
        assert "not drawn while grading" in shown[0]["text/plain"]


def test_tmp_is_capped():
    slot = sandbox.Slot([], sandbox.Limits(cell_timeout=30, notebook_timeout=60, tmp_mb=16, file_size_mb=64))
    try:
        outputs = sandbox.execute_cells(["open('/tmp/big', 'wb').write(b'0' * 2**25)"], slot)
    finally:
        slot.close()
    assert any(o["output_type"] == "error" and "No space left" in o["evalue"] for o in outputs[0]), outputs
