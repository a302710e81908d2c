# bug: hands f nudged copies: a cost that reads W itself (lambda W: cost of the network) never sees a nudge
def numerical_gradient(f, x, epsilon=1e-6):
    grad = np.zeros_like(x, dtype=float)
    for index in np.ndindex(*x.shape):
        plus, minus = x.copy(), x.copy()
        plus[index] += epsilon
        minus[index] -= epsilon
        grad[index] = (f(plus) - f(minus)) / (2 * epsilon)
    return grad
