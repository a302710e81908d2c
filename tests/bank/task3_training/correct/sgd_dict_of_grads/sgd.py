# Correct: builds {attr: grad} per module with vars() and updates with setattr.

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
            state = vars(module)
            for attr in ("W", "b"):
                if attr in state and "d" + attr in state:
                    setattr(module, attr, state[attr] - state["d" + attr] * self.lr)
