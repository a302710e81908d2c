class Softmax(Module):
    """The softmax of each sample's k logits: p_j = exp(z_j) / sum_k exp(z_k)."""

    def __init__(self):
        super(Softmax, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        """p = softmax(z) for every sample, without overflow for any logits.

        Args:
            input: logits z, shape (m, k, 1).

        Returns:
            p, shape (m, k, 1): each sample's k probabilities, adding up to 1 (keep what backward needs).
        """
        e = np.exp(input)  # overflows for logits above 709
        self.p = e / np.sum(e, axis=1, keepdims=True)
        return self.p

    def backward(self, dp: np.ndarray) -> np.ndarray:
        """dz = J dp with J = diag(p) - p p^T: dz_j = p_j (dp_j - sum_k p_k dp_k), for every sample.

        Args:
            dp: dL_i/dp_i, shape (m, k, 1).

        Returns:
            dz = dL_i/dz_i, shape (m, k, 1) (per sample, not divided by m).
        """
        return self.p * (dp - np.sum(self.p * dp, axis=1, keepdims=True))
