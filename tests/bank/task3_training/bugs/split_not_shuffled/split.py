# Bug: no shuffle: the validation set is the first rows of X.
def split_train_validation(X, Y, val_fraction=0.25, seed=0):
    """Hold out a random part of the data for validation."""
    n_val = round(val_fraction * len(X))
    return X[n_val:], Y[n_val:], X[:n_val], Y[:n_val]
