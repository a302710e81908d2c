# Bug: np.maximum(z, 0, out=z) writes the result into the caller's z.
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
        return np.maximum(input, 0, out=input)
