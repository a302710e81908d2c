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


# ---------------------------------------------------------------------------- gradient checking
#
# gradient_check measures every piece of a network on its own, with central differences of
# that piece's own forward pass, and then checks that the pieces are chained the way the
# chain rule says. Together that is the whole network's gradient, and a wrong piece is named:
#   - the loss: loss_fn.backward(p, Y) against the derivative of each sample's loss_fn.forward;
#   - each module: the gradient its backward returned against the derivative, with respect
#     to the module's input, of <the gradient it received, module.forward(input)>, and for a
#     module with W and b, dW and db against the derivative of the same (averaged over the
#     batch) with respect to W and b;
#   - the Model: forward runs every module once, first to last, each on the output of the one
#     before it; backward runs them last to first, each on what the module after it returned,
#     and returns what the first one returned.
# Where a central difference cannot be trusted (its one-sided slopes disagree: an input on a
# ReLU kink, rounding in a saturated output, a loss that is clipped), any value between the
# one-sided slopes (plus the rounding noise) is accepted.

_ROUNDING = np.finfo(float).eps  # float64's relative rounding, 2.2e-16
_NOISE = 64  # rounding of a sum of many terms, generously (in units of the rounding of one)
_AGREEMENT = 1e-5  # a central difference is trusted when its one-sided slopes agree this closely
_LOSS_STEPS = (1.0, 1e-3, 1e-6, 1e-9)  # the loss's steps (times epsilon and the prediction's size)


class _Finding:
    """One piece of the network that disagrees with its central differences."""

    def __init__(self, name, difference, message):
        self.name, self.difference, self.message = name, difference, message


class _Diagnosis:
    """What gradient_check found: the overall difference and the wrong pieces, named."""

    def __init__(self):
        self.difference = 0.0
        self.findings = []  # _Finding, in the order of the network (the loss last)
        self.notes = []  # remarks that do not make the gradients wrong
        self.excused = {"kink": 0, "noise": 0, "clipped": 0}  # numbers central differences cannot measure
        self.measured = 0

    def count(self, measured, excused):
        self.measured += measured
        for kind, n in excused.items():
            self.excused[kind] += n

    def suspects(self, threshold=1e-7):
        """The names of the wrong pieces: "Dense_2.W", "Dense_3" (its returned gradient), "loss_fn"..."""
        return [f.name for f in self.findings if f.difference >= threshold]

    def text(self, threshold=1e-7):
        if self.difference < threshold:
            lines = [f"Your backward propagation works perfectly fine! difference = {self.difference}"]
        else:
            lines = [f"There is a mistake in the backward propagation! difference = {self.difference}"]
            lines += ["  " + f.message for f in self.findings if f.difference >= threshold]
        kinds = {"kink": "on a kink (a ReLU input exactly 0)", "noise": "in rounding noise (a saturated unit)",
                 "clipped": "where the loss is clipped (flat)"}
        excused = [f"{n} {kinds[kind]}" for kind, n in self.excused.items() if n]
        if excused:
            lines.append(f"  (of the {self.measured} numbers measured, {', '.join(excused)}: for those any value "
                         "between the one-sided slopes counts as right)")
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


