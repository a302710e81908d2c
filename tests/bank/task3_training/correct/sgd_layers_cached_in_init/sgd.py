# Correct: finds the layers once in __init__, but reads their gradients at every step.
class SGD:
    """Stochastic gradient descent over the modules that have W and b."""

    def __init__(self, model, lr):
        self.model = model
        self.lr = lr
        self.layers = [module for module in model.modules.values()
                       if isinstance(getattr(module, "W", None), np.ndarray)]

    def step(self):
        for layer in self.layers:
            layer.W = layer.W - self.lr * layer.dW
            layer.b = layer.b - self.lr * layer.db
