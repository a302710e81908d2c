# Bug: hard-codes 0.5 instead of using threshold.

def accuracy(Y_hat, Y, threshold=0.5):
    """The fraction of samples whose thresholded prediction equals the label."""

    return float(np.mean((Y_hat > 0.5) == Y))
