# Correct: np.where to 0/1 predictions, mean of the matches.

def accuracy(Y_hat, Y, threshold=0.5):
    """The fraction of samples whose thresholded prediction equals the label."""

    predictions = np.where(Y_hat > threshold, 1.0, 0.0)
    return float((predictions == Y).mean())
