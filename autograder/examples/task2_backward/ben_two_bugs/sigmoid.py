class Sigmoid(Module):
    """The logistic function, applied element-wise."""

    def __init__(self):
        super(Sigmoid, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        self.z = input
        self.a = np.exp(-np.logaddexp(0.0, -input))
        return self.a

    def backward(self, da: np.ndarray) -> np.ndarray:
        # Bug: the derivative is computed from the input z instead of the output a.
        return da * self.z * (1 - self.z)
