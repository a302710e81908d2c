# correct: copy da, then zero it where z <= 0
class ReLU(Module):
    def __init__(self):
        super(ReLU, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        self.z = input
        return np.maximum(input, 0)

    def backward(self, da: np.ndarray) -> np.ndarray:
        dz = np.array(da, copy=True)
        dz[self.z <= 0] = 0
        return dz
