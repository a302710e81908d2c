# bug: the sigmoid's derivative in float32
class Sigmoid(Module):
    def __init__(self):
        super(Sigmoid, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        self.a = np.exp(-np.logaddexp(0.0, -input))
        return self.a

    def backward(self, da: np.ndarray) -> np.ndarray:
        a = self.a.astype(np.float32)
        return da.astype(np.float32) * a * (1 - a)
