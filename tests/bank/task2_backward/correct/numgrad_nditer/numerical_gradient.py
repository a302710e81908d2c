# correct: CS231n's np.nditer loop over multi-indices
def numerical_gradient(f, x, epsilon=1e-6):
    grad = np.zeros(x.shape)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + epsilon
        fxph = f(x)
        x[ix] = old - epsilon
        fxmh = f(x)
        x[ix] = old
        grad[ix] = (fxph - fxmh) / (2 * epsilon)
        it.iternext()
    return grad
