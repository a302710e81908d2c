# Bug: the starting settings: the loss crawls.
def tiny_batch_settings():
    """Settings with which full-batch gradient descent memorises the tiny batch (TINY_BUDGET)."""
    return {"lr": 0.05, "epochs": 100}
