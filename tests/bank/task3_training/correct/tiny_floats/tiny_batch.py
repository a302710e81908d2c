# Correct: a small learning rate at the limit of the budget; epochs as a float with a whole value.
def tiny_batch_settings():
    """Settings with which full-batch gradient descent memorises the tiny batch (TINY_BUDGET)."""
    settings = dict(lr=0.6, epochs=300.0)
    return settings
