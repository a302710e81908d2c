# Bug: updates only the modules whose name starts with Dense.
class SGD:
    """Stochastic gradient descent: theta <- theta - lr * dtheta for every parameter."""

    def __init__(self, model, lr):
        self.model = model
        self.lr = lr

    def step(self):
        for name, module in self.model.modules.items():
            if name.startswith("Dense"):
                module.W = module.W - self.lr * module.dW
                module.b = module.b - self.lr * module.db
