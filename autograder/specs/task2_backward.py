"""Grader-only spec of task2_backward (see autograder/specs/__init__.py).

The class-alone cells and `numerical_gradient` are graded by the student's self-checks
(checks/task2_checks.py) with the grader's seeds; some build a helper next to the student's
code in the sandbox (TRUSTED_HELPERS), which only carries data across the wall. The rest is
the grader's own and never shipped:

- `check_network` (test_model_network): networks built from the student's classes, with
  the grader's W and b, against the exact forward pass and gradients of common.py;
- `check_main` (test_model_main): the student's own `mlp` and `loss_fn`, each module's kind
  told by its behaviour, against the same reference with the grader's W, b and data;
- `check_suspects` (test_find_bug): the student's `suspects` against the answer the grader
  works out itself, by building the student's own mystery networks (drawn from their id)
  from the reference classes and finding the one piece of each that disagrees with the exact
  gradient. No answer key is stored anywhere.
"""

import functools

import numpy as np

import task2_checks
from scoring import CheckFailed, Report, build_network, run_student

from .common import (
    ACTIVATIONS,
    class_checks_table,
    compare_network,
    gradients_agree,
    loss_forward,
    random_plan,
    reference_classes,
    set_parameters,
)

ASSIGNMENT = "task2_backward"


def _rng(seed):
    return np.random.default_rng(seed)


# ---------------------------------------------------------------- whole networks
def _build(C, plan, names):
    """The student's Model of the student's classes for `plan`; (model, [(name, Linear layer)])."""
    modules, layers = [], []
    for step, name in zip(plan, names):
        if step[0] == "Linear":
            n_out, n_in = step[1].shape
            module = C["Linear"](n_in, n_out)
            layers.append((name, module))
        else:
            module = C[step[0]]()
        modules.append((name, module))
    set_parameters(layers, plan)
    return build_network(C["Model"], modules), layers


