def k_fold_splits(X, Y, k=5, seed=0):
    # a boolean mask per fold; a tuple of tuples
    rng = np.random.default_rng(seed)
    folds = np.array_split(rng.permutation(len(X)), k)
    result = []
    for fold in folds:
        in_val = np.zeros(len(X), dtype=bool)
        in_val[fold] = True
        result.append((X[~in_val], Y[~in_val], X[in_val], Y[in_val]))
    return tuple(result)