def gradient_check(model, loss_fn, X, Y, epsilon=1e-6, threshold=1e-7, verbose=True):
    """Compare the gradients of backprop with central differences, piece by piece.

    Runs `model.backward(loss_fn.backward(model(X), Y))` once, recording what each module
    received and returned, then measures with central differences (f(x + eps) - f(x - eps)) / 2 eps:
    the loss's gradient (from loss_fn.forward), the gradient each module returns (from its
    forward and the gradient it received) and every dW and db (likewise, averaged over the
    batch). It also checks that Model.forward and Model.backward chain the modules in order.

    Args:
        model: a Module with sub-modules in `model.modules`.
        loss_fn: a loss Module; `loss_fn(pred, Y)` gives per-sample losses (m, 1, 1).
        X: inputs, shape (m, n_features, 1).
        Y: targets, shape (m, n_out, 1).
        epsilon: the step of the central differences.
        threshold: the relative difference below which the check passes.
        verbose: print the verdict and the pieces that disagree.

    Returns:
        float: the largest relative difference ||g - g_num|| / (||g|| + ||g_num||): over all
        parameters together, of each module's returned gradient and of the loss's gradient
        (1.0 for a gradient that is missing or misshapen). Below 1e-7 is what a correct float64
        implementation gets; above 1e-3 means a bug. Where a central difference cannot be
        trusted (a kink, rounding, a clipped loss), an entry of g that lies between the one-sided
        slopes is left out, and one outside them is compared with the nearer one.
    """
    if not parameters_of(model):
        raise ValueError(
            "gradient_check found no parameters: the model has no module with "
            "ndarray attributes W and b (did you add your Linear layers with add_module?)"
        )
    try:
        diagnosis = _diagnose(model, loss_fn, X, Y, epsilon)
    except _StudentCodeFailed as failure:
        if verbose:
            print(f"gradient_check could not run your network: {failure}")
        return 1.0
    if verbose:
        print(diagnosis.text(threshold))
    return diagnosis.difference


class _StudentCodeFailed(Exception):
    """The network's forward or backward raised: the message says where."""


def _run(what, function, *args):
    """Call the network's code; an exception becomes one line that says what raised and where."""
    try:
        return function(*args)
    except Exception as error:  # noqa: BLE001 - any error of the student's code is reported as such
        import traceback

        frames = traceback.extract_tb(error.__traceback__)
        where = f" (line {frames[-1].lineno}: `{(frames[-1].line or '').strip()}`)" if frames else ""
        if isinstance(error, NotImplementedError):
            raise _StudentCodeFailed(f"{what} is not implemented yet (it raises NotImplementedError)") from None
        raise _StudentCodeFailed(f"{what} raised {type(error).__name__}: {error}{where}") from None


def _diagnose(model, loss_fn, X, Y, epsilon=1e-6):
    """Run the network once, recording each module's calls, and measure every piece; a _Diagnosis."""
    children = list((getattr(model, "modules", None) or {type(model).__name__: model}).items())
    diagnosis = _Diagnosis()
    with _Recording(children) as log:
        prediction = _run("the forward pass model(X)", model, X)
        prediction = np.asarray(prediction, dtype=float)
        log.phase = "loss"
        loss_grad = _run("loss_fn.backward", loss_fn.backward, prediction.copy(), Y)
        loss_grad = np.array(loss_grad, dtype=float) if loss_grad is not None else None
        if loss_grad is None or loss_grad.shape != prediction.shape:
            raise _StudentCodeFailed(f"loss_fn.backward returned shape {np.shape(loss_grad)}; the prediction has "
                                     f"shape {prediction.shape}, and so must its gradient")
        log.phase = "backward"
        returned = _run("model.backward", model.backward, loss_grad.copy())
    gradients = {name: (module, attr, getattr(module, "d" + attr, None))  # "Dense_1.W" -> (module, "W", its dW)
                 for name, module, attr in parameters_of(model)}

    calls = _check_chain(children, log, loss_grad, returned, diagnosis)
    with _quietly():
        _check_loss(loss_fn, prediction, Y, loss_grad, epsilon, diagnosis)
        analytic, numeric = [], []
        for name, module in children:
            if name not in calls:
                continue
            a, out, received, returned_k = calls[name]
            _check_module(name, module, a, out, received, returned_k, children, epsilon, diagnosis)
            for attr in ("W", "b"):
                key = f"{name}.{attr}"
                if key in gradients:
                    pair = _check_parameter(key, gradients[key], module, a, received, epsilon, diagnosis)
                    if pair is not None:
                        analytic.append(pair[0])
                        numeric.append(pair[1])
        overall = _relative(np.concatenate(analytic), np.concatenate(numeric)) if analytic else 0.0
        diagnosis.difference = max([overall] + [f.difference for f in diagnosis.findings])
        # Leave the network as one forward and backward pass leaves it (caches, dW and db).
        _run("the forward pass model(X)", model, X)
        _run("model.backward", model.backward, loss_grad.copy())
    return diagnosis


