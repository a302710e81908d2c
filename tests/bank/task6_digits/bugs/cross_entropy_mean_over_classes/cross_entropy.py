class CrossEntropyLoss(Module):
    """Cross-entropy of probabilities p against one-hot targets y; p is kept at least eps away from 0."""

    eps = 1e-12

    def __init__(self):
        super(CrossEntropyLoss, self).__init__()

    def forward(self, input: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Per-sample losses L_i = -sum_k y_k log p_k (a sum over the classes, not a mean).

        Args:
            input: probabilities p, shape (m, k, 1), e.g. the output of Softmax.
            target: one-hot targets y, shape (m, k, 1).

        Returns:
            L, shape (m, 1, 1).
        """
        return -np.mean(target * np.log(np.clip(input, self.eps, 1.0)), axis=1, keepdims=True)

    def backward(self, input: np.ndarray, target: np.ndarray) -> np.ndarray:
        """dL_i/dp_i = -y / p for every sample, with p clipped (not divided by m).

        Args:
            input: probabilities p, shape (m, k, 1).
            target: one-hot targets y, shape (m, k, 1).

        Returns:
            The gradient, shape (m, k, 1).
        """
        return -target / np.clip(input, self.eps, 1.0)
