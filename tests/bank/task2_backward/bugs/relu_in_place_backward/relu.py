# bug: backward zeroes the gradient it was given, in place, and returns it
class ReLU(Module):
    def __init__(self):
        super(ReLU, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        self.z = input
        return np.maximum(input, 0)

    def backward(self, da: np.ndarray) -> np.ndarray:
        da[self.z <= 0] = 0
        return da
