# Correct: rng.shuffle of an index array, then np.split at multiples of batch_size.

def minibatches(X, Y, batch_size, shuffle=True, seed=None):
    """Yield the mini-batches of one epoch: every sample exactly once."""

    index = np.arange(X.shape[0])
    if shuffle:
        np.random.default_rng(seed).shuffle(index)
    for part in np.split(index, np.arange(batch_size, X.shape[0], batch_size)):
        yield X[part], Y[part]
