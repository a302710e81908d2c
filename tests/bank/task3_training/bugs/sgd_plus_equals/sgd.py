# Bug: W += lr * dW (moves uphill).

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

        for name, module, attr in parameters_of(self.model):
            setattr(module, attr, getattr(module, attr) + self.lr * getattr(module, "d" + attr))
