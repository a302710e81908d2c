# bug (the seed's): averaged over the batch axis 0, shape (n, 1)
class MSELoss(Module):
    def __init__(self):
        super(MSELoss, self).__init__()

    def forward(self, input: np.ndarray, target: np.ndarray) -> np.ndarray:
        return np.mean((input - target) ** 2, axis=1, keepdims=True)

    def backward(self, input: np.ndarray, target: np.ndarray) -> np.ndarray:
        return np.mean(-2 * (target - input), axis=0)
