# correct: np.heaviside with slope 0.5 at the kink (a subgradient)
class ReLU(Module):
    def __init__(self):
        super(ReLU, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        self.z = input
        return np.maximum(input, 0)

    def backward(self, da: np.ndarray) -> np.ndarray:
        return da * np.heaviside(self.z, 0.5)
