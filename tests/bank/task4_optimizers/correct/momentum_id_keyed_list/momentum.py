class Momentum:
    def __init__(self, model, lr, beta=0.9):
        self.model, self.lr, self.beta = model, lr, beta
        self.state = {}

    def step(self):
        for _, module, attr in parameters_of(self.model):
            key = (id(module), attr)
            g = getattr(module, "d" + attr)
            if key not in self.state:
                self.state[key] = np.zeros(g.shape)
            self.state[key] = self.beta * self.state[key] + g
            new_value = getattr(module, attr) - self.lr * self.state[key]
            setattr(module, attr, new_value)
