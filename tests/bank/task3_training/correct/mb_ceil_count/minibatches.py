# Correct: counts ceil(m / batch_size) batches and uses take along axis 0.

def minibatches(X, Y, batch_size, shuffle=True, seed=None):
    """Yield the mini-batches of one epoch: every sample exactly once."""

    m = X.shape[0]
    rng = np.random.default_rng(seed)
    order = rng.permutation(m) if shuffle else np.arange(m)
    n_batches = int(np.ceil(m / batch_size))
    for k in range(n_batches):
        index = order[k * batch_size:min((k + 1) * batch_size, m)]
        yield np.take(X, index, axis=0), np.take(Y, index, axis=0)
