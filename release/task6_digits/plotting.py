"""Plots for two-dimensional classification in the course layout.

Works with any model that follows the course API: a callable `model(X)` that takes
a batch X of shape (k, 2, 1) and returns either

    (k, 1, 1): one probability (or score) per point, thresholded for binary labels, or
    (k, C, 1): one score per class for C classes; the prediction is the argmax.

The data is X of shape (m, 2, 1) and Y of shape (m, 1, 1) holding class labels
0, 1, ... (see `dataset.py`); one-hot labels of shape (m, C, 1) are accepted too.

Every function draws into `ax` when given, otherwise into a new figure, and
returns the Axes. They only need a non-interactive backend (Agg) to run.
"""

import math
import numbers
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.ticker import MaxNLocator

__all__ = ["plot_dataset", "plot_decision_boundary", "plot_history"]

# Points of the decision-boundary grid given to the model at once: 10_000 points
# keep every intermediate activation of a 2-100-100-1 network below ~10 MB.
GRID_CHUNK = 10_000

# Binary plots: probability 0 -> blue, 1 -> red; the points use the dark ends.
_BINARY_CMAP = "RdBu_r"
_BINARY_COLORS = ("#2166ac", "#b2182b")


# ----------------------------------------------------------------------------
# Input checks
# ----------------------------------------------------------------------------


