class RMSProp:
    def __init__(self, model, lr, beta=0.99, eps=1e-8):
        self.model, self.lr, self.beta, self.eps = model, lr, beta, eps
        self.params = parameters_of(model)  # (name, module, attr), in a fixed order
        self.squares = [np.zeros_like(getattr(module, attr)) for _, module, attr in self.params]

    def step(self):
        for k, (_, module, attr) in enumerate(self.params):
            g = getattr(module, "d" + attr)
            self.squares[k] = self.beta * self.squares[k] + (1 - self.beta) * np.square(g)
            rms = np.sqrt(self.squares[k])
            setattr(module, attr, getattr(module, attr) - self.lr * g / (rms + self.eps))
