def k_fold_splits(X, Y, k=5, seed=0):
    # X and Y shuffled with two different permutations, then cut alike
    rng = np.random.default_rng(seed)
    X_shuffled, Y_shuffled = X[rng.permutation(len(X))], Y[rng.permutation(len(Y))]
    folds = np.array_split(np.arange(len(X)), k)
    splits = []
    for i, val in enumerate(folds):
        train = np.concatenate(folds[:i] + folds[i + 1:])
        splits.append((X_shuffled[train], Y_shuffled[train], X_shuffled[val], Y_shuffled[val]))
    return splits
