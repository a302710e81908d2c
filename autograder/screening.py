"""The intake stage: read, check and repair one student's submission before anything runs.

Everything here runs in the grader's process on untrusted files, so each step refuses
what it does not expect instead of following it:

- the student folder, the assignment folder and the notebook must be a real folder and
  a regular file of the student's own (no symlink, hard link, FIFO or device: a link to
  the source notebook or to another student's work would otherwise be graded as theirs);
- a notebook larger than `MAX_NOTEBOOK_BYTES` is not read;
- nbgrader metadata of the wrong type (`"nbgrader": "x"`, a list as grade_id) is dropped,
  so the cell counts as the student's own and the release's cell is put back;
- graded and read-only cells, points and the kernel always come from the source notebook;
  deleted cells are put back, duplicated ones graded once.

Each problem becomes a note on the student's Result; none stops the class.
"""

import json
import os
import re
import stat
from pathlib import Path

from .results import Result

MAX_NOTEBOOK_BYTES = 64 * 2**20
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
_CELL_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")  # what nbformat 4.5 accepts


class Refused(Exception):
    """A submitted path that is not the student's own regular file or folder."""


def _lstat(path):
    try:
        return os.lstat(path)
    except OSError:
        return None


def real_folder(path):
    """True for a folder that is not a symlink."""
    info = _lstat(path)
    return info is not None and stat.S_ISDIR(info.st_mode)


def read_own_file(path, limit=MAX_NOTEBOOK_BYTES):
    """The bytes of `path` when it is a regular file of the student's own; else Refused.

    Opened with O_NOFOLLOW and checked on the open descriptor (no race with a swap
    between the check and the read).
    """
    info = _lstat(path)
    if info is None:
        raise FileNotFoundError(path)
    if stat.S_ISLNK(info.st_mode):
        raise Refused("is a symbolic link, not a file of your own; it was not graded")
    if not stat.S_ISREG(info.st_mode):
        raise Refused("is not a regular file; it was not graded")
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Refused("is not a regular file; it was not graded")
        if info.st_nlink > 1:
            raise Refused("is a hard link to another file, not a file of your own; it was not graded")
        if info.st_size > limit:
            raise Refused(f"is larger than {_size(limit)}; it was not graded")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise Refused(f"is larger than {_size(limit)}; it was not graded")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _size(limit):
    return f"{limit // 2**20} MB" if limit >= 2**20 else f"{limit} bytes"


def _names(folder):
    try:
        return sorted(os.listdir(folder))
    except OSError:
        return []


_UNSAFE_ID = re.compile(r"[<>&\"'`\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def unsafe_id(student):
    """Why a folder name cannot be a student id, or None.

    formgrader puts the student id into its pages without escaping it, and sqlite
    refuses the lone surrogates Python makes of a name that is not UTF-8: such a name
    would run script in the instructor's browser or stop the gradebook. Spaces, dots,
    glob characters, `=`, `-` and letters of any script are all fine.
    """
    if _UNSAFE_ID.search(student):
        return ("the folder name cannot be used as a student id (it holds one of < > & \" ' ` or a control "
                "character, or is not UTF-8); rename the folder and grade again")
    if len(student.encode("utf-8", "surrogatepass")) > 200:
        return "the folder name is longer than 200 bytes; rename the folder and grade again"
    return None


def screen(student, assignment, submissions, release, source):
    """Read, check and repair one student's notebooks; problems become notes, never crashes.

    Args:
        student: the folder name in `submissions` (any name the file system allows).
        release, source: {notebook file name: notebook} of the release and the source.
    """
    import nbformat

    result = Result(student)
    why = unsafe_id(student)
    if why:
        result.note(why)
        return result
    student_folder = Path(submissions) / student
    if not real_folder(student_folder):
        result.note("the student folder is a symbolic link or not a folder; it was not graded")
        return result
    folder = student_folder / assignment
    if not real_folder(folder):
        if _lstat(folder) is not None:
            result.note(f"{assignment}/ is a symbolic link or not a folder; it was not graded")
        else:
            found = _names(student_folder)
            result.note(f"no folder {assignment}/ in the submission (found: {', '.join(found) or 'nothing'})")
        return result
    result.timestamp, why = read_timestamp(folder)
    if why:
        result.note(why)
    for name in sorted(source):
        path = folder / name
        if _lstat(path) is None:
            renamed = renamed_copy(name, _names(folder))
            if renamed is None:
                others = [n for n in _names(folder) if n.endswith(".ipynb")]
                result.note(f"{name} is missing (found: {', '.join(others) or 'no notebooks'})")
                continue
            result.note(f"{name} was handed in as {renamed!r}; that notebook was graded")
            path = folder / renamed
        try:
            raw = read_own_file(path)
        except FileNotFoundError:
            result.note(f"{name} is missing")
            continue
        except Refused as refusal:
            result.note(f"{name} {refusal}")
            continue
        except OSError as error:
            result.note(f"{name} could not be read ({type(error).__name__})")
            continue
        try:
            data = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError, RecursionError) as error:
            result.note(f"{name} is not valid JSON ({str(error)[:200]}); it could not be opened")
            continue
        try:
            normalize(data)
            notebook = nbformat.from_dict(data)
            notebook = nbformat.convert(notebook, 4) if notebook.get("nbformat") != 4 else notebook
            nbformat.validate(notebook)
        except Exception as error:  # nbformat raises several types for a broken notebook
            result.note(f"{name} is not a valid notebook ({type(error).__name__}: {str(error)[:200]})")
            continue
        for text in repair(notebook, release[name]) + restore(notebook, source[name]):
            result.note(text)
        result.notebooks[name] = notebook
    return result


