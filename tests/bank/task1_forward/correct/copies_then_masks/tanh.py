# Correct: np.tanh into a new array made with np.empty_like (out= a new array, not the input).
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
        a = np.empty_like(input, dtype=float)
        np.tanh(input, out=a)
        return a
