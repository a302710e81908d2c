def k_fold_splits(X, Y, k=5, seed=0):
    # the global generator, seeded; sample j of the permutation goes to fold j % k
    np.random.seed(seed)
    order = np.random.permutation(X.shape[0])
    fold_of = np.arange(len(order)) % k
    splits = []
    for i in range(k):
        val, train = order[fold_of == i], order[fold_of != i]
        splits.append((X[train], Y[train], X[val], Y[val]))
    return splits
