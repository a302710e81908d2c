# Correct: rng.permuted of an index array (the same order as permutation) and a while loop.
def minibatches(X, Y, batch_size, shuffle=True, seed=None):
    """Yield the mini-batches of one epoch: every sample exactly once."""
    m = len(X)
    order = np.random.default_rng(seed).permuted(np.arange(m)) if shuffle else np.arange(m)
    start = 0
    while start < m:
        index = order[start:start + batch_size]
        yield X[index], Y[index]
        start += batch_size
