# Correct: count_nonzero over the flattened arrays.

def accuracy(Y_hat, Y, threshold=0.5):
    """The fraction of samples whose thresholded prediction equals the label."""

    p, y = Y_hat.ravel(), Y.ravel()
    return np.count_nonzero((p > threshold) == (y == 1)) / p.size
