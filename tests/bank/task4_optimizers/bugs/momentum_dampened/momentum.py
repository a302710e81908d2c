class Momentum:
    """Gradient descent with momentum (PyTorch's torch.optim.SGD with momentum=beta).

    For every parameter theta with gradient g:  v <- beta * v + g,  theta <- theta - lr * v,
    with one velocity v per parameter, starting at zero.

    Args:
        model: the Model to train; after model.backward(...), each of its Linear layers
            holds W (out, in), b (out, 1) and the gradients dW, db (same shapes).
        lr: the learning rate eta, a positive float.
        beta: the momentum coefficient, 0 <= beta < 1 (0 is plain SGD).
    """

    def __init__(self, model, lr, beta=0.9):
        self.model = model
        self.lr = lr
        self.beta = beta
        self.velocity = {}  # parameter name ("Dense_1.W") -> its velocity, created at the first step

    def step(self):
        """One step: update the velocity of every parameter, then the parameter."""
        for name, module, attr in parameters_of(self.model):
            gradient = getattr(module, "d" + attr)
            self.velocity[name] = self.beta * self.velocity.get(name, 0.0) + (1 - self.beta) * gradient
            setattr(module, attr, getattr(module, attr) - self.lr * self.velocity[name])
