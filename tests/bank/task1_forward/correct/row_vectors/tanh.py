# Correct: the exponential formula with both exponentials scaled by exp(-|z|): (e^(z-|z|) - e^(-z-|z|)) / (...).
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
        a = np.abs(input)
        plus, minus = np.exp(input - a), np.exp(-input - a)
        return (plus - minus) / (plus + minus)
