# Correct: a copy of the input with its negative entries set to 0 (the caller's z is untouched).
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
        a = input.copy()
        a[a < 0] = 0
        return a
