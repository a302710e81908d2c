# Bug: ignores shuffle and always keeps the original order.

def minibatches(X, Y, batch_size, shuffle=True, seed=None):
    """Yield the mini-batches of one epoch: every sample exactly once."""

    m = X.shape[0]
    for start in range(0, m, batch_size):
        yield X[start:start + batch_size], Y[start:start + batch_size]
