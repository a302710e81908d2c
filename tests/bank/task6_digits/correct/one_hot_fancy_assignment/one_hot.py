def one_hot(labels: np.ndarray, k: int) -> np.ndarray:
    """One-hot columns of integer labels.

    Args:
        labels: integer class labels, shape (m,), each in 0..k-1.
        k: the number of classes.

    Returns:
        float array of shape (m, k, 1): result[i, labels[i], 0] = 1.0, every other entry 0.0.
    """
    rows = np.arange(len(labels))
    result = np.zeros((len(labels), k, 1))
    result[rows, labels, 0] = 1.0  # sample i, row labels[i]
    return result
