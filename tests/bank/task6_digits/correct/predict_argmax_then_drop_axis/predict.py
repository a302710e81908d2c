def predict(Y_hat: np.ndarray) -> np.ndarray:
    """The predicted class of every sample: the index of its largest output.

    Args:
        Y_hat: network outputs (logits or probabilities), shape (m, k, 1).

    Returns:
        integer labels, shape (m,).
    """
    return np.argmax(Y_hat, axis=1)[:, 0]
