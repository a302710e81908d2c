def train_val_split(X, Y, val_fraction=0.2, seed=0):
    # the global generator, seeded: the same seed gives the same permutation
    np.random.seed(seed)
    order = np.random.permutation(len(X))
    n_val = int(val_fraction * len(X))
    return X[order[n_val:]], Y[order[n_val:]], X[order[:n_val]], Y[order[:n_val]]
