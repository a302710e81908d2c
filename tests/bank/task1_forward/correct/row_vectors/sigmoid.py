# Correct: the textbook formula on z clipped to [-500, 500] (exp stays finite; the error is < 1e-200).
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
        z = np.clip(input, -500, 500)
        return 1.0 / (1.0 + np.exp(-z))
