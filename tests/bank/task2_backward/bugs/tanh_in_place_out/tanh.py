# bug: np.multiply(..., out=da) writes the result into the gradient it was given
class Tanh(Module):
    def __init__(self):
        super(Tanh, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        self.a = np.tanh(input)
        return self.a

    def backward(self, da: np.ndarray) -> np.ndarray:
        return np.multiply(da, 1 - self.a ** 2, out=da)
