# bug: one index per row (x[i] of a 2-D x is a whole row): every entry of the row is nudged at once
def numerical_gradient(f, x, epsilon=1e-6):
    grad = np.zeros_like(x)
    for i in range(x.shape[0]):
        old = x[i].copy()
        x[i] = old + epsilon
        f_plus = f(x)
        x[i] = old - epsilon
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * epsilon)
    return grad
