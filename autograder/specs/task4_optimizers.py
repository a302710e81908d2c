"""Grader-only spec of task4_optimizers (see autograder/specs/__init__.py).

The optimizer and initialization cells are graded by the student's self-checks
(checks/task4_checks.py) with the grader's seeds: every expected parameter there is
computed from the grader's numbers with the update rules, never read from the student.
`check_adam_spiral` builds its network inside the student's sandbox from the given
framework classes (TRUSTED_HELPERS) and judges the trained weights with its own forward
pass. The rest is the grader's own and never shipped:

- `check_predictions` (test_predictions): the student's `predictions` (the dict the answer
  cell stores from `my_predictions()`, read as plain data after the notebook ran) against
  what the grader measures itself, by running the reference update rules and a reference
  10-layer network. No answer key is stored anywhere.
"""

import numpy as np

from scoring import CheckFailed, Report
from task4_checks import (
    PREDICTION_KEYS,
    TRENDS,
    _Fit,
    _Layer,
    _NoParameters,
    check_adam,
    check_adam_spiral,
    check_he_init,
    check_momentum,
    check_rmsprop,
    check_xavier_init,
    simulate,
)

PREDICTION_RTOL = 0.02  # a prediction within 2 % of the measured value is right


def _step_size(kind, steps, bug=None, per_gradient=False, **hyper):
    """|theta change| / lr (/ g, when `per_gradient`) of the last of `steps` steps on a constant
    gradient g, lr = 1."""
    g = np.array([[0.37]])
    after = simulate(kind, {"theta": np.zeros((1, 1))}, [{"theta": g}] * steps, 1.0, bug=bug, **hyper)
    before = after[-2]["theta"] if steps > 1 else np.zeros((1, 1))
    size = float(abs(after[-1]["theta"] - before)[0, 0])
    return size / float(g[0, 0]) if per_gradient else size


def _relu_xavier_trend(width=100, depth=10, m=500, seed=0):
    """Whether the activations' std grows, shrinks or stays through a deep Xavier ReLU network."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((m, width, 1))
    stds = []
    for _ in range(depth):
        W = rng.standard_normal((width, width)) * np.sqrt(2.0 / (2 * width))
        a = np.maximum(W @ a, 0.0)
        stds.append(a.std())
    ratio = stds[-1] / stds[0]
    return "grows" if ratio > 2 else "shrinks" if ratio < 0.5 else "stays"


def measured_answers():
    """{question: the value the grader measures with its own reference code}."""
    return {
        "momentum_terminal_step": _step_size("momentum", 300, per_gradient=True, beta=0.9),
        "rmsprop_first_step": _step_size("rmsprop", 1, beta=0.99, eps=1e-8),
        "adam_first_step": _step_size("adam", 1),
        "adam_first_step_uncorrected": _step_size("adam", 1, bug="no_correction"),
        "relu_xavier_trend": _relu_xavier_trend(),
    }


def check_predictions(predictions, points=None):
    """The predictions, each against the grader's own measurement."""
    report = Report("predictions", points)
    answers = measured_answers()
    for key, kind in PREDICTION_KEYS.items():
        with report.part(f"predictions[{key!r}]"):
            if not isinstance(predictions, dict) or key not in predictions:
                raise CheckFailed("missing")
            value = predictions[key]
            if kind is str:
                if value not in TRENDS:
                    raise CheckFailed(f"{value!r} is not one of {TRENDS}")
                if value != answers[key]:
                    raise CheckFailed("not what the measurement in section 11 shows")
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
                raise CheckFailed(f"{value!r} is not a number")
            if abs(value - answers[key]) > PREDICTION_RTOL * abs(answers[key]):
                raise CheckFailed("not what the update rule gives (work it out from the formulas of the lesson)")
    return report.finish()


# The checks the grader runs itself, against the answer cell alone in its own sandbox
# (autograder/trusted.py): test cell -> (answer cell, check, class or function name).
TRUSTED = {
    "test_momentum": ("momentum", check_momentum, "Momentum"),
    "test_rmsprop": ("rmsprop", check_rmsprop, "RMSProp"),
    "test_adam": ("adam", check_adam, "Adam"),
    "test_adam_spiral": ("adam", check_adam_spiral, "Adam"),
    "test_xavier_init": ("xavier_init", check_xavier_init, "xavier_init"),
    "test_he_init": ("he_init", check_he_init, "he_init"),
}
# Plain-data answers, read from the notebook after it ran: test cell -> (variable, check, answer cell).
TRUSTED_VALUES = {"test_predictions": ("predictions", check_predictions, "predictions")}
# Classes a trusted check builds inside the sandbox (their source is defined there before the
# answer cell; a name alone is one the sandbox already has), passed to it as `helpers`.
_STAND_INS = ("Module", _Layer, _NoParameters)
TRUSTED_HELPERS = {
    "test_momentum": _STAND_INS,
    "test_rmsprop": _STAND_INS,
    "test_adam": _STAND_INS,
    "test_xavier_init": _STAND_INS,
    "test_he_init": _STAND_INS,
    "test_adam_spiral": ("Linear", "ReLU", "Sigmoid", "BCELoss", "Model", _Fit),
}
# The notebook's experiments: read-only cells whose output feeds no verdict. The grader does not run
# them (the student sees their output in their own notebook); see specs/__init__.py.
EXPERIMENTS = ("valley", "race", "sweep", "signal", "reveal")
