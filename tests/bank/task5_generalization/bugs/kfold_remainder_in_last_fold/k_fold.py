def k_fold_splits(X, Y, k=5, seed=0):
    # m // k per fold, the whole remainder in the last one: fold sizes differ by up to k - 1
    m = X.shape[0]
    order = np.random.default_rng(seed).permutation(m)
    size = m // k
    splits = []
    for i in range(k):
        stop = m if i == k - 1 else (i + 1) * size
        val = order[i * size:stop]
        train = np.concatenate([order[:i * size], order[stop:]])
        splits.append((X[train], Y[train], X[val], Y[val]))
    return splits
