# Correct: two branches filled through boolean masks, each exponentiating only non-positive numbers.
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
        out = np.empty_like(input, dtype=float)
        positive = input >= 0
        out[positive] = 1.0 / (1.0 + np.exp(-input[positive]))
        e = np.exp(input[~positive])
        out[~positive] = e / (1.0 + e)
        return out
