# Bug: returns a percentage instead of a fraction.
def accuracy(Y_hat, Y, threshold=0.5):
    return float(100 * np.mean((Y_hat > threshold) == Y))
