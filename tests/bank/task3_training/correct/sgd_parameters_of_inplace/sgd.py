# Correct: parameters_of and an in-place update of each parameter array.

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

        for _, module, attr in parameters_of(self.model):
            parameter = getattr(module, attr)
            parameter -= self.lr * getattr(module, "d" + attr)
