# bug: dW summed over the batch, not averaged
class Linear(Module):
    def __init__(self, in_features, out_features):
        super(Linear, self).__init__()
        self.W = np.random.randn(out_features, in_features)
        self.dW = np.zeros_like(self.W)
        self.b = np.zeros((out_features, 1))
        self.db = np.zeros_like(self.b)

    def forward(self, input: np.ndarray) -> np.ndarray:
        self.aPrevious = input
        return self.W @ input + self.b

    def backward(self, dz: np.ndarray) -> np.ndarray:
        m = dz.shape[0]
        self.dW = dz[..., 0].T @ self.aPrevious[..., 0]
        self.db = np.mean(dz, axis=0)
        return self.W.T @ dz
