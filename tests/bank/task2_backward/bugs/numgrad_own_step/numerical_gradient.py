# bug: ignores the epsilon argument (its own step of 1e-5)
def numerical_gradient(f, x, epsilon=1e-6):
    h = 1e-5
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        plus = f(x)
        x[index] = original - h
        minus = f(x)
        x[index] = original
        grad[index] = (plus - minus) / (2 * h)
    return grad
