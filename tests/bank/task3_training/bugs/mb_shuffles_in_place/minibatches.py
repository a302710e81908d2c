# Bug: shuffles the caller's X and Y in place (same seed keeps the pairs, but the data is reordered).

def minibatches(X, Y, batch_size, shuffle=True, seed=None):
    """Yield the mini-batches of one epoch: every sample exactly once."""

    m = X.shape[0]
    if shuffle:
        np.random.default_rng(seed).shuffle(X)
        np.random.default_rng(seed).shuffle(Y)
    for start in range(0, m, batch_size):
        yield X[start:start + batch_size], Y[start:start + batch_size]
