class Momentum:
    def __init__(self, model, lr, beta=0.9):
        self.model, self.lr, self.beta = model, lr, beta
        self.params = parameters_of(model)
        # one velocity per parameter... or so it seems: [a] * n holds the same array n times
        weights = [p for p in self.params if p[2] == "W"]
        biases = [p for p in self.params if p[2] == "b"]
        self.v_W = [np.zeros_like(weights[0][1].W)] * len(weights)
        self.v_b = [np.zeros_like(biases[0][1].b)] * len(biases)

    def step(self):
        layers = [module for _, module, attr in self.params if attr == "W"]
        for k, module in enumerate(layers):
            for attr, velocities in (("W", self.v_W), ("b", self.v_b)):
                v = velocities[k]
                v *= self.beta
                v += getattr(module, "d" + attr)
                setattr(module, attr, getattr(module, attr) - self.lr * v)
