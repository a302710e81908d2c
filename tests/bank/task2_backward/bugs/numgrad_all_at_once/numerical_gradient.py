# bug: nudges every entry at once (the directional derivative along all ones, copied everywhere)
def numerical_gradient(f, x, epsilon=1e-6):
    slope = (f(x + epsilon) - f(x - epsilon)) / (2 * epsilon)
    return np.full(x.shape, slope)
