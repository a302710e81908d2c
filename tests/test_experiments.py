"""The cells the grader does not run (a spec's EXPERIMENTS) are experiments and nothing else.

Each is a read-only given cell of the source notebook (so a submission cannot put code there
that the grader would skip: screening restores read-only cells), and no cell the grader does
run reads a name that only an experiment defined. That the verdicts do not depend on them is
shown by the bank: the reference and the source notebook still earn full marks.
"""

import ast

import nbformat
import pytest

from autograder import course, specs

ASSIGNMENTS = [a for a in course.assignments() if specs.experiments(a)]


def _code(source):
    return "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))


def reads_and_writes(source):
    """(names the cell reads before it assigns them, names it assigns), in the order of the code."""
    tree = ast.parse(_code(source))
    nodes = sorted((n for n in ast.walk(tree) if hasattr(n, "lineno")), key=lambda n: (n.lineno, n.col_offset))
    reads, writes = set(), set()
    for node in ast.walk(tree):  # a comprehension's variables are written before its element reads them
        if isinstance(node, ast.comprehension):
            writes.update(n.id for n in ast.walk(node.target) if isinstance(n, ast.Name))
    for node in nodes:
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load) and node.id not in writes:
                reads.add(node.id)
            elif not isinstance(node.ctx, ast.Load):
                writes.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            writes.add(node.name)
        elif isinstance(node, ast.arg):  # a function's parameter (its scope is the function: close enough)
            writes.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            writes.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return reads, writes


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_experiments_are_read_only_cells_nothing_else_needs(assignment):
    skipped = set(specs.experiments(assignment))
    notebook = nbformat.read(course.notebook_path(assignment), as_version=4)
    cells = {cell.metadata.get("nbgrader", {}).get("grade_id"): cell for cell in notebook.cells}
    assert skipped <= set(cells), f"EXPERIMENTS names cells the notebook does not have: {skipped - set(cells)}"
    for gid in skipped:
        meta = cells[gid].metadata["nbgrader"]
        assert cells[gid].cell_type == "code" and meta.get("locked"), f"{gid} is not a read-only code cell"
        assert not meta.get("grade") and not meta.get("solution"), f"{gid} is graded or an answer"
    defined_by = {}  # name -> the cell that last assigned it
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        reads, writes = reads_and_writes(cell.source)
        if gid not in skipped:
            needed = {name: defined_by[name] for name in reads if defined_by.get(name) in skipped}
            assert not needed, f"{assignment}: cell {gid} reads what only an experiment made: {needed}"
        defined_by.update(dict.fromkeys(writes, gid))
