class Dropout(Module):
    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"p must be in [0, 1), got {p}")
        self.p = p
        self.rng = np.random.default_rng()
        self.mask = None

    def forward(self, input):
        if not self.training:
            self.mask = None
            return input.copy()
        self.mask = (self.rng.random(input.shape) >= self.p).astype(float)
        return input * self.mask / (1.0 - self.p)

    def backward(self, da):
        if self.mask is None:
            return da.copy()
        return da * self.mask / (1.0 - self.p)
