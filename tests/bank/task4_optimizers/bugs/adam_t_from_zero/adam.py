class Adam:
    """Adam with bias correction (PyTorch's torch.optim.Adam).

    For every parameter theta with gradient g, at step t = 1, 2, ...:
        m <- beta1 * m + (1 - beta1) * g,       m_hat = m / (1 - beta1**t)
        v <- beta2 * v + (1 - beta2) * g**2,    v_hat = v / (1 - beta2**t)
        theta <- theta - lr * m_hat / (sqrt(v_hat) + eps)
    with one m and one v per parameter, starting at zero, and one step counter t.

    Args:
        model: the Model to train (Linear layers hold W, b and, after backward, dW, db).
        lr: the learning rate.
        beta1, beta2: the decays of the running means of g and of g**2.
        eps: added to sqrt(v_hat), outside the square root.
    """

    def __init__(self, model, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        self.model = model
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.m, self.v = {}, {}  # parameter name -> running means of g and of g**2
        self.t = 0  # steps taken so far

    def step(self):
        """One Adam step for every parameter."""
        for name, module, attr in parameters_of(self.model):
            g = getattr(module, "d" + attr)
            self.m[name] = self.beta1 * self.m.get(name, 0.0) + (1 - self.beta1) * g
            self.v[name] = self.beta2 * self.v.get(name, 0.0) + (1 - self.beta2) * g**2
            m_hat = self.m[name] / (1 - self.beta1**self.t)
            v_hat = self.v[name] / (1 - self.beta2**self.t)
            setattr(module, attr, getattr(module, attr) - self.lr * m_hat / (np.sqrt(v_hat) + self.eps))
        self.t += 1  # counted after the step: the first step uses t = 0
