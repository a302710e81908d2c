"""Grader-only reference code of Task 3 (never shipped to students).

`python -m autograder release` links this file into source/task3_training/ and
leaves it out of release/: nbgrader copies it into the autograded folder, where
`task3_checks.check_train` uses it in place of the student's `minibatches`, so a
bug in the iterator costs points only in the iterator's own test cell.
"""

import numpy as np


def reference_minibatches(X, Y, batch_size, shuffle=True, seed=None):
    """Yield (X_batch, Y_batch) covering every sample once, in a seeded random order."""
    order = np.random.default_rng(seed).permutation(len(X)) if shuffle else np.arange(len(X))
    for start in range(0, len(X), batch_size):
        index = order[start : start + batch_size]
        yield X[index], Y[index]
