# Bug: >= instead of >: a probability exactly at the threshold is predicted as class 1.
def accuracy(Y_hat, Y, threshold=0.5):
    return float(np.mean((Y_hat >= threshold) == Y))