MAX_TIMESTAMP_BYTES = 256


def read_timestamp(folder):
    """(when the submission was made, or None; a note when `timestamp.txt` could not be used).

    nbgrader's `collect` and `zip_collect` write the submission time into `timestamp.txt`
    next to the notebook ("2025-03-01 23:58:12.123 UTC", any zone nbgrader's `parse_utc`
    reads; a time without a zone is UTC). It is read here as nbgrader reads it, but only
    from a small regular file of the student's own; the time comes back as naive UTC, as
    the gradebook stores it.
    """
    from nbgrader.utils import parse_utc

    path = Path(folder) / "timestamp.txt"
    if _lstat(path) is None:
        return None, None
    try:
        text = read_own_file(path, limit=MAX_TIMESTAMP_BYTES).decode("utf-8").strip()
    except Refused as refusal:
        return None, f"timestamp.txt {str(refusal).split(';')[0]}: the submission time was not read"
    except (OSError, UnicodeDecodeError):
        return None, "timestamp.txt could not be read: the submission time is unknown"
    try:
        return (parse_utc(text), None) if text else (None, "timestamp.txt is empty: the submission time is unknown")
    except Exception:  # dateutil raises several types for text that is no time
        return None, f"timestamp.txt holds no time ({text[:40]!r}): the submission time is unknown"


def renamed_copy(name, names):
    """The notebook a browser download, Jupyter or an LMS renamed from `name`, or None.

    `task2_backward (1).ipynb` (a second download), `task2_backward-Copy1.ipynb` (Jupyter's
    Duplicate), `task2_backward-2.ipynb` (Canvas's resubmission suffix), `task2_backward copy.ipynb`
    (macOS), their combinations (`task2_backward (1)-1.ipynb`) and a change of case only: the one
    with the highest numbers, when there are several.
    """
    stem = re.escape(name[: -len(".ipynb")])
    suffix = r"(?: ?\(\d+\)|-Copy\d+|-\d+| copy(?: \d+)?)"
    pattern = re.compile(rf"{stem}((?:{suffix})*)\.ipynb", re.IGNORECASE)
    found = []
    for other in names:
        match = pattern.fullmatch(other)
        if match and other != name:
            found.append(([int(n) for n in re.findall(r"\d+", match.group(1))], other))
    return max(found)[1] if found else None


def normalize(raw):
    """Make a parsed notebook's structure safe to read: cell ids, joined sources, sane metadata.

    Raises ValueError for something that is not a notebook at all.
    """
    import nbformat

    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        raise ValueError("no list of cells")
    if not isinstance(raw.get("metadata"), dict):
        raw["metadata"] = {}
    seen = set()
    for cell in raw["cells"]:
        if not isinstance(cell, dict):
            raise ValueError("a cell that is not an object")
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(str(line) for line in cell["source"])
        if not isinstance(cell.get("id"), str) or not _CELL_ID.fullmatch(cell["id"]) or cell["id"] in seen:
            cell["id"] = nbformat.v4.nbbase.random_cell_id()
        seen.add(cell["id"])
        if not isinstance(cell.get("metadata"), dict):
            cell["metadata"] = {}
        meta = cell["metadata"].get("nbgrader")
        if "nbgrader" in cell["metadata"] and not (isinstance(meta, dict) and isinstance(meta.get("grade_id"), str)):
            del cell["metadata"]["nbgrader"]  # malformed: the cell is the student's own
    raw["nbformat"], raw["nbformat_minor"] = 4, max(5, raw.get("nbformat_minor", 5)
                                                    if isinstance(raw.get("nbformat_minor"), int) else 5)


