class Dropout(Module):
    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"p must be in [0, 1), got {p}")
        self.p = p

    def forward(self, input):
        if self.training:
            self.keep = np.random.binomial(1, 1 - self.p, size=input.shape).astype(bool)
            return np.where(self.keep, input / (1 - self.p), 0.0)
        return input

    def backward(self, da):
        if self.training:
            return np.where(self.keep, da / (1 - self.p), 0.0)
        return da
