"""Attacks on the grader, graded in one batch: none gains points, leaks anything or hurts others.

Each attacker hands in the Task 2 reference solution with one answer cell changed.
Where the attack comes with wrong code (to see whether a trick can hide it), the
same wrong code without the trick is graded too, as the honest baseline.
"""

import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from autograder import course, sandbox
from autograder.grading import grade
from autograder.submissions import BANK, build_submission, read_answers, write_submission

ASSIGNMENT = "task2_backward"
LIMITS = sandbox.Limits(cell_timeout=4, notebook_timeout=120, cpu_seconds=120, memory_mb=2048)
WHOLE_NETWORK = ("test_model_", "test_find_bug")  # cells that run every class (the hunt builds the student's)
pytestmark = pytest.mark.xdist_group("attacks")

WRONG_LINEAR = read_answers(BANK / ASSIGNMENT / "bugs" / "linear_dW_summed")["linear"]
WRONG_MODEL = read_answers(BANK / ASSIGNMENT / "bugs" / "model_forward_order")["model"]

def reference_answer(grade_id):
    import nbformat

    notebook = nbformat.read(course.notebook_path(ASSIGNMENT), as_version=4)
    return course.solution_source(course.answer_cells(notebook)[grade_id].source)


def with_lines(grade_id, code, base=None):
    """The reference answer (or `base`) with `code` appended to the cell."""
    return {grade_id: (base or reference_answer(grade_id)) + "\n" + code}


def backward_replaced(grade_id, body):
    """The reference class whose backward is replaced by `body` (indented method code)."""
    source = reference_answer(grade_id)
    head = source[: source.index("    def backward")]
    return {grade_id: head + "    def backward(self, *args):\n" + body}


# name -> (answers, cells that must lose points)
ATTACKS = {
    "honest_wrong_linear": ({"linear": WRONG_LINEAR}, ["test_linear"]),
    "allclose_patch": (with_lines("linear", "np.allclose = lambda *a, **k: True\n"
                                  "np.testing.assert_allclose = lambda *a, **k: None", WRONG_LINEAR),
                       ["test_linear"]),
    "checks_patch": (with_lines("linear", "import scoring, task2_checks\n"
                                "scoring.Report.finish = lambda self: float(self.points or 0)\n"
                                "scoring.expect_close = lambda *a, **k: None\n"
                                "task2_checks.expect_close = lambda *a, **k: None", WRONG_LINEAR),
                     ["test_linear"]),
    "model_checks_patch": (with_lines("model", "import task2_checks, scoring\n"
                                      "task2_checks.check_model = lambda *a, **k: 2.0\n"
                                      "scoring.Report.finish = lambda self: float(self.points or 0)",
                                      WRONG_MODEL), ["test_model"]),
    "utils_patch": (with_lines("linear", "import utils, task2_checks\nutils.gradient_check = lambda *a, **k: 0.0\n"
                               "task2_checks._network_gradient_difference = lambda *a, **k: 0.0",
                               WRONG_LINEAR), ["test_linear", "test_model_network"]),
    "fake_ndarray": ({"linear": WRONG_LINEAR.replace(
        "        return self.W.T @ dz",
        "        class Liar(np.ndarray):\n"
        "            def __eq__(self, other): return np.ones(np.shape(self), bool)\n"
        "            def __sub__(self, other): return np.zeros(np.shape(self))\n"
        "        self.dW = self.dW.view(Liar)\n"
        "        return (self.W.T @ dz).view(Liar)")}, ["test_linear"]),
    "input_transformer": (with_lines("linear", "get_ipython().input_transformers_cleanup.append("
                                     "lambda lines: ['pass\\n'])", WRONG_LINEAR), ["test_linear"]),
    "showtraceback": (with_lines("sigmoid", "get_ipython().showtraceback = lambda *a, **k: None\n"
                                 "Sigmoid.backward = lambda self, da: 1 / 0"), ["test_sigmoid"]),
    "sys_exit": (backward_replaced("tanh", "        import sys\n        sys.exit(0)\n"), ["test_tanh"]),
    "os_exit": (backward_replaced("sigmoid", "        import os\n        os._exit(1)\n"), ["test_sigmoid"]),
    "os_exit_at_top_level": (with_lines("sigmoid", "import os\nos._exit(1)"), ["test_sigmoid"]),
    "hang_at_top_level": (with_lines("relu", "while True:\n    pass"), ["test_relu"]),
    "base_exception": (backward_replaced("relu", "        class Boom(BaseException): pass\n"
                                         "        raise Boom()\n"), ["test_relu"]),
    "hang_ignoring_interrupts": (backward_replaced(
        "mse_loss", "        import signal\n        for s in (signal.SIGINT, signal.SIGALRM, signal.SIGTERM):\n"
        "            signal.signal(s, signal.SIG_IGN)\n        while True:\n            pass\n"), ["test_mse_loss"]),
    "hang_with_output": (backward_replaced("bce_loss", "        while True:\n            print('x' * 1000)\n"),
                         ["test_bce_loss"]),
    "memory_bomb": (backward_replaced("bce_loss", "        hog = [np.ones(2**27) for _ in range(100)]\n"),
                    ["test_bce_loss"]),
    "fork_bomb": (with_lines("tanh", "import os, time\nfor _ in range(500):\n    if os.fork() == 0:\n"
                                     "        time.sleep(30)\n        os._exit(0)"), ["test_tanh"]),
    "suspects_check_patch": ({"find_bug": 'suspects = {"A": "Dense_1.W", "B": "Dense_1.b"}\n'
                                           'check_suspects = lambda *a, **k: 2.0'}, ["test_find_bug"]),
    "main_check_patch": ({"main": "mlp = Model()\nmlp.add_module(Linear(2, 1), 'Dense_1')\n"
                                  "mlp.add_module(Sigmoid(), 'Sigmoid')\nloss_fn = BCELoss()\n"
                                  "check_main = lambda *a, **k: 1.0"}, ["test_model_main"]),
    # Records the source of every cell compiled from now on and prints it in each later cell:
    # the hidden tests (and their seeds) must not be among them.
    "hidden_source_capture": (with_lines("linear", "import sys\n_seen = []\n"
                                         "def _hook(event, args):\n"
                                         "    if event == 'compile' and args and isinstance(args[0], (str, bytes)):\n"
                                         "        _seen.append(str(args[0]))\n"
                                         "        print('CAPTURED', _seen[-1])\n"
                                         "sys.addaudithook(_hook)"), []),
    "background_process": (with_lines("relu", "import subprocess\n"
                                              "subprocess.Popen(['sleep', '987'], start_new_session=True)"), []),
}


