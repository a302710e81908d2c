# Bug: sets the negative entries of the input itself to 0 and returns it (the caller's z is changed).
#------------------------------------------------------------------------------
#   ReLU activation function class
#------------------------------------------------------------------------------
class ReLU(Module):
    """The rectified linear unit a = max(0, z), element-wise."""

    def __init__(self):
        super(ReLU, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        """a = max(0, z).

        Args:
            input: z, shape (m, n, 1).

        Returns:
            a, shape (m, n, 1).
        """
        input[input < 0] = 0
        return input
