# bug: no clip, eps (its own 1e-12) in the denominator instead: backward does not clip as forward does
class BCELoss(Module):
    eps = 1e-12

    def __init__(self):
        super(BCELoss, self).__init__()

    def forward(self, input: np.ndarray, target: np.ndarray) -> np.ndarray:
        p = np.clip(input, self.eps, 1 - self.eps)
        return -np.mean(target * np.log(p) + (1 - target) * np.log(1 - p), axis=1, keepdims=True)

    def backward(self, input: np.ndarray, target: np.ndarray) -> np.ndarray:
        n = input.shape[1]
        return (input - target) / (input * (1 - input) + 1e-12) / n