class _Recording:
    """Wraps every module's forward and backward to log what they received and returned.

    Only the calls of the phase they belong to are logged: a backward that runs its own forward
    again (to recompute its output) does not count as a call of Model.forward.
    """

    def __init__(self, children):
        self.children = children
        self.phase = "forward"  # then "backward", set by the caller
        self.forward, self.backward = [], []  # (name, input snapshot, the input, output snapshot, output)
        self._saved = []

    def __enter__(self):
        for name, module in self.children:
            for method in ("forward", "backward"):
                own = method in getattr(module, "__dict__", {})
                original = getattr(module, method)
                try:
                    setattr(module, method, self._wrap(name, method, original))
                except (AttributeError, TypeError):
                    continue
                self._saved.append((module, method, own, original))
        return self

    def _wrap(self, name, method, original):
        def recorded(*args, **kwargs):
            if self.phase != method:
                return original(*args, **kwargs)
            first = args[0] if args else None
            before = _snapshot(first)
            result = original(*args, **kwargs)
            getattr(self, method).append((name, before, first, _snapshot(result), result))
            return result

        return recorded

    def __exit__(self, *exc):
        for module, method, own, original in reversed(self._saved):
            if own:
                setattr(module, method, original)
            else:
                delattr(module, method)


def _snapshot(value):
    try:
        return None if value is None else np.array(value, dtype=float, copy=True)
    except (TypeError, ValueError):
        return None


def _same(a, b):
    return a is not None and b is not None and a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-12, atol=0))


def _check_chain(children, log, loss_grad, returned, diagnosis):
    """Model.forward and Model.backward chain the modules in order; {name: (a, z, received, returned)}
    of the modules whose calls can be measured."""
    names = [name for name, _ in children]
    forward_names = [entry[0] for entry in log.forward]
    backward_names = [entry[0] for entry in log.backward]
    problems = []
    if forward_names != names:
        problems.append(("Model.forward", f"Model.forward called the modules' forward in the order {forward_names}; "
                         f"expected each once, in the order they were added: {names}"))
    if backward_names != names[::-1]:
        missing = [n for n in names if n not in backward_names]
        detail = f" (never {', '.join(missing)})" if missing else ""
        problems.append(("Model.backward", f"Model.backward called the modules' backward in the order "
                         f"{backward_names}{detail}; expected each once, last to first: {names[::-1]}"))
    forward = {entry[0]: entry for entry in log.forward}
    backward = {entry[0]: entry for entry in log.backward}
    if not problems:
        upstream = loss_grad
        for name in names[::-1]:
            if not _same(backward[name][1], upstream):
                problems.append(("Model.backward", f"Model.backward did not hand {name}.backward the gradient "
                                 f"{'from the loss' if upstream is loss_grad else 'returned by the module after it'}: "
                                 "each module must receive what the module after it returned"))
                break
            upstream = backward[name][3]
        first = backward[names[0]][3]
        if returned is None:
            problems.append(("Model.backward", "Model.backward returns None: it must return the gradient with "
                             "respect to the input X (what the first module returned)"))
        elif not _same(_snapshot(returned), first):
            problems.append(("Model.backward", "Model.backward does not return what the first module returned "
                             "(the gradient with respect to X)"))
    for where, message in problems:
        diagnosis.findings.append(_Finding(where, 1.0, message))
    for name, (_, before, live, _, _) in forward.items():
        if isinstance(live, np.ndarray) and before is not None and not _same(_snapshot(live), before):
            diagnosis.notes.append(f"{name} changed its input in place (the array it was given): compute a new "
                                   "array instead (the module before it, or your data X, may still need it)")
    for name, (_, before, live, _, _) in backward.items():
        if isinstance(live, np.ndarray) and before is not None and not _same(_snapshot(live), before):
            diagnosis.notes.append(f"{name}.backward changed the gradient it received in place: return a new array")
    float32 = sorted({entry[0] for entry in log.forward + log.backward if isinstance(entry[4], np.ndarray)
                      and entry[4].dtype == np.float32})
    if float32:
        diagnosis.notes.append(f"{', '.join(float32)} compute in float32: gradient checks (and this course) need "
                               "float64, whose rounding is 10^9 times smaller")
    if [p for p in problems if p[0] == "Model.forward"] or set(backward) != set(names):
        return {}
    return {name: (forward[name][1], forward[name][3], backward[name][1], backward[name][3]) for name in names}


