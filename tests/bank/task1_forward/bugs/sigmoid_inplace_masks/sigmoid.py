# Bug: a stable sigmoid written into the input array through masks (the caller's z is changed).
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
        positive = input >= 0
        e = np.exp(-np.abs(input))
        input[positive] = 1 / (1 + e[positive])
        input[~positive] = e[~positive] / (1 + e[~positive])
        return input
