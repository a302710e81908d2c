class Dropout(Module):
    # the original (2014) formulation: drop while training, scale by the keep probability at test time
    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"p must be in [0, 1), got {p}")
        self.p = p

    def forward(self, input):
        if not self.training:
            return input * (1 - self.p)
        self.mask = (np.random.rand(*input.shape) >= self.p).astype(float)
        return input * self.mask

    def backward(self, da):
        if not self.training:
            return da * (1 - self.p)
        return da * self.mask
