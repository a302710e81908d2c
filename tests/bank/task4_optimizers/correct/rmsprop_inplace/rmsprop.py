class RMSProp:
    def __init__(self, model, lr, beta=0.99, eps=1e-8):
        self.model = model
        self.lr = lr
        self.beta = beta
        self.eps = eps
        self.s = {}

    def step(self):
        for name, module, attr in parameters_of(self.model):
            g = getattr(module, "d" + attr)
            if name not in self.s:
                self.s[name] = np.zeros_like(g)
            s = self.s[name]
            s *= self.beta
            s += (1 - self.beta) * g * g
            value = getattr(module, attr)
            value -= self.lr * g / (np.sqrt(s) + self.eps)
