def train_val_split(X, Y, val_fraction=0.2, seed=0):
    # the last samples for validation, in their order (seed unused)
    n_train = len(X) - round(val_fraction * len(X))
    return X[:n_train], Y[:n_train], X[n_train:], Y[n_train:]
