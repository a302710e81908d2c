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


def test_cells_run_in_order_with_state_and_limits(tmp_path):
    outputs = sandbox.execute_cells(
        ["x = 6", "x * 7", "import os; os._exit(3)", "x + 1", "open('big', 'wb').write(b'0' * 2**27)",
         "import numpy as np; len(np.ones(2**28))"],
        tmp_path, sandbox.Limits(cell_timeout=5, notebook_timeout=60, file_size_mb=16, memory_mb=1024),
    )
    value = [o["data"]["text/plain"] for o in outputs[1] if o["output_type"] == "execute_result"]
    assert value == ["42"]
    assert outputs[2][0]["ename"] == "KernelDied" and "exit code 3" in outputs[2][0]["evalue"]
    assert [o["data"]["text/plain"] for o in outputs[3] if o["output_type"] == "execute_result"] == ["7"]
    assert any(o["output_type"] == "error" for o in outputs[4]), "a 128 MB file got past a 16 MB limit"
    assert any(o["output_type"] == "error" and o["ename"] == "MemoryError" for o in outputs[5])
