# Correct: a larger learning rate, fewer epochs.
def tiny_batch_settings():
    """Settings with which full-batch gradient descent memorises the tiny batch (TINY_BUDGET)."""
    return {"lr": 2.0, "epochs": 250}
