# correct: np.multiply into a new array with out=
class Tanh(Module):
    def __init__(self):
        super(Tanh, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        self.a = np.tanh(input)
        return self.a

    def backward(self, da: np.ndarray) -> np.ndarray:
        dz = np.empty_like(da)
        np.multiply(da, 1 - self.a ** 2, out=dz)
        return dz
