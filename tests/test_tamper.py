"""tamper.py reads evidence of tampering from a student's code: what an assignment writes into, never
what its index only reads."""

import pytest

from autograder.tamper import tampering


@pytest.mark.parametrize("code", [
    "out[np.arange(m), labels, 0] = 1.0",  # one-hot by fancy indexing (Task 6)
    "x[np.isnan(x)] = 0.0",
    "a, b = np.zeros(3), np.ones(3)",
    "self.mask = np.random.default_rng(seed).random(shape) > p",
])
def test_honest_assignments_are_not_flagged(code):
    assert tampering([("cell", code)]) == []


@pytest.mark.parametrize(("code", "evidence"), [
    ("np.random.seed = lambda *a: None", "assigns to `np.random`"),
    ("np.__dict__['mean'] = len", "assigns to `np.__dict__`"),
    ("a, np.pi = 1, 2", "assigns to `np.pi`"),
    ("[*np.e] = [1]", "assigns to `np.e`"),
    ("get_ipython().events.callbacks = {}", "changes IPython's `events`"),
])
def test_writes_into_numpy_or_ipython_are_flagged(code, evidence):
    assert ("cell", evidence) in tampering([("cell", code)])
