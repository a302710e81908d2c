# correct: tanh(z) = 2 sigmoid(2z) - 1, reusing the Sigmoid class of the earlier answer cell
class Tanh(Module):
    def __init__(self):
        super(Tanh, self).__init__()
        self.sigmoid = Sigmoid()

    def forward(self, input: np.ndarray) -> np.ndarray:
        self.a = 2.0 * self.sigmoid.forward(2.0 * input) - 1.0
        return self.a

    def backward(self, da: np.ndarray) -> np.ndarray:
        return da * (1.0 - self.a ** 2)
