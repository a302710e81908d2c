"""Evidence of tampering, read from a student's code by the grader (never from its outputs).

Scores never depend on this: every score comes from the trusted checks. It only lists,
for the instructor's `flags.csv`, code that tries to change how the course's checks,
NumPy, IPython or the interpreter behave — what an honest answer never needs. Each
finding is (cell, evidence): the cell is the test cell whose check the code rebinds
when there is one, else the answer cell (or "cell N") where the code is.
"""

import ast

# Modules whose attributes an honest answer never assigns.
_MODULES = {"np", "numpy", "scoring", "utils", "dataset", "plotting", "framework", "training", "builtins", "sys", "os",
            "IPython", "matplotlib", "plt", "math", "random", "json", "io", "inspect", "types", "importlib"}
_SHELL_HOOKS = {"input_transformers_cleanup", "input_transformers_post", "ast_transformers", "events",
                "showtraceback", "showsyntaxerror", "run_cell", "run_cell_async", "displayhook",
                "display_formatter", "set_custom_exc", "register_magic_function"}
_SYS_HOOKS = {"addaudithook", "settrace", "setprofile", "setrecursionlimit", "_getframe", "modules",
              "displayhook", "excepthook", "stdout", "stderr"}
_SUSPECT_IMPORTS = {"ctypes", "gc", "builtins", "signal", "subprocess", "multiprocessing", "socket"}


def _is_course_checks(name):
    return name.startswith("check_") or (name.startswith("task") and name.endswith("_checks"))


def findings(source, protected=()):
    """Evidence strings for one cell's source (empty for honest code or code that does not parse)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    protected = set(protected)
    found = []

    def note(text):
        if text not in found:
            found.append(text)

    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for target in targets:
                for part in _written(target):
                    if isinstance(part, ast.Name) and (part.id in protected or _is_course_checks(part.id)):
                        note(f"rebinds the course's `{part.id}`")
                    elif isinstance(part, ast.Attribute) and isinstance(part.value, ast.Name):
                        base = part.value.id
                        if base in _MODULES or _is_course_checks(base) or base in protected:
                            note(f"assigns to `{base}.{part.attr}`")
                        if part.attr in _SHELL_HOOKS:
                            note(f"changes IPython's `{part.attr}`")
                    elif isinstance(part, ast.Attribute) and part.attr in _SHELL_HOOKS:
                        note(f"changes IPython's `{part.attr}`")
                    elif isinstance(part, ast.Subscript) and isinstance(part.value, ast.Name) and \
                            part.value.id in ("globals", "__builtins__"):
                        note(f"writes into `{part.value.id}`")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node.name in protected or _is_course_checks(node.name):
                note(f"redefines the course's `{node.name}`")
        elif isinstance(node, ast.Call):
            function = node.func
            name = function.id if isinstance(function, ast.Name) else getattr(function, "attr", "")
            first = node.args[0] if node.args else None
            if name in ("setattr", "delattr") and isinstance(first, ast.Name) and (
                    first.id in _MODULES or first.id in protected or _is_course_checks(first.id)):
                note(f"calls {name}() on `{first.id}`")
            if isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name) and \
                    function.value.id == "sys" and function.attr in _SYS_HOOKS:
                note(f"calls sys.{function.attr}()")
            if isinstance(function, ast.Attribute) and function.attr in ("register", "append", "insert") and \
                    isinstance(function.value, ast.Attribute) and function.value.attr in _SHELL_HOOKS:
                note(f"hooks into IPython's `{function.value.attr}`")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for module in modules:
                if module.split(".")[0] in _SUSPECT_IMPORTS:
                    note(f"imports {module.split('.')[0]}")
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                if _is_course_checks(bound) and isinstance(node, ast.ImportFrom) and alias.asname:
                    note(f"rebinds the course's `{bound}` by an import")
    return found


def tampering(cells, checks_of=None, protected=()):
    """[(cell, evidence)] for a notebook's code cells [(label, source)].

    Args:
        checks_of: {check function name: test cell id}, so that rebinding `check_linear`
            is reported against `test_linear`.
        protected: names the notebook imports from the course (rebinding one is evidence).
    """
    checks_of = checks_of or {}
    flags = []
    for label, source in cells:
        for evidence in findings(source, protected):
            name = evidence.split("`")[1].split(".")[-1] if "`" in evidence else ""
            cell = checks_of.get(name, label)
            flags.append((cell, f"{label}: {evidence}" if cell != label else evidence))
    return flags


def _written(target):
    """What an assignment target writes into: each element of a tuple or list, and `a.b[i].c` down
    to `a` (never what an index or a slice only reads, as in `out[np.arange(m), labels] = 1`)."""
    if isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _written(element)
    elif isinstance(target, ast.Starred):
        yield from _written(target.value)
    else:
        while isinstance(target, (ast.Attribute, ast.Subscript)):
            yield target
            target = target.value
        yield target
