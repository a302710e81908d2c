# bug: used the sigmoid derivative a (1 - a)
class Tanh(Module):
    def __init__(self):
        super(Tanh, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        self.a = np.tanh(input)
        return self.a

    def backward(self, da: np.ndarray) -> np.ndarray:
        return da * self.a * (1 - self.a)
