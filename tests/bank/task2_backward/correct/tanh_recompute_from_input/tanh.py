# correct: caches the input and recomputes tanh(z) in backward
class Tanh(Module):
    def __init__(self):
        super(Tanh, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        self.z = input
        return np.tanh(input)

    def backward(self, da: np.ndarray) -> np.ndarray:
        return da * (1 - np.tanh(self.z) ** 2)
