# bug: db as a row (1, out): the transpose of b's column
class Linear(Module):
    def __init__(self, in_features, out_features):
        super(Linear, self).__init__()
        self.W = np.random.randn(out_features, in_features)
        self.dW = np.zeros_like(self.W)
        self.b = np.zeros((out_features, 1))
        self.db = np.zeros_like(self.b)

    def forward(self, input: np.ndarray) -> np.ndarray:
        self.aPrevious = input
        return (input[..., 0] @ self.W.T)[..., np.newaxis] + self.b

    def backward(self, dz: np.ndarray) -> np.ndarray:
        m = dz.shape[0]
        self.dW = dz[..., 0].T @ self.aPrevious[..., 0] / m
        self.db = np.mean(dz[..., 0], axis=0, keepdims=True)
        return (dz[..., 0] @ self.W)[..., np.newaxis]
