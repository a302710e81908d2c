"""Create the course environment in `.venv/` and re-run the command inside it.

Standard library only: this runs under whatever `python3` the user has.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
REQUIREMENTS = ROOT / "requirements.txt"
STAMP = VENV / ".requirements.sha256"


def venv_python():
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _requirements_hash():
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()


def in_course_venv():
    return Path(sys.prefix).resolve() == VENV.resolve()


def ensure_venv():
    """Create `.venv/` if missing and install `requirements.txt` when it changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this runs under the user's python3, whatever it is
        sys.exit(f"Python 3.11 or newer is needed (this is {sys.version.split()[0]}).")
    python = venv_python()
    if not python.exists():
        print(f"Creating the course environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    wanted = _requirements_hash()
    if not STAMP.exists() or STAMP.read_text().strip() != wanted:
        print("Installing requirements.txt into .venv (once; a few minutes) ...", flush=True)
        pip = [str(python), "-m", "pip", "--disable-pip-version-check"]
        subprocess.run([*pip, "install", "--quiet", "--upgrade", "pip"], check=True)
        subprocess.run([*pip, "install", "--quiet", "-r", str(REQUIREMENTS)], check=True)
        STAMP.write_text(wanted + "\n")
    ensure_sandbox_tool()
    return python


def _may_apt_get():
    return os.name == "posix" and os.geteuid() == 0 and shutil.which("apt-get") is not None


def _apt_get_install(packages, what, options=()):
    """`apt-get install` Debian's `packages` (refreshing the package lists once if that fails); True when done."""
    print(f"Installing {what} with apt-get ...", flush=True)
    quiet = {"stdout": subprocess.DEVNULL, "env": {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}}
    command = ["apt-get", "install", "-y", "-qq", *options, *packages]
    if subprocess.run(command, **quiet).returncode == 0:
        return True
    subprocess.run(["apt-get", "update", "-qq"], **quiet)
    return subprocess.run(command, **quiet).returncode == 0


def ensure_sandbox_tool():
    """Install bubblewrap (the grader's sandbox) from Debian's packages when we may."""
    if shutil.which("bwrap") or not _may_apt_get():
        return
    _apt_get_install(["bubblewrap"], "bubblewrap (the grading sandbox)")


# The browser of the browser tests (tests/test_browser.py): Debian's chromium and its driver.
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def ensure_browser():
    """Install Debian's chromium and chromium-driver when missing and we may (root with apt-get).

    Returns None when both are there, else why not (the browser tests skip with that reason).
    """
    if CHROMIUM.exists() and CHROMEDRIVER.exists():
        return None
    if not _may_apt_get():
        return (f"no browser: {CHROMIUM} and {CHROMEDRIVER} are missing and only root on Debian or Ubuntu "
                "can install them here (apt-get install chromium chromium-driver)")
    # Without recommends (printing, notifications, ...) but with a font, so screenshots show text.
    _apt_get_install(["chromium", "chromium-driver", "fonts-liberation"],
                     "chromium and chromium-driver (the browser tests)", options=["--no-install-recommends"])
    if CHROMIUM.exists() and CHROMEDRIVER.exists():
        return None
    return "no browser: apt-get install chromium chromium-driver failed (no network or no such packages?)"


def postgres_bin():
    """The folder of Debian's PostgreSQL server programs (initdb, pg_ctl), newest version; None if absent."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)
                   if p.parent.parent.name.isdigit() else 0)
    return found[-1].parent if found else None


def ensure_postgres():
    """Install Debian's PostgreSQL server when missing and we may (the gradebook tests run a real one).

    Returns None when it is there, else why not (those tests skip with that reason).
    """
    if postgres_bin() is not None:
        return None
    if not _may_apt_get():
        return ("no PostgreSQL server: /usr/lib/postgresql/*/bin/initdb is missing and only root on Debian or "
                "Ubuntu can install it here (apt-get install postgresql)")
    _apt_get_install(["postgresql"], "PostgreSQL (the gradebook-server tests)", options=["--no-install-recommends"])
    if postgres_bin() is not None:
        return None
    return "no PostgreSQL server: apt-get install postgresql failed (no network or no such package?)"


def reexec_in_venv(argv):
    """Replace this process by the same command under `.venv/bin/python`."""
    python = ensure_venv()
    env = dict(os.environ)
    # nbgrader's Gradebook runs the `alembic` command: the venv's bin/ must be on PATH.
    env["PATH"] = str(python.parent) + os.pathsep + env.get("PATH", "")
    env["VIRTUAL_ENV"] = str(VENV)
    os.execve(str(python), [str(python), "-m", "autograder", *argv], env)
