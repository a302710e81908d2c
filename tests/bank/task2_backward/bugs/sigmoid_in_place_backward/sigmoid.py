# bug: backward multiplies the gradient it was given in place (da *= ...)
class Sigmoid(Module):
    def __init__(self):
        super(Sigmoid, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        self.a = np.exp(-np.logaddexp(0.0, -input))
        return self.a

    def backward(self, da: np.ndarray) -> np.ndarray:
        da *= self.a * (1 - self.a)
        return da
