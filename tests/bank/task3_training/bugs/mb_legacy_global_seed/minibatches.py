# Bug: seeds the legacy global generator (np.random.seed + np.random.permutation): another order than default_rng(seed).

def minibatches(X, Y, batch_size, shuffle=True, seed=None):
    """Yield the mini-batches of one epoch: every sample exactly once."""

    m = X.shape[0]
    if shuffle:
        np.random.seed(seed)
        order = np.random.permutation(m)
    else:
        order = np.arange(m)
    X_shuffled, Y_shuffled = X[order], Y[order]
    batches = [(X_shuffled[k:k + batch_size], Y_shuffled[k:k + batch_size]) for k in range(0, m, batch_size)]
    yield from batches