class _quietly:
    """Silence prints and floating-point warnings of the network's code while it is measured."""

    def __enter__(self):
        import contextlib
        import io
        import warnings

        self._stack = contextlib.ExitStack()
        self._stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
        self._stack.enter_context(np.errstate(all="ignore"))
        self._stack.enter_context(warnings.catch_warnings())
        warnings.simplefilter("ignore")
        return self

    def __exit__(self, *exc):
        return self._stack.__exit__(*exc)


def _slopes(values, steps, scale, reach=1.0):
    """What central differences tell about each entry, from its values at -2h, -h, 0, h, 2h.

    `steps` holds the actual steps (-2h, -h, h, 2h) as float64 rounded them. The rounding noise is
    that of the values (`scale`: the size of the terms they add up) and that of the numbers the
    nudged input meets inside the forward pass (`reach`: their size, e.g. the 1 of log(1 - p)).
    Returns (the central differences with steps h and 2h extrapolated to step 0, the gap between
    those two, how far the one-sided slopes part unlike a smooth function's, the lowest and the
    highest one-sided slope, the rounding noise of a slope).
    """
    m2, m1, f0, p1, p2 = values
    s_m2, s_m1, s_p1, s_p2 = steps
    right, left = (p1 - f0) / s_p1, (f0 - m1) / -s_m1
    right2, left2 = (p2 - f0) / s_p2, (f0 - m2) / -s_m2
    central, central2 = (p1 - m1) / (s_p1 - s_m1), (p2 - m2) / (s_p2 - s_m2)
    # Smooth: the one-sided slopes part in proportion to the step (by h f''); at a kink they part by
    # the jump of the slope, whatever the step.
    kink = np.abs((right2 - left2) - 2 * (right - left)) - 0.25 * np.abs(right2 - left2)
    one_sided = np.stack([right, left, right2, left2])
    noise = _NOISE * _ROUNDING * (np.abs(f0) + scale + np.abs(central) * reach) / np.minimum(s_p1, -s_m1)
    # Richardson's extrapolation cancels the h^2 term of the central difference's error.
    extrapolated = (4 * central - central2) / 3
    return extrapolated, np.abs(central - central2), kink, one_sided.min(axis=0), one_sided.max(axis=0), noise


def _compared(g, central, gap, kink, low, high, noise, flat=None):
    """The analytic entries `g` and the numerical values they are compared with, both restricted to the
    entries that tell something; and how many entries were excused.

    Where the central difference can be trusted (halving the step changes it by little next to
    the slope and the group's median slope, and the one-sided slopes part as a smooth function's do) the numerical
    value is the central difference. Elsewhere (a kink, rounding noise) any value between the
    lowest and the highest one-sided slope, widened by the noise, is right: an entry of g in there
    is excused (left out, so that it does not water down the difference of the others); one
    outside is compared with the nearer end. Where the function is flat (`flat`: its values do not
    change at all, e.g. a clipped loss) every g is excused.
    """
    typical = float(np.median(np.abs(central))) if np.size(central) else 0.0  # not swayed by a few huge ones
    allowed = _AGREEMENT * (np.abs(central) + typical)
    trusted = (gap + 2 * noise <= allowed) & (kink <= 8 * noise + allowed)
    nearest = np.clip(g, low - noise, high + noise)
    estimate = np.where(trusted, central, nearest)
    excused = ~trusted & (nearest == g) & (g != central)
    clipped = flat & (g != central) if flat is not None else np.zeros(np.shape(g), dtype=bool)
    at_kink = excused & ~clipped & (kink > 8 * noise + allowed)
    counts = {"kink": int(np.count_nonzero(at_kink)), "clipped": int(np.count_nonzero(clipped)),
              "noise": int(np.count_nonzero(excused & ~clipped & ~at_kink))}
    keep = ~(excused | clipped)
    return g[keep], estimate[keep], counts


