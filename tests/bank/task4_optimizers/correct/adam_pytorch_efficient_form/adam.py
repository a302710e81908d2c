class Adam:
    """torch.optim.Adam's own arithmetic: step size lr / (1 - beta1^t), denominator sqrt(v) / sqrt(1 - beta2^t) + eps."""

    def __init__(self, model, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        self.model, self.lr, self.beta1, self.beta2, self.eps = model, lr, beta1, beta2, eps
        self.moments = {}
        self.t = 0

    def step(self):
        self.t += 1
        bias1 = 1 - self.beta1 ** self.t
        bias2 = 1 - self.beta2 ** self.t
        for name, module, attr in parameters_of(self.model):
            g = getattr(module, "d" + attr)
            m, v = self.moments.get(name, (np.zeros_like(g), np.zeros_like(g)))
            m = self.beta1 * m + (1 - self.beta1) * g
            v = self.beta2 * v + (1 - self.beta2) * g * g
            self.moments[name] = (m, v)
            denominator = np.sqrt(v) / np.sqrt(bias2) + self.eps
            setattr(module, attr, getattr(module, attr) - (self.lr / bias1) * m / denominator)