def leak_probe(paths, port):
    """An answer-cell addition that reports what it could see and reach."""
    return with_lines("model", f"""
import json, os, socket
seen = {{name: os.path.exists(path) for name, path in {json.dumps(paths)}.items()}}
try:
    open({json.dumps(paths["gradebook"])}, "a").write("tampered")
    seen["wrote_gradebook"] = True
except OSError:
    seen["wrote_gradebook"] = False
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.mount(b"none", sys.prefix.encode(), None, 32 | 4096, None)  # MS_REMOUNT | MS_BIND: read-write
try:
    open(os.path.join(sys.prefix, "tampered"), "w").write("tampered")
    seen["wrote_environment"] = True
except OSError:
    seen["wrote_environment"] = False
seen["capabilities"] = [line.split()[1] for line in open("/proc/self/status") if line.startswith("CapEff")][0]
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=2).sendall(b"leak")
    seen["network"] = True
except OSError:
    seen["network"] = False
print("PROBE" + json.dumps(seen))
""")


@pytest.fixture(scope="module")
def listener():
    """A local TCP server that records whether anything reached it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.5)
    received, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            try:
                connection, _ = server.accept()
                received.append(connection.recv(100))
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], received
    stop.set()
    thread.join(timeout=2)
    server.close()


@pytest.fixture(scope="module")
def attacked(tmp_path_factory, listener):
    tmp = tmp_path_factory.mktemp("attacks")
    submitted, workspace = tmp / "submitted", tmp / "workspace"
    write_submission(build_submission(ASSIGNMENT), submitted, "honest", ASSIGNMENT)
    for name, (answers, _) in ATTACKS.items():
        write_submission(build_submission(ASSIGNMENT, answers), submitted, name, ASSIGNMENT)
    paths = {"source": str(course.notebook_path(ASSIGNMENT)), "repo_utils": str(course.ROOT / "utils.py"),
             "other_student": str(submitted / "honest" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"),
             "gradebook": str(workspace / "gradebook.db")}
    write_submission(build_submission(ASSIGNMENT, leak_probe(paths, listener[0])), submitted, "probe", ASSIGNMENT)
    # A submitted numpy.py that would break every import of numpy if it were used.
    write_submission(build_submission(ASSIGNMENT), submitted, "numpy_shadow", ASSIGNMENT)
    (submitted / "numpy_shadow" / ASSIGNMENT / "numpy.py").write_text("raise SystemExit('shadowed')\n")
    results = grade(ASSIGNMENT, submitted, tmp / "out", workspace=workspace, progress=False,
                    html_feedback=False, limits=LIMITS)
    return {r.student: r for r in results}, tmp


def scores(result):
    return {item.cell_id: (item.score, item.max_score) for item in result.items if not item.pending}


def full_marks(result):
    """What a fully correct submission earns before the instructor grades its written answers."""
    return result.max_score - result.pending_points


def test_honest_reference_earns_full_marks(attacked):
    results, _ = attacked
    assert results["honest"].score == full_marks(results["honest"]) > 0
    assert results["numpy_shadow"].score == full_marks(results["honest"])


@pytest.mark.parametrize("name", list(ATTACKS))
def test_attack_gains_nothing_and_costs_only_its_class(attacked, name):
    results, _ = attacked
    got = scores(results[name])
    must_lose = ATTACKS[name][1]
    for cell in must_lose:
        assert got[cell][0] < got[cell][1], f"{name} kept full marks in {cell}: {got}"
        if name != "honest_wrong_linear" and cell == "test_linear":
            honest = scores(results["honest_wrong_linear"])[cell][0]
            assert got[cell][0] <= honest, f"{name} earned more than the honest wrong code in {cell}"
    others = {c: s for c, s in got.items() if c not in must_lose and not c.startswith(WHOLE_NETWORK)}
    lost = {c: s for c, s in others.items() if s[0] < s[1]}
    assert not lost, f"{name} cost points outside its own class: {lost}"


def test_tampering_is_flagged_with_evidence(attacked):
    results, tmp = attacked
    assert results["checks_patch"].flags, "patching the checks was not flagged"
    assert any(cell == "test_model" for cell, _ in results["model_checks_patch"].flags)
    assert any("utils.gradient_check" in evidence for _, evidence in results["utils_patch"].flags)
    assert any(cell == "test_find_bug" for cell, _ in results["suspects_check_patch"].flags)
    assert any(cell == "test_model_main" for cell, _ in results["main_check_patch"].flags)
    assert any("np.allclose" in evidence for _, evidence in results["allclose_patch"].flags)
    assert any("input_transformers" in evidence for _, evidence in results["input_transformer"].flags)
    assert "checks_patch" in (tmp / "out" / "flags.csv").read_text()
    assert not results["honest"].flags and not results["honest_wrong_linear"].flags


def test_probe_sees_nothing_and_reaches_nothing(attacked, listener):
    results, tmp = attacked
    notebook = results["probe"].notebooks[f"{ASSIGNMENT}.ipynb"]
    text = "".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code" for o in c.outputs)
    seen = json.loads(text.split("PROBE", 1)[1].splitlines()[0])
    assert seen == {"source": False, "repo_utils": False, "other_student": False, "gradebook": False,
                    "wrote_gradebook": False, "wrote_environment": False, "capabilities": "0000000000000000",
                    "network": False}, seen
    assert not (Path(sys.prefix) / "tampered").exists()
    assert listener[1] == [], "a submission reached the network"
    # the gradebook was not touched
    assert results["probe"].score == results["honest"].score == full_marks(results["honest"])


def test_hidden_tests_never_reach_a_students_process(attacked):
    results, _ = attacked
    notebook = results["hidden_source_capture"].notebooks[f"{ASSIGNMENT}.ipynb"]
    text = "".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code" for o in c.outputs)
    assert "CAPTURED" in text, "the capture did not run"
    assert "BEGIN HIDDEN TESTS" not in text and "seed=" not in text and "points=" not in text


def test_no_process_outlives_grading(attacked):
    survivors = subprocess.run(["pgrep", "-f", "sleep 987"], capture_output=True, text=True).stdout.split()
    assert not survivors, f"background processes survived grading: {survivors}"
