"""Grader-only spec of task6_digits (see autograder/specs/__init__.py).

The five answer cells are graded by the student's self-checks (checks/task6_checks.py) with
the grader's seeds: every expected value there is computed from the check's own logits,
probabilities and labels with the lesson's formulas, never read from the student. Helpers
built inside the sandbox let the checks use the given Linear and Model next to the student's
Softmax, and hand the student's `one_hot` integer labels (arrays cross the wall as float64)
and tell the dtype of what `predict` returns.

`check_trained_mlp` (test_softmax_cross_entropy_digits) reads the weights of the `mlp` the
notebook trained with the student's SoftmaxCrossEntropy and evaluates them here, with the
check's own forward pass on the grader's own copy of the test split: no accuracy the notebook
reports is used.
"""

from task6_checks import (
    _OneHotCall,
    _PredictCall,
    check_cross_entropy,
    check_digits_network,
    check_one_hot,
    check_predict,
    check_softmax,
    check_softmax_cross_entropy,
)


def check_trained_mlp(namespace, points=None):
    """The notebook's trained `mlp` (a stand-in for it, after the notebook ran), judged by its weights."""
    return check_digits_network(namespace.get("mlp"), points=points)


# The checks the grader runs itself, against the answer cell alone in its own sandbox
# (autograder/trusted.py): test cell -> (answer cell, check, class or function name).
TRUSTED = {
    "test_softmax": ("softmax", check_softmax, "Softmax"),
    "test_cross_entropy": ("cross_entropy", check_cross_entropy, "CrossEntropyLoss"),
    "test_softmax_cross_entropy": ("softmax_cross_entropy", check_softmax_cross_entropy, "SoftmaxCrossEntropy"),
    "test_one_hot": ("one_hot", check_one_hot, "one_hot"),
    "test_predict": ("predict", check_predict, "predict"),
}
# Checks of objects the notebook made, run here against stand-ins for them after the notebook
# ran: test cell -> (notebook variables, check).
TRUSTED_NAMESPACE = {"test_softmax_cross_entropy_digits": (("mlp",), check_trained_mlp)}
# Classes a trusted check builds inside the sandbox (their source is defined there before the
# answer cell; a name alone is one the sandbox already has), passed to it as `helpers`.
TRUSTED_HELPERS = {
    "test_softmax": ("Linear", "Model"),
    "test_one_hot": (_OneHotCall,),
    "test_predict": (_PredictCall,),
}
# The notebook's experiments: read-only cells whose output feeds no verdict. The grader does not run
# them (the student sees their output in their own notebook); see specs/__init__.py.
EXPERIMENTS = ("confusion", "mistakes", "weights", "baseline")
