# Bug: steps with the parameter itself instead of its gradient (W -= lr * W).

class SGD:
    def __init__(self, model, lr):
        self.model = model
        self.lr = lr

    def step(self):
        for name, module, attr in parameters_of(self.model):
            setattr(module, attr, getattr(module, attr) - self.lr * getattr(module, attr))
