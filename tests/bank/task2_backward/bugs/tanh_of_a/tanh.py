# bug: applies tanh to the cached output again: 1 - tanh(a)**2 instead of 1 - a**2
class Tanh(Module):
    def __init__(self):
        super(Tanh, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        self.a = np.tanh(input)
        return self.a

    def backward(self, da: np.ndarray) -> np.ndarray:
        return da * (1 - np.tanh(self.a) ** 2)
