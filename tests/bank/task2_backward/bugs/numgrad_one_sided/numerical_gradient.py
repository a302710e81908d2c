# bug: the one-sided (forward) difference, O(eps) accurate
def numerical_gradient(f, x, epsilon=1e-6):
    grad = np.zeros(x.shape)
    base = f(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + epsilon
        grad[index] = (f(x) - base) / epsilon
        x[index] = original
    return grad
