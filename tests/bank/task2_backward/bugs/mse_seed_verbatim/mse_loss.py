# bug: the seed verbatim (forward and backward mean over axis 0, .data is the raw buffer: TypeError)
class MSELoss(Module):
    def __init__(self):
        super(MSELoss, self).__init__()

    def forward(self, input: np.ndarray, target: np.ndarray) -> np.ndarray:
        return np.mean(np.power(target - input, 2), axis=0)

    def backward(self, input: np.ndarray, target: np.ndarray) -> np.ndarray:
        return np.mean(-2 * (target.data - input.data), axis=0)