def _relative(a, b):
    """||a - b|| / (||a|| + ||b||), 0.0 when both are zero, 1.0 when a is not finite."""
    a, b = np.ravel(a), np.ravel(b)
    if not np.all(np.isfinite(a)):
        return 1.0
    denominator = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denominator == 0 else float(np.linalg.norm(a - b) / denominator)


def _stencil(evaluate, x, at, h, f0):
    """evaluate(x) with x[at] nudged by -2h, -h, 0 (f0), h, 2h; and the steps as float64 rounded them."""
    steps = [(x[at] + k * h) - x[at] for k in (-2, -1, 1, 2)]
    values = []
    for step in steps:
        nudged = x.copy()
        nudged[at] = nudged[at] + step
        values.append(evaluate(nudged))
    return [values[0], values[1], f0, values[2], values[3]], steps


def _check_loss(loss_fn, prediction, Y, loss_grad, epsilon, diagnosis):
    """loss_fn.backward against the derivative of each sample's loss, for every output."""
    m = prediction.shape[0]

    def losses(p):
        value = np.asarray(loss_fn(p, Y), dtype=float)
        if value.size != m:
            raise _StudentCodeFailed(f"loss_fn(prediction, Y) returned shape {value.shape}; a loss gives one number "
                                     "per sample, shape (m, 1, 1)")
        return value.reshape(m)

    f0 = _run("loss_fn.forward", losses, prediction.copy())
    measured = [np.empty(loss_grad.shape) for _ in range(7)]  # what _slopes tells, and clipped
    for index in np.ndindex(prediction.shape[1:]):
        at = (slice(None),) + index
        best, clipped = None, np.zeros(f0.shape, dtype=bool)
        for factor in _LOSS_STEPS:  # the loss may curve sharply (log p near 0): the step that measures best
            reach = np.maximum(np.abs(prediction[at]), 1.0)
            values, steps = _stencil(lambda p: _run("loss_fn.forward", losses, p), prediction, at,
                                     epsilon * factor * reach, f0)
            slopes = _slopes(values, steps, np.abs(f0), reach)
            width = (slopes[1] + slopes[4] - slopes[3] + 2 * slopes[5]) / (np.abs(slopes[0]) + 1e-300)
            better = width < best[0] if best is not None else np.ones(width.shape, dtype=bool)
            best = [np.where(better, new, old) for new, old in zip((width,) + slopes, best or (width,) + slopes)]
            # Clipped within reach: the loss stops changing on one side (at a clip, one-sided slopes
            # do not bracket the slope of a loss that curves as sharply as log(1 - p) next to it).
            clipped |= (values[0] == values[1]) | (values[3] == values[4])
        for array, value in zip(measured, best[1:] + [clipped]):
            array[at] = value
    analytic, numeric, excused = _compared(loss_grad, *measured[:6], flat=measured[6].astype(bool))
    difference = _relative(analytic, numeric)
    diagnosis.count(loss_grad.size, excused)
    name = f"{type(loss_fn).__name__}.backward"
    diagnosis.findings.append(_Finding("loss_fn", difference, f"{name} (loss_fn): difference = {difference:.6g}  <-- "
                                       "check the loss's gradient: every gradient of the network starts from it"))


