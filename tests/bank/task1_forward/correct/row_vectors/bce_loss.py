# Correct: np.clip with BCELoss.eps (the class attribute), the two terms summed over the features and divided by n.
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
        p = np.clip(input, BCELoss.eps, 1 - BCELoss.eps)
        total = np.sum(target * np.log(p), axis=1, keepdims=True) + np.sum(
            (1 - target) * np.log(1 - p), axis=1, keepdims=True
        )
        return -total / input.shape[1]
