"""`python -m autograder package [ASSIGNMENT ...] [--out DIR]`: the zip a student downloads.

One zip per assignment, `<out>/<assignment>.zip`, holding one folder `<assignment>/` with:

- exactly what `release/<assignment>/` holds (the notebook and its helper files), as
  `nbgrader release_assignment` publishes it (the same `CourseDirectory.ignore` patterns
  left out), so a student without a hub gets what a student on one fetches;
- `requirements.txt`: the packages the student needs, pinned as the course's own
  requirements.txt pins them: Jupyter, the kernel and nbgrader (for Validate), plus every
  package the notebook and its helper files import;
- `README.md`: how to install, open, check, validate and hand in (docs/STUDENTS.md in short).

Nothing of `source/`, the bank, the grader or its specs can get in: only release/ is read.
The zip's bytes depend only on its contents (fixed dates, sorted names), so an unchanged
release gives an identical zip.
"""

import ast
import fnmatch
import importlib.metadata
import re
import sys
import zipfile
from pathlib import Path

from .course import RELEASE, ROOT, nbgrader_config

# What a student runs besides the notebook's imports: JupyterLab, the notebook's kernel,
# widgets (tqdm's progress bars in a notebook) and nbgrader (the Validate button and command).
STUDENT_TOOLS = ("jupyterlab", "ipykernel", "ipywidgets", "nbgrader")
REQUIREMENTS = ROOT / "requirements.txt"
FIXED_DATE = (2020, 1, 1, 0, 0, 0)  # every entry's date: the zip depends only on its contents

README = """\
# {title}

Your assignment for the course *Backpropagation from scratch*: `{notebook}` and the files it
needs. Keep them together in this folder, do not edit the `.py` files, and do not rename the
notebook (the grader looks for `{notebook}`).

## Install (once)

You need Python 3.11 or newer. In this folder:

```bash
python3 -m venv .venv
.venv/bin/python -m pip install -r requirements.txt
```

(On Windows: `py -3 -m venv .venv`, then `.venv\\Scripts\\python -m pip install -r requirements.txt`.)

## Open

```bash
.venv/bin/jupyter lab {notebook}
```

(On Windows: `.venv\\Scripts\\jupyter lab {notebook}`.)

## Work

Go top to bottom. Each exercise is an answer cell: replace `raise NotImplementedError()` with
your code. The **self-check** cell after it prints a line per check, a ✓ or a ✗ with what is
wrong, and runs on even when something fails. *Run All* (menu Run → Run All Cells) always
reaches the end, where the **Summary** cell lists every self-check that still fails (it raises
an error until they all pass: that is its job).

## Validate

Press **Validate** in the notebook's toolbar (or run `.venv/bin/nbgrader validate {notebook}`).
It runs the whole notebook from a fresh kernel and says *Success* only when every self-check
passes. Hidden tests grade your work after you hand it in, with partial credit per exercise, so
passing the self-checks is the goal but not a promise of full marks.

## Hand in

Save the notebook, then either upload `{notebook}` (only the notebook, under this name) to
your course's page on Canvas, Moodle or your LMS, or, on the course's JupyterHub, press
**Submit** next to `{assignment}` in the *Assignment List* (menu Nbgrader → Assignment List).
You may hand in again until the deadline: the last submission counts.
"""


def released_assignments():
    """The assignments that have a release notebook in release/, in order."""
    return sorted(p.name for p in RELEASE.iterdir() if (p / f"{p.name}.ipynb").is_file())


def build_packages(assignments, out):
    """Write `<out>/<assignment>.zip` for each assignment; return the zips' paths."""
    return [build_package(name, out) for name in assignments]


def build_package(assignment, out):
    """Write `<out>/<assignment>.zip` (see the module's docstring); return its path."""
    folder = RELEASE / assignment
    notebook = folder / f"{assignment}.ipynb"
    if not notebook.is_file():
        raise FileNotFoundError(f"no release notebook {notebook}: run `python3 -m autograder release {assignment}`")
    files = released_files(folder)
    extra = {"README.md": readme(assignment, notebook).encode("utf-8"),
             "requirements.txt": "".join(f"{line}\n" for line in requirements(files)).encode("utf-8")}
    clash = sorted(set(extra) & {str(p.relative_to(folder)) for p in files})
    if clash:
        raise ValueError(f"release/{assignment}/ already holds {clash}: the package writes its own")
    contents = {str(p.relative_to(folder)): p.read_bytes() for p in files} | extra
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{assignment}.zip"
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(contents):
            entry = zipfile.ZipInfo(f"{assignment}/{name}", date_time=FIXED_DATE)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, contents[name])
    return target


def released_files(folder):
    """The files of a release folder that nbgrader's release_assignment publishes (sorted)."""
    ignore = list(nbgrader_config().CourseDirectory.get("ignore", []))
    found = []
    for path in sorted(Path(folder).rglob("*")):
        parts = path.relative_to(folder).parts
        if any(fnmatch.fnmatch(part, pattern) for part in parts for pattern in ignore):
            continue
        if path.is_dir() and not path.is_symlink():
            continue
        if path.is_symlink() or not path.is_file():
            raise ValueError(f"{path} is not a regular file: a release holds files and folders only")
        found.append(path)
    return found


def imported_modules(files):
    """Top-level names of the modules imported by the code cells and .py files among `files`."""
    import nbformat

    sources = []
    for path in files:
        if path.suffix == ".py":
            sources.append(path.read_text(encoding="utf-8"))
        elif path.suffix == ".ipynb":
            notebook = nbformat.read(path, as_version=4)
            # IPython's magics and shell escapes are not Python: left out of the parse
            sources += ["\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
                        for cell in notebook.cells if cell.cell_type == "code"]
    names = set()
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def _canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements(files):
    """The student's pinned requirements for a release's `files`: tools, then imported packages, sorted.

    A package is pinned as the course's requirements.txt pins it, else at the version the
    course environment has (a dependency the course does not pin itself).
    """
    pinned = {}
    for line in REQUIREMENTS.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            pinned[_canonical(re.split(r"[<>=!~ ;\[]", line)[0])] = line
    local = {path.stem for path in files if path.suffix == ".py"}
    distributions = importlib.metadata.packages_distributions()
    needed = {_canonical(tool) for tool in STUDENT_TOOLS}
    for module in sorted(imported_modules(files) - local - set(sys.stdlib_module_names)):
        if module not in distributions:
            raise ValueError(f"the release imports {module!r}, which no installed package provides")
        needed.add(_canonical(distributions[module][0]))
    return sorted(pinned.get(name) or f"{name}=={importlib.metadata.version(name)}" for name in needed)


def readme(assignment, notebook):
    """The student README of a package: the notebook's title, then install, open, work, validate, hand in."""
    import nbformat

    title = assignment
    for cell in nbformat.read(notebook, as_version=4).cells:
        heading = next((line[2:].strip() for line in cell.source.splitlines() if line.startswith("# ")), None)
        if cell.cell_type == "markdown" and heading:
            title = heading
            break
    return README.format(title=title, notebook=notebook.name, assignment=assignment)
