class Adam:
    def __init__(self, model, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        self.model = model
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.t = 0
        for _, module, attr in parameters_of(model):
            setattr(module, "adam_m_" + attr, np.zeros_like(getattr(module, attr)))
            setattr(module, "adam_v_" + attr, np.zeros_like(getattr(module, attr)))

    def step(self):
        self.t = self.t + 1
        for _, module, attr in parameters_of(self.model):
            g = getattr(module, "d" + attr)
            m = getattr(module, "adam_m_" + attr)
            v = getattr(module, "adam_v_" + attr)
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * g**2
            m_hat = m / (1 - self.beta1**self.t)
            v_hat = v / (1 - self.beta2**self.t)
            param = getattr(module, attr)
            param -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
