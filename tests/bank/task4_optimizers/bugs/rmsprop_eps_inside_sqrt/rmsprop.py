class RMSProp:
    """RMSProp (PyTorch's torch.optim.RMSprop with alpha=beta).

    For every parameter theta with gradient g:  s <- beta * s + (1 - beta) * g**2,
    theta <- theta - lr * g / (sqrt(s) + eps), with one s per parameter, starting at zero.

    Args:
        model: the Model to train (Linear layers hold W, b and, after backward, dW, db).
        lr: the learning rate, a positive float.
        beta: the decay of the running mean of squared gradients, 0 <= beta < 1.
        eps: added to the root mean square (outside the square root) to avoid dividing by zero.
    """

    def __init__(self, model, lr, beta=0.99, eps=1e-8):
        self.model = model
        self.lr = lr
        self.beta = beta
        self.eps = eps
        self.square = {}  # parameter name -> running mean of its squared gradient

    def step(self):
        """One step: update the running mean of squares of every parameter, then the parameter."""
        for name, module, attr in parameters_of(self.model):
            gradient = getattr(module, "d" + attr)
            s = self.beta * self.square.get(name, 0.0) + (1 - self.beta) * gradient**2
            self.square[name] = s
            setattr(module, attr, getattr(module, attr) - self.lr * gradient / np.sqrt(s + self.eps))
