# bug: undoes each nudge by subtracting: (x + eps) - eps is not always x, and the second nudge is never undone
def numerical_gradient(f, x, epsilon=1e-6):
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        x[index] += epsilon
        plus = f(x)
        x[index] -= 2 * epsilon
        minus = f(x)
        grad[index] = (plus - minus) / (2 * epsilon)
    return grad
