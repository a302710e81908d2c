# bug: derivative computed from the input z (z (1 - z)) instead of the output a
class Sigmoid(Module):
    def __init__(self):
        super(Sigmoid, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        self.aPrevious = input
        self.a = np.exp(-np.logaddexp(0.0, -input))
        return self.a

    def backward(self, da: np.ndarray) -> np.ndarray:
        return da * self.aPrevious * (1 - self.aPrevious)
