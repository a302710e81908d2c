def k_fold_splits(X, Y, k=5, seed=0):
    # m // k samples per fold: the last m % k samples of the permutation are never validated
    m = X.shape[0]
    order = np.random.default_rng(seed).permutation(m)
    size = m // k
    splits = []
    for i in range(k):
        val = order[i * size:(i + 1) * size]
        train = np.setdiff1d(order, val)
        splits.append((X[train], Y[train], X[val], Y[val]))
    return splits
