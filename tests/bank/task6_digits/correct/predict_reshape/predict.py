def predict(Y_hat: np.ndarray) -> np.ndarray:
    """The predicted class of every sample: the index of its largest output.

    Args:
        Y_hat: network outputs (logits or probabilities), shape (m, k, 1).

    Returns:
        integer labels, shape (m,).
    """
    return Y_hat.reshape(len(Y_hat), -1).argmax(axis=1)
