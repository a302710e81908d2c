# Bug: mean over the batch (axis 0) with keepdims=True; with one output the shape is (1, 1, 1).
#------------------------------------------------------------------------------
#   Mean squared error loss function class
#------------------------------------------------------------------------------
class MSELoss(Module):
    """Mean squared error, averaged over the output features of each sample."""

    def __init__(self):
        super(MSELoss, self).__init__()

    def forward(self, input: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Per-sample losses L_i = mean_j (y_hat_ij - y_ij)**2.

        Args:
            input: predictions y_hat, shape (m, n, 1).
            target: targets y, shape (m, n, 1).

        Returns:
            L, shape (m, 1, 1).
        """
        return np.mean((input - target) ** 2, axis=0, keepdims=True)
