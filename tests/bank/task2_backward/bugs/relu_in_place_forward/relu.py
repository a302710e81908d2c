# bug: forward zeroes its input in place (the caller's array, e.g. X or the Linear's output)
class ReLU(Module):
    def __init__(self):
        super(ReLU, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        self.z = input.copy()
        input[input < 0] = 0
        return input

    def backward(self, da: np.ndarray) -> np.ndarray:
        return da * (self.z > 0)
