# correct: np.multiply and np.square
class Tanh(Module):
    def __init__(self):
        super(Tanh, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        self.a = np.tanh(input)
        return self.a

    def backward(self, da: np.ndarray) -> np.ndarray:
        return np.multiply(da, 1.0 - np.square(self.a))
