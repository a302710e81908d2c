# Bug: keeps the gradient arrays found in __init__; backward stores new arrays, so step uses stale ones.
class SGD:
    def __init__(self, model, lr):
        self.model = model
        self.lr = lr
        self.pairs = [(module, attr, getattr(module, "d" + attr)) for _, module, attr in parameters_of(model)]

    def step(self):
        for module, attr, gradient in self.pairs:
            setattr(module, attr, getattr(module, attr) - self.lr * gradient)
