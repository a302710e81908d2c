class Momentum:
    """CS231n's form: u = beta * u - lr * g, theta += u (u = -lr * v for a constant lr)."""

    def __init__(self, model, lr, beta=0.9):
        self.model = model
        self.lr = lr
        self.beta = beta
        self.u = {}

    def step(self):
        for name, module, attr in parameters_of(self.model):
            g = getattr(module, "d" + attr)
            self.u[name] = self.beta * self.u.get(name, 0) - self.lr * g
            setattr(module, attr, getattr(module, attr) + self.u[name])
