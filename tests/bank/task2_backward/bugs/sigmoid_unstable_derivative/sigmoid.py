# bug: textbook derivative exp(-z) / (1 + exp(-z))**2 from z: inf/inf = nan at z = -800
class Sigmoid(Module):
    def __init__(self):
        super(Sigmoid, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        self.z = input
        self.a = np.exp(-np.logaddexp(0.0, -input))
        return self.a

    def backward(self, da: np.ndarray) -> np.ndarray:
        e = np.exp(-self.z)
        return da * e / (1 + e) ** 2
