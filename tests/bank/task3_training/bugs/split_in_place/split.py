# Bug: shuffles the caller's X and Y in place (the same seed keeps the pairs), then slices them.
def split_train_validation(X, Y, val_fraction=0.25, seed=0):
    """Hold out a random part of the data for validation."""
    n_val = round(val_fraction * len(X))
    np.random.default_rng(seed).shuffle(X)
    np.random.default_rng(seed).shuffle(Y)
    return X[n_val:], Y[n_val:], X[:n_val], Y[:n_val]
