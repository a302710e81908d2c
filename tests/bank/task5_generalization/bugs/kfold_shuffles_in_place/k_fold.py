def k_fold_splits(X, Y, k=5, seed=0):
    # the caller's X and Y shuffled in place (with one permutation), then cut into consecutive folds
    order = np.random.default_rng(seed).permutation(len(X))
    X[:], Y[:] = X[order], Y[order]
    folds = np.array_split(np.arange(len(X)), k)
    splits = []
    for i, val in enumerate(folds):
        train = np.concatenate(folds[:i] + folds[i + 1:])
        splits.append((X[train], Y[train], X[val], Y[val]))
    return splits
