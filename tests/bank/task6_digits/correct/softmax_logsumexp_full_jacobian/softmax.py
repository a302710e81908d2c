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
        # log softmax(z) = z - logsumexp(z); np.logaddexp.reduce never overflows
        self.p = np.exp(input - np.logaddexp.reduce(input, axis=1, keepdims=True))
        return self.p

    def backward(self, dp: np.ndarray) -> np.ndarray:
        """dz = J dp with J = diag(p) - p p^T: dz_j = p_j (dp_j - sum_k p_k dp_k), for every sample.

        Args:
            dp: dL_i/dp_i, shape (m, k, 1).

        Returns:
            dz = dL_i/dz_i, shape (m, k, 1) (per sample, not divided by m).
        """
        k = self.p.shape[1]
        p = self.p  # (m, k, 1)
        J = np.eye(k) * p - p @ p.transpose(0, 2, 1)  # (m, k, k): diag(p) - p p^T for every sample
        return J.transpose(0, 2, 1) @ dp
