# bug: forgot the upstream dz: dW = mean a_prev^T (tiled), db = 1 (only dz/dW, dz/db)
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
        self.dW = np.tile(np.mean(self.aPrevious, axis=0).T, (self.W.shape[0], 1))
        self.db = np.ones_like(self.b)
        return self.W.T @ dz
