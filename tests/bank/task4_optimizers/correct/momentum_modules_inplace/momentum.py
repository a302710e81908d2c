class Momentum:
    def __init__(self, model, lr, beta=0.9):
        self.model = model
        self.lr = lr
        self.beta = beta
        # one zero array per (layer, attribute), made here
        self.velocity = {}
        for name, module in model.modules.items():
            if hasattr(module, "W") and hasattr(module, "b"):
                self.velocity[name, "W"] = np.zeros_like(module.W)
                self.velocity[name, "b"] = np.zeros_like(module.b)

    def step(self):
        for name, module in self.model.modules.items():
            if not (hasattr(module, "W") and hasattr(module, "b")):
                continue
            for attr in ("W", "b"):
                v = self.velocity[name, attr]
                v *= self.beta
                v += getattr(module, "d" + attr)
                param = getattr(module, attr)
                param -= self.lr * v