def grade_id(cell):
    meta = cell.get("metadata", {}).get("nbgrader", {})
    value = meta.get("grade_id") if isinstance(meta, dict) else None
    return value if isinstance(value, str) else None


def _nbgrader(cell):
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def repair(notebook, release):
    """Undo what students do to a notebook's structure; return notes for the student.

    - A graded or read-only cell of the release that the student deleted is put back
      after the nearest earlier cell that is still there.
    - A cell id used twice (a duplicated answer cell): the last copy keeps it, the
      earlier copies still run but are no longer graded.
    """
    notes = []
    seen = {}
    for index, cell in enumerate(notebook.cells):
        if grade_id(cell) is not None:
            seen.setdefault(grade_id(cell), []).append(index)
    duplicated = [gid for gid, where in seen.items() if len(where) > 1]
    for gid in duplicated:
        for index in seen[gid][:-1]:
            del notebook.cells[index].metadata["nbgrader"]
    if duplicated:
        notes.append(f"duplicated cells {', '.join(duplicated)}: only the last copy of each was graded")

    present = {grade_id(cell) for cell in notebook.cells} - {None}
    restored = []
    for position, cell in enumerate(release.cells):
        gid, meta = grade_id(cell), _nbgrader(cell)
        if gid is None or gid in present or not (meta.get("grade") or meta.get("locked") or meta.get("solution")):
            continue
        index = 0
        for earlier in reversed(release.cells[:position]):
            where = [i for i, c in enumerate(notebook.cells) if grade_id(c) == grade_id(earlier)]
            if grade_id(earlier) is not None and where:
                index = where[-1] + 1
                break
        notebook.cells.insert(index, cell)
        present.add(gid)
        if meta.get("grade") or meta.get("solution"):
            restored.append(gid)
    if restored:
        notes.append(f"deleted cells were put back (as released) and graded: {', '.join(restored)}")
    return notes


def restore(notebook, source):
    """Make every graded and read-only cell what the instructor wrote; clear all outputs.

    Hidden tests, points, cell types and read-only code always come from the source
    notebook, whatever the submission says; answer cells (graded written answers too)
    keep the student's work.
    """
    notes = []
    reference = {grade_id(cell): cell for cell in source.cells if grade_id(cell) is not None}
    changed = []
    for cell in notebook.cells:
        original = reference.get(grade_id(cell))
        if original is None:
            cell.metadata.pop("nbgrader", None)  # a made-up grade cell grades nothing
            continue
        meta = original.metadata["nbgrader"]
        if cell.cell_type != original.cell_type:
            changed.append(grade_id(cell))
            cell.cell_type = original.cell_type
        if (meta.get("grade") or meta.get("locked")) and not meta.get("solution"):
            cell.source = original.source  # (a graded answer cell, e.g. a written answer, keeps the student's)
        cell.metadata["nbgrader"] = json.loads(json.dumps(meta))
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
    if changed:
        notes.append(f"cells of the wrong type were restored: {', '.join(changed)}")
    kernel = notebook.metadata.get("kernelspec", {})
    kernel = kernel.get("name") if isinstance(kernel, dict) else None
    if kernel != source.metadata.get("kernelspec", {}).get("name"):
        notes.append(f"the notebook's kernel was changed to {str(kernel)[:40]!r}; it was run with Python 3")
    notebook.metadata["kernelspec"] = source.metadata.get("kernelspec", {})
    return notes


def without_hidden_tests(text):
    """A test cell's source with its hidden part removed: what may run in a student's process."""
    kept, hidden = [], False
    for line in text.splitlines():
        if BEGIN_HIDDEN in line:
            hidden = True
        elif END_HIDDEN in line:
            hidden = False
        elif not hidden:
            kept.append(line)
    return "\n".join(kept)


def is_test_cell(cell):
    meta = _nbgrader(cell)
    return bool(meta.get("grade")) and not meta.get("solution")


def is_manual_cell(cell):
    """A graded answer cell (nbgrader's "manually graded answer", e.g. a written answer): the
    instructor scores it in formgrader; no trusted check does."""
    meta = _nbgrader(cell)
    return bool(meta.get("grade")) and bool(meta.get("solution")) and bool(meta.get("points"))
