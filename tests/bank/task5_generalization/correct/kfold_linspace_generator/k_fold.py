def k_fold_splits(X, Y, k=5, seed=0):
    # fold boundaries from linspace (sizes differ by one at most), yielded one split at a time
    m = len(X)
    order = np.random.default_rng(seed).permutation(m)
    bounds = np.linspace(0, m, k + 1).round().astype(int)
    for start, stop in zip(bounds[:-1], bounds[1:]):
        val = order[start:stop]
        train = np.concatenate([order[:start], order[stop:]])
        yield X[train], Y[train], X[val], Y[val]
