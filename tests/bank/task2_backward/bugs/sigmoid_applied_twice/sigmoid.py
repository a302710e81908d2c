# bug: sigmoid applied to the cached output a again
class Sigmoid(Module):
    def __init__(self):
        super(Sigmoid, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        self.a = np.exp(-np.logaddexp(0.0, -input))
        return self.a

    def backward(self, da: np.ndarray) -> np.ndarray:
        s = 1 / (1 + np.exp(-self.a))
        return da * s * (1 - s)
