# Correct: np.take along the sample axis, sizes from len(X).
def split_train_validation(X, Y, val_fraction=0.25, seed=0):
    """Hold out a random part of the data for validation."""
    order = np.random.default_rng(seed).permutation(len(X))
    n_val = round(val_fraction * len(X))
    take = lambda A, index: np.take(A, index, axis=0)
    return take(X, order[n_val:]), take(Y, order[n_val:]), take(X, order[:n_val]), take(Y, order[:n_val])
