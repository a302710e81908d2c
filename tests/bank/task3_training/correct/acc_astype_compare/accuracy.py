# Correct: predictions as floats, compared with the labels as booleans.
def accuracy(Y_hat, Y, threshold=0.5):
    predicted = (np.asarray(Y_hat) > threshold).astype(float)
    return float(np.mean(predicted.astype(bool) == Y.astype(bool)))
