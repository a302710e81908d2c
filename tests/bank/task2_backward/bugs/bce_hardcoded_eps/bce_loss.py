# bug: clips with its own 1e-12 instead of self.eps
class BCELoss(Module):
    eps = 1e-12

    def __init__(self):
        super(BCELoss, self).__init__()

    def forward(self, input: np.ndarray, target: np.ndarray) -> np.ndarray:
        p = np.clip(input, self.eps, 1 - self.eps)
        return -np.mean(target * np.log(p) + (1 - target) * np.log(1 - p), axis=1, keepdims=True)

    def backward(self, input: np.ndarray, target: np.ndarray) -> np.ndarray:
        p = np.clip(input, 1e-12, 1 - 1e-12)
        return (p - target) / (p * (1 - p)) / input.shape[1]
