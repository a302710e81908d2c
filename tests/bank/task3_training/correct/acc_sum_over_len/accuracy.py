# Correct: number of agreements divided by the number of samples.

def accuracy(Y_hat, Y, threshold=0.5):
    """The fraction of samples whose thresholded prediction equals the label."""

    agree = (Y_hat > threshold) == (Y > 0.5)
    return np.sum(agree) / len(Y)
