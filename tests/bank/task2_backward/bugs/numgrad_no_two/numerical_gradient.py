# bug: divides by epsilon instead of 2 epsilon
def numerical_gradient(f, x, epsilon=1e-6):
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + epsilon
        plus = f(x)
        x[index] = original - epsilon
        minus = f(x)
        x[index] = original
        grad[index] = (plus - minus) / epsilon
    return grad
