def k_fold_splits(X, Y, k=5, seed=0):
    # folds of consecutive samples, in the data's own order (seed unused)
    folds = np.array_split(np.arange(X.shape[0]), k)
    splits = []
    for i, val in enumerate(folds):
        train = np.concatenate(folds[:i] + folds[i + 1:])
        splits.append((X[train], Y[train], X[val], Y[val]))
    return splits
