# Bug: 1 / (1 + exp(z)), the sign of the exponent flipped.
#------------------------------------------------------------------------------
#   Sigmoid activation function class
#------------------------------------------------------------------------------
class Sigmoid(Module):
    """The logistic function a = 1 / (1 + exp(-z)), element-wise."""

    def __init__(self):
        super(Sigmoid, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        """a = sigmoid(z), finite and without overflow for any z.

        Args:
            input: z, shape (m, n, 1).

        Returns:
            a, shape (m, n, 1).
        """
        e = np.exp(-np.abs(input))
        return np.where(input >= 0, e / (1 + e), 1 / (1 + e))
