# correct: mask z >= 0 (slope 1 at the kink, also a subgradient)
class ReLU(Module):
    def __init__(self):
        super(ReLU, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        self.z = input
        return np.maximum(input, 0)

    def backward(self, da: np.ndarray) -> np.ndarray:
        return da * (self.z >= 0).astype(da.dtype)
