# correct: an explicit Python loop over the samples of the batch
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
        dW = np.zeros_like(self.W)
        db = np.zeros_like(self.b)
        da_prev = np.zeros_like(self.aPrevious, dtype=float)
        for i in range(m):
            dW += dz[i] @ self.aPrevious[i].T
            db += dz[i]
            da_prev[i] = self.W.T @ dz[i]
        self.dW = dW / m
        self.db = db / m
        return da_prev
