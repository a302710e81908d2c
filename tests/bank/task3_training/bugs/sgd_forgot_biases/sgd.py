# Bug: updates the weights only (the biases are skipped).

class SGD:
    def __init__(self, model, lr):
        self.model = model
        self.lr = lr

    def step(self):
        for name, module, attr in parameters_of(self.model):
            if attr == "W":
                setattr(module, attr, getattr(module, attr) - self.lr * getattr(module, "d" + attr))
