# Bug: W drawn with randn but stored as float32 (single precision).
#------------------------------------------------------------------------------
#   Linear class
#------------------------------------------------------------------------------
class Linear(Module):
    """A fully connected layer: z = W @ a_prev + b for every sample of the batch.

    Args:
        in_features: n_in, the size of each input column vector.
        out_features: n_out, the size of each output column vector.

    Attributes:
        W: weights, shape (out_features, in_features), drawn from a standard normal.
        b: biases, shape (out_features, 1), zeros.
        dW: gradient of the cost with respect to W, same shape as W (zeros until Task 2).
        db: gradient of the cost with respect to b, same shape as b (zeros until Task 2).
    """

    def __init__(self, in_features: int, out_features: int):
        super(Linear, self).__init__()
        self.W = np.random.randn(out_features, in_features).astype(np.float32)
        self.dW = np.zeros_like(self.W)
        self.b = np.zeros((out_features, 1))
        self.db = np.zeros_like(self.b)

    def forward(self, input: np.ndarray) -> np.ndarray:
        """z = W @ a_prev + b.

        Args:
            input: a_prev, shape (m, in_features, 1).

        Returns:
            z, shape (m, out_features, 1).
        """
        self.aPrevious = input  # cached for the backward pass (Task 2)
        return self.W @ input + self.b
