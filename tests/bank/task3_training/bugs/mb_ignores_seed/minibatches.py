# Bug: shuffles with the global generator and ignores seed (not reproducible).

def minibatches(X, Y, batch_size, shuffle=True, seed=None):
    """Yield the mini-batches of one epoch: every sample exactly once."""

    m = X.shape[0]
    order = np.random.permutation(m) if shuffle else np.arange(m)
    for start in range(0, m, batch_size):
        index = order[start:start + batch_size]
        yield X[index], Y[index]
