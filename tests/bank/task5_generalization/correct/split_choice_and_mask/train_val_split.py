def train_val_split(X, Y, val_fraction=0.2, seed=0):
    # pick the validation samples without replacement; the training part keeps the original order
    m = X.shape[0]
    rng = np.random.default_rng(seed)
    val = rng.choice(m, size=int(np.ceil(val_fraction * m)), replace=False)
    is_train = np.ones(m, dtype=bool)
    is_train[val] = False
    return X[is_train], Y[is_train], X[val], Y[val]