def _check_X(X):
    """Return X as a float64 array of shape (m, 2, 1) or raise a ValueError with a hint."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 3 and X.shape[1:] == (2, 1) and X.shape[0] > 0:
        return X
    message = f"X must have shape (m, 2, 1); got {X.shape}"
    if X.ndim == 2 and X.shape[1] == 2:
        message += f". Hint: use X.reshape({X.shape[0]}, 2, 1)"
    elif X.ndim == 2 and X.shape[0] == 2:
        message += f". Hint: X looks transposed; use X.T.reshape({X.shape[1]}, 2, 1)"
    elif X.ndim == 3 and X.shape[1:] == (1, 2):
        message += f". Hint: these are row vectors; use X.reshape({X.shape[0]}, 2, 1)"
    else:
        message += " (a stack of m column vectors with 2 features each)"
    raise ValueError(message)


def _labels_from(Y, m):
    """Integer class labels, shape (m,), from Y of shape (m, 1, 1) or one-hot (m, C, 1)."""
    Y = np.asarray(Y, dtype=np.float64)
    if Y.ndim != 3 or Y.shape[0] != m or Y.shape[2] != 1:
        message = f"Y must have shape ({m}, 1, 1) to match X with {m} samples; got {Y.shape}"
        if Y.size == m:
            message += f". Hint: use Y.reshape({m}, 1, 1)"
        raise ValueError(message)
    if Y.shape[1] > 1:
        # One-hot columns: the class is the position of the largest entry.
        return np.argmax(Y[:, :, 0], axis=1)
    labels = Y[:, 0, 0]
    valid = np.isfinite(labels) & (labels >= 0) & (labels == np.round(labels))
    if not np.all(valid):
        bad = labels[~valid]
        raise ValueError(
            "Y must hold class labels 0, 1, ... (e.g. 0.0 and 1.0); "
            f"got the value {bad[0]!r}. Plot labels, not predicted probabilities"
        )
    return labels.astype(int)


def _colors(n_classes):
    """One color per class: blue/red for binary problems, tab10 for more classes."""
    if n_classes <= 2:
        return list(_BINARY_COLORS)
    tab10 = plt.get_cmap("tab10").colors
    return [tab10[i % len(tab10)] for i in range(n_classes)]


def _new_axes(ax):
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    return ax


def _scatter(ax, X, labels, colors):
    """Scatter every class present in `labels` with its color."""
    for c in np.unique(labels):
        mask = labels == c
        ax.scatter(
            X[mask, 0, 0],
            X[mask, 1, 0],
            s=20,
            color=colors[c],
            edgecolors="white",
            linewidths=0.5,
            label=f"class {c}",
        )
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.legend(loc="best", fontsize="small", framealpha=0.8)


# ----------------------------------------------------------------------------
# Public functions
# ----------------------------------------------------------------------------


def plot_dataset(X, Y, ax=None, title=None):
    """Scatter plot of the samples, one color per class.

    Args:
        X: inputs, shape (m, 2, 1).
        Y: labels, shape (m, 1, 1), with values 0, 1, ... (or one-hot, shape (m, C, 1)).
        ax: matplotlib Axes to draw into; a new figure when None.
        title: optional title of the Axes.

    Returns:
        The matplotlib Axes.
    """
    X = _check_X(X)
    labels = _labels_from(Y, len(X))
    ax = _new_axes(ax)
    _scatter(ax, X, labels, _colors(int(labels.max()) + 1))
    ax.set_aspect("equal", adjustable="datalim")
    if title is not None:
        ax.set_title(title)
    return ax


def _shape_hint(out_shape, k):
    """A guess at what went wrong when the model returned `out_shape` for k points."""
    if len(out_shape) == 2 and out_shape[0] == k:
        return "It looks like the trailing axis of the column vectors was dropped. "
    if len(out_shape) == 3 and out_shape[0] != k and out_shape[1] == k:
        return "The batch axis should come first: were two axes swapped? "
    if len(out_shape) == 0 or out_shape[0] != k:
        return f"There must be one output per grid point ({k} along the first axis). "
    return ""


def _predict_grid(model, grid):
    """Run `model` on `grid` (k, 2, 1) in chunks; return its outputs, shape (k, C)."""
    k = len(grid)
    outputs = []
    for start in range(0, k, GRID_CHUNK):
        chunk = grid[start : start + GRID_CHUNK]
        n = len(chunk)
        # Saturated sigmoids overflow exp() far from the data; that is expected here.
        with np.errstate(over="ignore", under="ignore"):
            out = model(chunk)
        if out is None:
            raise ValueError(
                f"model returned None for a grid of shape {chunk.shape}; expected an array of "
                f"shape ({n}, 1, 1) - did you forget `return` at the end of forward?"
            )
        try:
            out = np.asarray(out, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                f"model returned a {type(out).__name__} that is not a numeric array for a grid "
                f"of shape {chunk.shape}; expected an array of shape ({n}, 1, 1)"
            ) from None
        if out.ndim != 3 or out.shape[0] != n or out.shape[2] != 1:
            raise ValueError(
                f"model returned shape {out.shape} for a grid of shape {chunk.shape}; expected "
                f"({n}, 1, 1), or ({n}, C, 1) for C classes. {_shape_hint(out.shape, n)}"
                "Does your Model.forward return the last module's output?"
            )
        if not np.all(np.isfinite(out)):
            n_nan = int(np.isnan(out).sum())
            n_inf = int(np.isinf(out).sum())
            raise ValueError(
                f"model returned {n_nan} NaN and {n_inf} inf values for a grid of shape "
                f"{chunk.shape}. Check your activations for overflow (e.g. use a numerically "
                "stable sigmoid) and whether training diverged (loss becoming nan)"
            )
        outputs.append(out[:, :, 0])
    return np.concatenate(outputs)


def plot_decision_boundary(
    model,
    X,
    Y,
    ax=None,
    resolution=200,
    threshold=0.5,
    title=None,
    padding=0.25,
):
    """Color the plane by the model's prediction and overlay the data.

    The model is evaluated on a resolution x resolution grid covering the data
    (plus `padding` on every side), passed as a batch of shape (k, 2, 1) with
    k = resolution**2, in chunks of at most 10_000 points. Note that this runs
    `model.forward`, which overwrites whatever your modules cached for
    `backward`: call it between training steps, not inside one.

    Binary models (output (k, 1, 1)): the filled contours show the output, the
    black line is where it equals `threshold`. Multi-class models (output
    (k, C, 1)): the regions show argmax over the C scores (`threshold` is unused).

    Args:
        model: callable taking X of shape (k, 2, 1), returning (k, 1, 1) or (k, C, 1).
        X: inputs, shape (m, 2, 1).
        Y: labels, shape (m, 1, 1), with values 0, 1, ... (or one-hot, shape (m, C, 1)).
        ax: matplotlib Axes to draw into; a new figure when None.
        resolution: number of grid points along each axis, an int >= 2.
        threshold: output level drawn as the decision boundary (binary models).
        title: optional title of the Axes.
        padding: margin added around the data range, >= 0.

    Returns:
        The matplotlib Axes.

    Raises:
        ValueError: bad X or Y shapes, or the model returned None, an array of
            the wrong shape, or NaN / inf values.
    """
    if not callable(model):
        raise TypeError(f"model must be callable as model(X); got {type(model).__name__}")
    X = _check_X(X)
    labels = _labels_from(Y, len(X))
    is_int = isinstance(resolution, numbers.Integral) and not isinstance(resolution, bool)
    if not is_int or resolution < 2:
        raise ValueError(f"resolution must be an int >= 2; got {resolution!r}")
    if not (isinstance(padding, numbers.Real) and math.isfinite(padding) and padding >= 0):
        raise ValueError(f"padding must be a finite number >= 0; got {padding!r}")

    lows = X[:, :, 0].min(axis=0) - padding
    highs = X[:, :, 0].max(axis=0) + padding
    xs = np.linspace(lows[0], highs[0], resolution)
    ys = np.linspace(lows[1], highs[1], resolution)
    xx, yy = np.meshgrid(xs, ys)
    grid = np.stack([xx.ravel(), yy.ravel()], axis=1)[:, :, None]  # (k, 2, 1)

    scores = _predict_grid(model, grid)  # (k, C)
    n_scores = scores.shape[1]
    n_label_classes = int(labels.max()) + 1
    if n_scores == 1 and n_label_classes > 2:
        raise ValueError(
            f"Y has {n_label_classes} classes but the model returns one value per point "
            "(a binary classifier); it should return (k, C, 1) scores for C classes"
        )
    if n_scores > 1 and n_label_classes > n_scores:
        raise ValueError(f"Y has {n_label_classes} classes but the model scores only {n_scores}")

    ax = _new_axes(ax)
    if n_scores == 1:
        values = scores[:, 0].reshape(xx.shape)
        # Probabilities get a fixed 0..1 color scale so plots are comparable.
        is_probability = values.min() >= 0.0 and values.max() <= 1.0
        levels = np.linspace(0.0, 1.0, 21) if is_probability else 20
        # The color range is centred on the boundary (white) and a bit wider than the
        # values, which keeps the fill light enough to see the points on it.
        center = 0.5 if is_probability else threshold
        half = 0.5 if is_probability else np.abs(values - threshold).max() or 1.0
        ax.contourf(
            xx,
            yy,
            values,
            levels=levels,
            cmap=_BINARY_CMAP,
            alpha=0.6,
            vmin=center - 1.3 * half,
            vmax=center + 1.3 * half,
        )
        # contour() warns when the level is outside the data: only draw an existing boundary.
        if values.min() < threshold < values.max():
            ax.contour(xx, yy, values, levels=[threshold], colors="k", linewidths=1.5)
        colors = _colors(2)
    else:
        classes = np.argmax(scores, axis=1).reshape(xx.shape)
        colors = _colors(n_scores)
        boundaries = np.arange(n_scores + 1) - 0.5  # one band per class index
        ax.contourf(xx, yy, classes, levels=boundaries, cmap=ListedColormap(colors), alpha=0.35)
        if classes.min() != classes.max():
            ax.contour(xx, yy, classes, levels=boundaries[1:-1], colors="k", linewidths=1.0)

    _scatter(ax, X, labels, colors)
    ax.set_xlim(lows[0], highs[0])
    ax.set_ylim(lows[1], highs[1])
    ax.set_aspect("equal", adjustable="box")
    if title is not None:
        ax.set_title(title)
    return ax


def plot_history(history, ax=None):
    """Plot training curves per epoch: losses on the left axis, the rest on the right.

    Keys containing "loss" (e.g. "loss", "val_loss") share the left y axis; any
    other metric (e.g. "accuracy") goes to a twin y axis on the right so both
    scales stay readable. Lists may have different lengths.

    Args:
        history: dict mapping a name to a list (or 1-D array) of values, one per epoch,
            e.g. {"loss": [0.69, 0.52, ...], "accuracy": [0.5, 0.71, ...]}.
        ax: matplotlib Axes to draw into; a new figure when None.

    Returns:
        The matplotlib Axes of the losses (the metrics are drawn on its twin).
    """
    if not isinstance(history, Mapping) or not history:
        example = "{'loss': [...], 'accuracy': [...]}"
        raise ValueError(f"history must be a non-empty dict like {example}; got {history!r:.40}")
    curves = {}
    for name, values in history.items():
        values = np.asarray(values, dtype=np.float64)
        if values.ndim != 1:
            shape = values.shape
            raise ValueError(f"history[{name!r}] must be a 1-D list of numbers; got shape {shape}")
        curves[str(name)] = values

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    losses = {name: v for name, v in curves.items() if "loss" in name.lower()}
    metrics = {name: v for name, v in curves.items() if name not in losses}
    # With no loss at all, the metrics simply use the left axis.
    left, right = (losses, metrics) if losses else (metrics, {})

    lines = []
    for name, values in left.items():
        lines += ax.plot(np.arange(1, len(values) + 1), values, label=name)
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("loss" if losses else "value")
    if right:
        twin = ax.twinx()
        # Continue the color cycle so left and right curves are told apart.
        cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        for i, (name, values) in enumerate(right.items(), start=len(left)):
            epochs = np.arange(1, len(values) + 1)
            style = {"color": cycle[i % len(cycle)], "linestyle": "--"}
            lines += twin.plot(epochs, values, label=name, **style)
        twin.set_ylabel(", ".join(right))
    ax.legend(lines, [line.get_label() for line in lines], loc="best", fontsize="small")
    ax.grid(alpha=0.3)
    return ax
