def train_val_split(X, Y, val_fraction=0.2, seed=0):
    m = len(X)
    shuffled = np.random.RandomState(seed).permutation(m)
    n_train = m - round(val_fraction * m)
    train_idx, val_idx = shuffled[:n_train], shuffled[n_train:]
    X_train, Y_train = X[train_idx], Y[train_idx]
    X_val, Y_val = X[val_idx], Y[val_idx]
    return X_train, Y_train, X_val, Y_val