def _check_module(name, module, a, out, received, returned, children, epsilon, diagnosis):
    """The gradient `module` returned against the derivative of <received, forward(input)>."""
    if a is None or received is None:
        return
    if returned is None or returned.shape != a.shape:
        diagnosis.findings.append(_Finding(name, 1.0, f"{name}.backward returned shape {np.shape(returned)}; its "
                                           f"input had shape {a.shape}, and so must the gradient it returns"))
        return
    if out is None or out.shape != received.shape:
        return  # the module's output and the gradient it received differ in shape: Model's problem
    m = a.shape[0]

    def per_sample(x):
        output = np.asarray(_run(f"{name}.forward", module.forward, x), dtype=float)
        return np.sum((received * output).reshape(m, -1), axis=1)

    f0 = per_sample(a.copy())
    scale = np.sum(np.abs(received * out).reshape(m, -1), axis=1)
    measured = [np.empty(returned.shape) for _ in range(6)]  # what _slopes tells
    for index in np.ndindex(a.shape[1:]):
        at = (slice(None),) + index
        reach = np.maximum(np.abs(a[at]), 1.0)
        values, steps = _stencil(per_sample, a, at, epsilon * reach, f0)
        for array, value in zip(measured, _slopes(values, steps, scale, reach)):
            array[at] = value
    analytic, numeric, excused = _compared(returned, *measured)
    difference = _relative(analytic, numeric)
    diagnosis.count(returned.size, excused)
    names = [n for n, _ in children]
    below = [f"{n}.{attr}" for n, child in children[:names.index(name)] for attr in ("W", "b")
             if isinstance(getattr(child, attr, None), np.ndarray)]
    message = f"{name} returns a wrong gradient: difference = {difference:.6g}  <-- check what {name}.backward returns"
    if below:
        message += f"\n    (the modules before it receive it: {', '.join(below)} are computed from a wrong gradient)"
    diagnosis.findings.append(_Finding(name, difference, message))


def _check_parameter(key, gradient, module, a, received, epsilon, diagnosis):
    """d<W or b> against the derivative of mean_i <received_i, forward(a)_i>; (analytic, numerical) or None."""
    _, attr, grad = gradient
    value = getattr(module, attr)
    if grad is None:
        diagnosis.findings.append(_Finding(key, 1.0, f"{key}: d{attr} is missing (backward did not store it)"))
        return None
    try:
        grad = np.array(grad, dtype=float)
    except (TypeError, ValueError):
        diagnosis.findings.append(_Finding(key, 1.0, f"{key}: d{attr} is not an array of numbers"))
        return None
    if grad.shape != value.shape:
        diagnosis.findings.append(_Finding(key, 1.0, f"{key}: d{attr} has shape {grad.shape} but {attr} has shape "
                                           f"{value.shape}"))
        return None
    if a is None or received is None:
        return None
    m = a.shape[0]

    def cost():
        output = _run(f"{key.split('.')[0]}.forward", module.forward, a.copy())
        return float(np.sum(received * np.asarray(output, dtype=float))) / m

    f0 = cost()
    scale = float(np.sum(np.abs(received * np.asarray(module.forward(a.copy()), dtype=float)))) / m
    values = {k: np.empty(value.shape) for k in (-2, -1, 1, 2)}
    steps = {k: np.empty(value.shape) for k in (-2, -1, 1, 2)}
    for index in np.ndindex(value.shape):
        original = value[index]
        h = epsilon * max(abs(original), 1.0)
        for k in (-2, -1, 1, 2):
            value[index] = original + k * h
            steps[k][index] = value[index] - original  # the step as float64 rounded it
            values[k][index] = cost()
        value[index] = original
    ordered = [values[-2], values[-1], np.full(value.shape, f0), values[1], values[2]]
    reach = np.maximum(np.abs(value), 1.0)
    g, estimate, excused = _compared(grad, *_slopes(ordered, [steps[k] for k in (-2, -1, 1, 2)], scale, reach))
    difference = _relative(g, estimate)
    diagnosis.count(grad.size, excused)
    message = f"{key}: difference = {difference:.6g}  <-- check this gradient"
    diagnosis.findings.append(_Finding(key, difference, message))
    return g, estimate
