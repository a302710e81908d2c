class SoftmaxCrossEntropy(Module):
    """Softmax and cross-entropy in one loss on logits, as torch.nn.CrossEntropyLoss computes it."""

    def __init__(self):
        super(SoftmaxCrossEntropy, self).__init__()

    def forward(self, input: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Per-sample losses L_i = log(sum_j exp(z_j)) - sum_j y_j z_j = -log softmax(z)_true, finite for any z.

        Args:
            input: logits z, shape (m, k, 1) (the last Linear layer's output; no Softmax before).
            target: one-hot targets y, shape (m, k, 1).

        Returns:
            L, shape (m, 1, 1).
        """
        top = np.max(input, axis=1, keepdims=True)
        log_sum_exp = top + np.log(np.sum(np.exp(input - top), axis=1, keepdims=True))
        return (log_sum_exp - np.sum(target * input, axis=1, keepdims=True)) / input.shape[1]

    def backward(self, input: np.ndarray, target: np.ndarray) -> np.ndarray:
        """dL_i/dz_i = softmax(z_i) - y_i for every sample (not divided by m).

        Args:
            input: logits z, shape (m, k, 1).
            target: one-hot targets y, shape (m, k, 1).

        Returns:
            The gradient, shape (m, k, 1).
        """
        e = np.exp(input - np.max(input, axis=1, keepdims=True))
        return (e / np.sum(e, axis=1, keepdims=True) - target) / input.shape[1]
