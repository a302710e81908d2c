"""A working copy of the course root for tests that run nbgrader's and the course's commands on it.

The copy holds the course's files (no gradebook, no collected or graded work, no tests) and
links the repository's `.venv/`, so `python -m autograder` and `nbgrader` run there as in the
real course without touching its gradebook, `submitted/` or `feedback/`.
"""

import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
# Top-level entries that are state or tooling, not the course (see .gitignore).
NOT_COPIED = {".git", ".venv", "gradebook.db", "submitted", "autograded", "feedback", "reports", "downloaded",
              "tests", "benchmarks", ".pytest_cache", ".ruff_cache"}
CACHES = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.pyc")


def copy_course(dest):
    """Copy the course root to `dest` (symlinks kept, so source/'s links stay inside the copy)."""
    dest = Path(dest)

    def ignore(folder, names):
        skipped = set(CACHES(folder, names))
        return skipped | (NOT_COPIED & set(names) if Path(folder) == ROOT else set())

    shutil.copytree(ROOT, dest, symlinks=True, ignore=ignore)
    (dest / ".venv").symlink_to(ROOT / ".venv")
    return dest


def course_env(home, **extra):
    """The environment of a user whose home is `home`, with the course's .venv/bin first on PATH.

    Nothing of the caller's Jupyter set-up leaks in (config and data folders follow HOME).
    """
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("JUPYTER", "NBGRADER", "PYTEST_", "VIRTUAL_ENV"))}
    env.update({"HOME": str(home), "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
                "VIRTUAL_ENV": str(ROOT / ".venv"), "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg", **extra})
    return env


def run_all_assignments():
    """The assignments whose release notebook ends with the `self_checks` cell (Run All reaches it)."""
    import nbformat

    found = []
    for folder in sorted((ROOT / "release").iterdir()):
        path = folder / f"{folder.name}.ipynb"
        if not path.is_file():
            continue
        code = [cell for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]
        if code and code[-1].metadata.get("nbgrader", {}).get("grade_id") == "self_checks":
            found.append(folder.name)
    return found


def hidden_test_lines(assignment):
    """The lines of the assignment's hidden tests that appear nowhere in its release (none may leak)."""
    import nbformat

    def lines(path, hidden):
        found, inside = set(), False
        for cell in nbformat.read(path, as_version=4).cells:
            for line in cell.source.splitlines():
                if "BEGIN HIDDEN TESTS" in line or "END HIDDEN TESTS" in line:
                    inside = "BEGIN" in line
                elif inside == hidden and line.strip():
                    found.add(line.strip())
        return found

    notebook = f"{assignment}/{assignment}.ipynb"
    return lines(ROOT / "source" / notebook, True) - lines(ROOT / "release" / notebook, False)
