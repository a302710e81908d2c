"""The course framework's base class and its gradient checker.

Every layer, activation, loss and whole network in this course is a `Module`.
A batch is a stack of column vectors: `X` has shape `(m, n_features, 1)`.

This file is shared by every assignment: it lives once at the repository root and
is copied into each assignment folder by `python -m autograder release`.
"""

from collections import OrderedDict

import numpy as np

__all__ = ["Module", "gradient_check", "parameters_of"]


class Module:
    """Base class of every building block (layer, activation, loss, model).

    A module computes its output in `forward` and, in `backward`, turns the
    gradient of the loss with respect to its output into the gradient with
    respect to its input. Calling a module runs its `forward`:
    `module(x)` is `module.forward(x)`.

    Sub-modules are kept, in the order they were added, in `self.modules`.
    `self.training` says whether the module is training (the default) or being
    evaluated; only modules that act differently while training (Dropout) read it.
    """

    training = True

    def __init__(self):
        self.modules = OrderedDict()

    def train(self, mode=True):
        """Put this module and all its sub-modules in training mode (`mode=False`: evaluation).

        Like PyTorch's `model.train()`; returns the module, so `model.train().forward(X)` works.
        """
        self.training = bool(mode)
        for module in (getattr(self, "modules", None) or {}).values():
            if isinstance(module, Module):
                module.train(mode)
        return self

    def eval(self):
        """Evaluation mode for this module and all its sub-modules (PyTorch's `model.eval()`)."""
        return self.train(False)

    def add_module(self, module, name):
        """Append `module` under `name`; `forward` of a Model visits them in this order."""
        if not isinstance(name, str):
            raise TypeError(f"module name must be a string, got {type(name).__name__}")
        if name in self.modules:
            raise KeyError(f"a module named {name!r} was already added")
        self.modules[name] = module
        return module

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def backward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__}.backward is not implemented")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def __repr__(self):
        if not getattr(self, "modules", None):
            return f"{type(self).__name__}()"
        lines = [f"  ({name}): {module!r}" for name, module in self.modules.items()]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"


def parameters_of(model):
    """List `(name, module, attribute)` for every trainable array of `model`.

    A module has parameters when it has ndarray attributes `W` and `b` (a Linear
    layer); their gradients are expected in `dW` and `db`. The name is
    `"<module name>.W"`, e.g. `"Dense_2.W"`. A model without sub-modules that
    has `W` itself is reported under its class name.
    """
    children = getattr(model, "modules", None) or {type(model).__name__: model}
    found = []
    for name, module in children.items():
        for attr in ("W", "b"):
            if isinstance(getattr(module, attr, None), np.ndarray):
                found.append((f"{name}.{attr}", module, attr))
    return found


def _batch_loss(model, loss_fn, X, Y):
    """The scalar J = mean over the batch of the per-sample losses."""
    return float(np.mean(loss_fn(model(X), Y)))


def gradient_check(model, loss_fn, X, Y, epsilon=1e-6, threshold=1e-7, verbose=True):
    """Compare the gradients of backprop with central differences of the loss.

    Runs `model.backward(loss_fn.backward(model(X), Y))` once to get every
    analytic gradient (`dW`, `db` of each module that has `W`, `b`), then
    perturbs every parameter entry by +/- epsilon and measures
    (J(theta + eps) - J(theta - eps)) / (2 eps), where J is the batch-mean loss.

    Args:
        model: a Module with sub-modules in `model.modules`.
        loss_fn: a loss Module; `loss_fn(pred, Y)` gives per-sample losses (m, 1, 1).
        X: inputs, shape (m, n_features, 1).
        Y: targets, shape (m, n_out, 1).
        epsilon: the step of the central difference.
        threshold: the relative difference below which the check passes.
        verbose: print the verdict and the parameters that disagree.

    Returns:
        float: the relative difference ||g - g_num|| / (||g|| + ||g_num||) over all
        parameters together (0.0 when both are zero). Below 1e-7 is what a
        correct float64 implementation gets; above 1e-3 means a bug.
    """
    params = parameters_of(model)
    if not params:
        raise ValueError(
            "gradient_check found no parameters: the model has no module with "
            "ndarray attributes W and b (did you add your Linear layers with add_module?)"
        )

    prediction = model(X)
    model.backward(loss_fn.backward(prediction, Y))

    analytic, numeric, report = [], [], []
    for name, module, attr in params:
        value = getattr(module, attr)
        grad = getattr(module, "d" + attr, None)
        problem = None
        if grad is None:
            problem = f"{name}: d{attr} is missing (backward did not store it)"
        else:
            grad = np.asarray(grad, dtype=float)
            if grad.shape != value.shape:
                problem = f"{name}: d{attr} has shape {grad.shape} but {attr} has shape {value.shape}"
        numeric_grad = _numeric_gradient(model, loss_fn, X, Y, value, epsilon)
        if problem is not None:
            report.append((name, 1.0, problem))
            # A wrong shape counts as entirely wrong in the overall difference.
            analytic.append(np.zeros_like(numeric_grad).ravel())
            numeric.append(numeric_grad.ravel())
            continue
        analytic.append(grad.ravel())
        numeric.append(numeric_grad.ravel())
        report.append((name, _relative_difference(grad, numeric_grad), None))

    difference = _relative_difference(np.concatenate(analytic), np.concatenate(numeric))
    if any(problem for _, _, problem in report):
        difference = max(difference, 1.0)

    if verbose:
        if difference < threshold:
            print(f"Your backward propagation works perfectly fine! difference = {difference}")
        else:
            print(f"There is a mistake in the backward propagation! difference = {difference}")
            for name, diff, problem in report:
                if problem is not None:
                    print(f"  {problem}")
                elif diff >= threshold:
                    print(f"  {name}: difference = {diff:.3g}  <-- check this gradient")
    return difference


def _numeric_gradient(model, loss_fn, X, Y, value, epsilon):
    """Central differences of the batch-mean loss for every entry of `value` (in place)."""
    grad = np.zeros(value.shape, dtype=float)
    for index in np.ndindex(value.shape):
        original = value[index]
        value[index] = original + epsilon
        plus = _batch_loss(model, loss_fn, X, Y)
        value[index] = original - epsilon
        minus = _batch_loss(model, loss_fn, X, Y)
        value[index] = original
        grad[index] = (plus - minus) / (2 * epsilon)
    return grad


def _relative_difference(a, b):
    """||a - b|| / (||a|| + ||b||), defined as 0.0 when both are zero."""
    a = np.asarray(a, dtype=float).ravel()
    b = np.asarray(b, dtype=float).ravel()
    denominator = np.linalg.norm(a) + np.linalg.norm(b)
    if denominator == 0:
        return 0.0
    if not np.all(np.isfinite(a)):
        return 1.0
    return float(np.linalg.norm(a - b) / denominator)
