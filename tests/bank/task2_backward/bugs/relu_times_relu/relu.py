# bug: multiplied by ReLU(z) instead of its derivative
class ReLU(Module):
    def __init__(self):
        super(ReLU, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        self.z = input
        return np.maximum(input, 0)

    def backward(self, da: np.ndarray) -> np.ndarray:
        return da * np.maximum(self.z, 0)
