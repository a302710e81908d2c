# Correct: default_rng's permutation, builds the list of batches and yields from it.
def minibatches(X, Y, batch_size, shuffle=True, seed=None):
    """Yield the mini-batches of one epoch: every sample exactly once."""
    m = X.shape[0]
    order = np.random.default_rng(seed).permutation(m) if shuffle else np.arange(m)
    X_shuffled, Y_shuffled = X[order], Y[order]
    batches = [(X_shuffled[k:k + batch_size], Y_shuffled[k:k + batch_size]) for k in range(0, m, batch_size)]
    yield from batches
