class Dropout(Module):
    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"p must be in [0, 1), got {p}")
        self.p = p

    def _mask(self, shape):
        return (np.random.rand(*shape) >= self.p) / (1 - self.p)

    def forward(self, input):
        if not self.training:
            return input
        return input * self._mask(input.shape)

    def backward(self, da):
        if not self.training:
            return da
        return da * self._mask(da.shape)  # a fresh mask: not the one forward used
