# Bug (the original notebook's): mean over the batch, axis 0.
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
        return np.mean(np.power(target - input, 2), axis=0)
