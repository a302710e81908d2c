class Dropout(Module):
    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"p must be in [0, 1), got {p}")
        self.p = p

    def forward(self, input):
        # always drops: self.training is never read
        self.mask = (np.random.rand(*input.shape) >= self.p) / (1 - self.p)
        return input * self.mask

    def backward(self, da):
        return da * self.mask
