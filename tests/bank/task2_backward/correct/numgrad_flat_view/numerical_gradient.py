# correct: walks a flat view of x (reshape(-1) of a contiguous array shares its memory)
def numerical_gradient(f, x, epsilon=1e-6):
    flat = x.reshape(-1)
    grad = np.zeros(flat.size)
    for i in range(flat.size):
        keep = flat[i]
        flat[i] = keep + epsilon
        up = f(x)
        flat[i] = keep - epsilon
        down = f(x)
        flat[i] = keep
        grad[i] = (up - down) / (2 * epsilon)
    return grad.reshape(x.shape)
