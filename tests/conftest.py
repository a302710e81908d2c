"""Shared fixtures: the repository root and checks/ are importable, as in an assignment folder."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "checks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


@pytest.fixture(autouse=True)
def _agg_backend(monkeypatch):
    """Plots never open a window in tests."""
    monkeypatch.setenv("MPLBACKEND", "Agg")
