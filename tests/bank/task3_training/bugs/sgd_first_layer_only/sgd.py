# Bug: stops after the first layer with parameters.

class SGD:
    """Stochastic gradient descent: theta <- theta - lr * dtheta for every parameter.

    Args:
        model: the Model to train. After model.backward(...), each of its Linear
            layers holds W (out, in), b (out, 1) and the gradients dW, db (same shapes).
        lr: the learning rate eta, a positive float.
    """

    def __init__(self, model, lr):
        self.model = model
        self.lr = lr

    def step(self):
        """One gradient-descent step: W -= lr * dW and b -= lr * db in every module that has W and b."""

        for module in self.model.modules.values():
            if hasattr(module, "W"):
                module.W = module.W - self.lr * module.dW
                module.b = module.b - self.lr * module.db
                break
