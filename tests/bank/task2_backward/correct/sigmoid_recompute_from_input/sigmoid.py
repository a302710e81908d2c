# correct: caches the input (seed style) and recomputes sigmoid(z) stably in backward
class Sigmoid(Module):
    def __init__(self):
        super(Sigmoid, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        self.aPrevious = input
        return np.exp(-np.logaddexp(0.0, -input))

    def backward(self, da: np.ndarray) -> np.ndarray:
        a = self(self.aPrevious)
        return np.multiply(da, np.multiply(a, 1 - a))
