# Correct: shuffled copies first, then slices.
def split_train_validation(X, Y, val_fraction=0.25, seed=0):
    """Hold out a random part of the data for validation."""
    m = X.shape[0]
    n_val = int(round(val_fraction * m))
    order = np.random.default_rng(seed).permutation(m)
    X_shuffled, Y_shuffled = X[order], Y[order]
    return X_shuffled[n_val:], Y_shuffled[n_val:], X_shuffled[:n_val], Y_shuffled[:n_val]
