# Bug: predicts class 1 where p < threshold.

def accuracy(Y_hat, Y, threshold=0.5):
    """The fraction of samples whose thresholded prediction equals the label."""

    return float(np.mean((Y_hat < threshold) == Y))
