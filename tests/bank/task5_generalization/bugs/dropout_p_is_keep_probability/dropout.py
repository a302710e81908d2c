class Dropout(Module):
    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"p must be in [0, 1), got {p}")
        self.p = p

    def forward(self, input):
        if not self.training:
            return input
        # p read as the probability of KEEPING an entry (TensorFlow 1's keep_prob)
        self.mask = (np.random.rand(*input.shape) < self.p) / self.p
        return input * self.mask

    def backward(self, da):
        if not self.training:
            return da
        return da * self.mask
