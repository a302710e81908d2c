# Bug: int() instead of round(): 0.25 * 7 = 1.75 holds out 1 sample, not 2.
def split_train_validation(X, Y, val_fraction=0.25, seed=0):
    """Hold out a random part of the data for validation."""
    order = np.random.default_rng(seed).permutation(len(X))
    n_val = int(val_fraction * len(X))
    return X[order[n_val:]], Y[order[n_val:]], X[order[:n_val]], Y[order[:n_val]]
