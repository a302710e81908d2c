class RMSProp:
    """State kept on the modules themselves, next to the parameter (module.s_W, module.s_b)."""

    def __init__(self, model, lr, beta=0.99, eps=1e-8):
        self.model, self.lr, self.beta, self.eps = model, lr, beta, eps

    def step(self):
        for _, module, attr in parameters_of(self.model):
            g = getattr(module, "d" + attr)
            s = getattr(module, "s_" + attr, 0.0)
            s = self.beta * s + (1.0 - self.beta) * g**2
            setattr(module, "s_" + attr, s)
            setattr(module, attr, getattr(module, attr) - self.lr * g / (s**0.5 + self.eps))
