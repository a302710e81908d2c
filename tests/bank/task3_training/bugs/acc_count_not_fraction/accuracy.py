# Bug: returns the number of correct predictions, not the fraction.

def accuracy(Y_hat, Y, threshold=0.5):
    """The fraction of samples whose thresholded prediction equals the label."""

    return float(np.sum((Y_hat > threshold) == Y))
