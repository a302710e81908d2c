# Bug: a local eps = 1e-12 added inside the logarithms, ignoring self.eps.
#------------------------------------------------------------------------------
#   Binary cross entropy loss function class
#------------------------------------------------------------------------------
class BCELoss(Module):
    """Binary cross entropy of probabilities p against labels y in {0, 1}.

    p is clipped to [eps, 1 - eps] so that log(0) never happens.
    """

    eps = 1e-12

    def __init__(self):
        super(BCELoss, self).__init__()

    def forward(self, input: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Per-sample losses L_i = -mean_j [y log p + (1 - y) log(1 - p)].

        Args:
            input: probabilities p, shape (m, n, 1).
            target: labels y, shape (m, n, 1).

        Returns:
            L, shape (m, 1, 1).
        """
        eps = 1e-12
        losses = target * np.log(input + eps) + (1 - target) * np.log(1 - input + eps)
        return -losses.mean(axis=1, keepdims=True)
