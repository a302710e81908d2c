# correct: caches the output a and masks with a > 0
class ReLU(Module):
    def __init__(self):
        super(ReLU, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        self.a = np.maximum(input, 0)
        return self.a

    def backward(self, da: np.ndarray) -> np.ndarray:
        return da * (self.a > 0)
