# Bug: np.tanh(z, out=z) overwrites the caller's z.
#------------------------------------------------------------------------------
#   Tanh activation function class
#------------------------------------------------------------------------------
class Tanh(Module):
    """The hyperbolic tangent a = tanh(z), element-wise."""

    def __init__(self):
        super(Tanh, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        """a = tanh(z).

        Args:
            input: z, shape (m, n, 1).

        Returns:
            a, shape (m, n, 1).
        """
        return np.tanh(input, out=input)
