# correct: the seed's formula fixed (np.matmul with transposes, m from self.aPrevious)
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
        m = self.aPrevious.shape[0]
        self.dW = (1.0 / m) * np.sum(np.matmul(dz, self.aPrevious.transpose((0, 2, 1))), axis=0)
        self.db = (1.0 / m) * np.sum(dz, axis=0)
        return np.matmul(self.W.T, dz)