def check_network(classes, points=None, seed=0):
    """Whole networks built from the student's classes compute the exact gradients.

    The grader draws W and b, builds each network from the student's classes, runs its
    forward once on the grader's X, the loss's backward on the exact prediction, and the
    model's backward on the exact loss gradient; then compares the output, the loss
    gradient and every dW and db with the reference computed here (common.reference_pass).

    Args:
        classes: {class name: the student's class (or a stand-in for it)}.
    """
    from dataset import dataset_circles

    rng = _rng(seed)
    report = Report("Whole network: exact gradients", points)
    C = classes
    X, Y = dataset_circles(m=32, radius=0.7, noise=0.0, seed=seed)
    X3, Y3 = rng.standard_normal((6, 3, 1)), rng.standard_normal((6, 2, 1))
    networks = [
        ("2-3-4-5-1, Tanh, Sigmoid, BCE", [2, 3, 4, 5, 1], "Tanh", "Sigmoid", "BCE", X, Y),
        ("2-8-8-1, ReLU, Sigmoid, MSE", [2, 8, 8, 1], "ReLU", "Sigmoid", "MSE", X, Y),
        ("3-5-2, Sigmoid hidden layer, two outputs, MSE", [3, 5, 2], "Sigmoid", None, "MSE", X3, Y3),
    ]
    for label, sizes, hidden, output, loss, inputs, targets in networks:
        shapes = [(n_out, n_in) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
        kinds = [hidden] * (len(shapes) - 1) + [output]
        plan = random_plan(kinds, shapes, rng, loss, inputs, targets)
        names, i = [], 0
        for step in plan:
            if step[0] == "Linear":
                i += 1
                names.append(f"Dense_{i}" + ("_out" if i == len(shapes) else ""))
            else:
                names.append(f"{step[0]}_{i}")
        with report.part(label, weight=1):
            model, layers = run_student(_build, C, plan, names)
            loss_fn = run_student(C["MSELoss" if loss == "MSE" else "BCELoss"])
            compare_network(model, loss_fn, layers, plan, loss, inputs, targets)
    return report.finish()


# ------------------------------------------------------------ the main processing cell
def _array(module, name):
    """module.name as an array, or None when it has none (or one that is not an array)."""
    try:
        value = getattr(module, name, None)
    except (AttributeError, CheckFailed):
        return None
    return value if isinstance(value, np.ndarray) else None


def _kind_of(module, name, probe):
    """"Linear" for a module with a 2-D array W; else the activation whose values its forward
    gives on the grader's `probe`; raises CheckFailed when it is none of them."""
    W = _array(module, "W")
    if W is not None and W.ndim == 2:
        return "Linear"
    try:
        got = run_student(module.forward, probe.copy())
    except CheckFailed as failure:
        raise CheckFailed(f"module {name!r} is not a Linear layer (no array W) and its forward {failure}") from None
    for kind, function in ACTIVATIONS.items():
        if got is not None and np.shape(got) == probe.shape and np.allclose(got, function(probe), rtol=1e-6,
                                                                             atol=1e-9):
            return kind
    raise CheckFailed(f"module {name!r} is neither a Linear layer (a W of shape (out, in)) nor a Sigmoid, "
                      "Tanh or ReLU: its forward matches none of them")


def _loss_kind(loss_fn, rng):
    """"MSE" or "BCE": what the student's loss_fn.forward computes on the grader's inputs."""
    p = rng.uniform(0.05, 0.95, (8, 1, 1))
    y = (np.arange(8) % 2).astype(float).reshape(8, 1, 1)
    got = run_student(loss_fn.forward, p.copy(), y.copy())
    for kind in ("MSE", "BCE"):
        if got is not None and np.shape(got) == p.shape and np.allclose(got, loss_forward(kind, p, y), rtol=1e-4,
                                                                         atol=1e-6):
            return kind
    raise CheckFailed("`loss_fn` is neither an MSELoss nor a BCELoss: its forward matches neither")


def check_main(namespace, points=None):
    """The main processing cell: `mlp` with at least 3 hidden layers, `loss_fn`, and right gradients.

    Each module of `mlp` is told apart by what it does (public API only, never its class
    name); the grader then gives every Linear its own W and b and compares mlp's output and
    gradients on the grader's data with the exact ones (what gradient_check verifies).
    """
    from dataset import dataset_circles

    rng = _rng(1)
    report = Report("Main processing cell", points)
    mlp, loss_fn = namespace.get("mlp"), namespace.get("loss_fn")
    X, Y = dataset_circles(m=64, radius=0.7, noise=0.0, seed=1)
    modules, no_model = None, "define `mlp` as a Model built with add_module"
    try:
        if mlp is not None:
            modules = run_student(lambda: mlp.modules)
    except (AttributeError, CheckFailed):
        modules = None
    if isinstance(modules, dict) and modules:
        no_model = None
    elif isinstance(modules, dict):
        no_model = "`mlp` has no modules: add them with add_module"

    with report.part("`mlp` is a Model with at least 3 hidden layers", weight=1):
        if no_model:
            raise CheckFailed(no_model)
        n_linear = sum(_array(module, "W") is not None for module in modules.values())
        if n_linear < 4:
            raise CheckFailed(f"`mlp` has {n_linear} Linear layers; 3 hidden layers need at least 4")

    # What the network is, told by behaviour, and the grader's own W and b for it.
    plan, layers, problem = None, [], no_model
    if problem is None:
        try:
            probe = rng.uniform(0.2, 3.0, (4, 3, 1)) * np.where(rng.uniform(size=(4, 3, 1)) < 0.5, -1.0, 1.0)
            kinds = [(name, module, _kind_of(module, name, probe)) for name, module in modules.items()]
            loss = "BCE" if loss_fn is None else _loss_kind(loss_fn, rng)
            shapes, activations = [], []
            for name, module, kind in kinds:
                if kind == "Linear":
                    shapes.append(tuple(_array(module, "W").shape))
                    activations.append(None)
                    layers.append((name, module))
                elif activations and activations[-1] is None:
                    activations[-1] = kind
                else:
                    raise CheckFailed(f"module {name!r} ({kind}) does not follow a Linear layer")
            if not shapes:
                raise CheckFailed("`mlp` has no Linear layer")
            if shapes[0][1] != 2 or any(a[1] != b[0] for a, b in zip(shapes[1:], shapes[:-1])):
                raise CheckFailed(f"the Linear layers' W shapes {shapes} do not chain from 2 input features")
            plan = random_plan(activations, shapes, rng, loss, X, Y, scale="xavier")
            set_parameters(layers, plan)
        except CheckFailed as failure:
            problem = str(failure)

    output, run_error = None, no_model
    if no_model is None:
        try:
            output = run_student(mlp, X.copy())
        except CheckFailed as failure:
            run_error = f"mlp(X) {failure}"

    with report.part("`mlp` maps circles (m, 2, 1) to probabilities (m, 1, 1): a Sigmoid output", weight=1):
        if run_error:
            raise CheckFailed(run_error)
        if np.shape(output) != (64, 1, 1):
            raise CheckFailed(f"mlp(X) has shape {np.shape(output)}; expected (64, 1, 1)")
        if plan is not None and plan[-1] != ("Sigmoid",):
            raise CheckFailed("the last module of `mlp` is not a Sigmoid, so mlp(X) is no probability")

    with report.part("the gradients of `mlp` with `loss_fn` are exact (what gradient_check verifies)", weight=1):
        if no_model:
            raise CheckFailed(no_model)
        if loss_fn is None:
            raise CheckFailed("define `loss_fn` (e.g. BCELoss())")
        if problem:
            raise CheckFailed(problem)
        if run_error:
            raise CheckFailed(run_error)
        compare_network(mlp, loss_fn, layers, plan, loss, X, Y, output=output)
    return report.finish()


# ------------------------------------------------------------ planted-bug hunt
def _recorded_pass(model, loss_fn, X, Y):
    """One forward and backward pass of `model`; {module name: (its input, the gradient it received,
    the gradient it returned)}."""
    calls = {}
    for name, module in model.modules.items():
        forward, backward = module.forward, module.backward

        def recorded_forward(x, name=name, forward=forward):
            calls[name] = [np.array(x, dtype=float)]
            return forward(x)

        def recorded_backward(dz, name=name, backward=backward):
            result = backward(dz)
            calls[name] += [np.array(dz, dtype=float), np.array(result, dtype=float)]
            return result

        module.forward, module.backward = recorded_forward, recorded_backward
    model.backward(loss_fn.backward(model(X), Y))
    for module in model.modules.values():
        del module.forward, module.backward
    return calls


def _wrong_pieces(model, loss_fn, X, Y):
    """[(piece, c)] of a network of the reference classes: every piece whose gradient is not the exact one
    given what it received ("Dense_2.W", "Dense_2.b", or "Dense_2" for the gradient it returns), and the
    factor c it came out times (least squares: <got, exact> / <exact, exact>)."""
    calls = _recorded_pass(model, loss_fn, X, Y)
    m, wrong = X.shape[0], []
    for name, module in model.modules.items():
        if not isinstance(getattr(module, "W", None), np.ndarray):
            continue
        a_prev, dz, returned = calls[name]
        exact = {f"{name}.W": (module.dW, np.einsum("moi,mni->on", dz, a_prev) / m),
                 f"{name}.b": (module.db, dz.mean(axis=0)), name: (returned, module.W.T @ dz)}
        for piece, (got, value) in exact.items():
            if not gradients_agree(got, value):
                wrong.append((piece, float(np.sum(got * value) / np.sum(value * value))))
    return wrong


def _factor_name(c, m):
    """The name in task2_checks.FACTORS of the factor c, for a batch of m samples."""
    for name, factor in task2_checks.FACTORS.items():
        if abs(c - factor(m)) <= 1e-6 * max(1.0, abs(factor(m))):
            return name
    raise RuntimeError(f"a planted factor {c} is none of {list(task2_checks.FACTORS)} (m = {m})")  # the grader's own


@functools.cache
def planted_answers(student=""):
    """{"A": ("Dense_2.W", "1/m"), "B": ("Dense_3", "2")}: in each of `student`'s mystery networks, the
    wrong piece and the factor its gradient came out times.

    Worked out here: the student's mystery networks are built from the course's reference
    classes, run forward and backward once, and every Linear layer's dW, db and returned gradient
    compared with the exact ones given what it received; exactly one must disagree in each network.
    """
    C = reference_classes()
    state = np.random.get_state()  # the reference Linear draws its W from np.random
    try:
        networks = task2_checks.mystery_networks(C["Linear"], C["ReLU"], C["Sigmoid"], C["BCELoss"], C["Model"],
                                                 student=student)
    finally:
        np.random.set_state(state)
    answers = {}
    for key, (model, loss_fn, X, Y) in networks.items():
        wrong = _wrong_pieces(model, loss_fn, X, Y)
        if len(wrong) != 1:  # the grader's own failure: the mystery networks are not what they should be
            raise RuntimeError(f"mystery network {key} of {student!r} has {len(wrong)} wrong pieces: {wrong}")
        piece, c = wrong[0]
        answers[key] = (piece, _factor_name(c, X.shape[0]))
    return answers


def check_suspects(suspects, points=None, student=None):
    """`suspects` names, for each of the student's mystery networks, the wrong piece and the mistake.

    `suspects` is what `task2_checks.record_suspects` made: {"student": the id the networks were
    drawn for, "A": (where, factor), "B": ...}. `student` is the student's id as the grader knows it
    (their submission folder): the answers are worked out for that id, so a classmate's answers (drawn
    for another id) score nothing. Without it, the id the notebook recorded is used.
    """
    report = Report("Planted-bug hunt", points)
    recorded = suspects.get("student") if isinstance(suspects, dict) else None
    if not isinstance(recorded, str):
        recorded = ""
    answers = planted_answers(recorded if student is None else str(student))
    for key, (piece, factor) in answers.items():
        answer = suspects.get(key) if isinstance(suspects, dict) else None
        where, said = (answer if isinstance(answer, (list, tuple)) and len(answer) == 2 else (answer, None))
        found = isinstance(where, str) and where.strip() == piece
        with report.part(f"network {key}: where", weight=1):
            if student is not None and recorded != str(student):
                raise CheckFailed(f"these answers are for the networks of student id {recorded!r} (STUDENT_ID in "
                                  f"section 7), and yours are drawn for {str(student)!r}: set STUDENT_ID to your id, "
                                  "run section 7 again and hunt in your own networks")
            if not isinstance(where, str) or not where.strip():
                raise CheckFailed(f"give (where, factor), e.g. suspects['{key}'] = ('Dense_1.b', '1/m')")
            if not found:
                raise CheckFailed(f"{where!r} is not the piece whose gradient is wrong")
        with report.part(f"network {key}: which mistake", weight=1):
            if not found:
                raise CheckFailed("find where the bug is first")
            if not isinstance(said, str) or said.strip() != factor:
                raise CheckFailed(f"the gradient of {piece} is not {said!r} times the right one")
    return report.finish()


# The checks the grader runs itself, against the answer cells alone in their own sandbox
# (autograder/trusted.py): test cell -> (answer cell(s), check, class name(s)). Whole networks
# (test_model_network): every answer cell together, the classes passed as a dict.
TRUSTED = {**class_checks_table(vars(task2_checks), check_network),
           "test_numerical_gradient": ("numerical_gradient", task2_checks.check_numerical_gradient,
                                       "numerical_gradient")}
# Answers that are plain data, read from the notebook after it ran and checked here:
# test cell -> (notebook variable, check, answer cell).
TRUSTED_VALUES = {"test_find_bug": ("suspects", check_suspects, "find_bug")}
# Checks of objects the notebook made, run here against stand-ins for them after the notebook
# ran: test cell -> (notebook variables, check).
TRUSTED_NAMESPACE = {"test_model_main": (("mlp", "loss_fn"), check_main)}
# Classes a trusted check builds inside the sandbox, next to the student's object: the
# activations' `_InPlace` hands back the arrays forward and backward were given, as they left them;
# `_InPlaceCost` runs numerical_gradient on a cost that reads its array where it lives.
TRUSTED_HELPERS = {**{test_id: (task2_checks._InPlace,) for test_id in ("test_sigmoid", "test_tanh", "test_relu")},
                   "test_numerical_gradient": (task2_checks._InPlaceCost,)}

# The notebook's experiments: read-only cells whose output feeds no verdict. The grader does not run
# them (the student sees their output in their own notebook); see specs/__init__.py.
EXPERIMENTS = ("activations_plot", "sigmoid_overflow_demo", "gradcheck_eps_plot", "wrapup_plot", "linear_timing")
