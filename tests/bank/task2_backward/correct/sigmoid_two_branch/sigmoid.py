# correct: the two-branch stable sigmoid via exp(-|z|), derivative a (1 - a)
class Sigmoid(Module):
    def __init__(self):
        super(Sigmoid, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        e = np.exp(-np.abs(input))  # never overflows
        self.a = np.where(input >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        return self.a

    def backward(self, da: np.ndarray) -> np.ndarray:
        a = self.a
        return da * a * (1.0 - a)
