# bug: dW is the product of the means (mean dz)(mean a_prev)^T, not the mean of the products
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
        self.dW = dz.mean(axis=0) @ self.aPrevious.mean(axis=0).T
        self.db = dz.mean(axis=0)
        return (dz[..., 0] @ self.W)[..., np.newaxis]
