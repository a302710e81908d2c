# Bug: predicts that ReLU with Xavier keeps the signal's std (it halves the second moment per layer).
def my_predictions():
    """Your five predictions, worked out with pen and paper before the experiments (no code needed).

    Returns:
        {"momentum_terminal_step": a number, "rmsprop_first_step": a number, "adam_first_step": a number,
         "adam_first_step_uncorrected": a number, "relu_xavier_trend": "grows", "shrinks" or "stays"}
    """
    return {
        "momentum_terminal_step": 10.0,  # v -> g (1 + beta + beta^2 + ...) = g / (1 - beta)
        "rmsprop_first_step": 10.0,  # s_1 = (1 - beta) g^2: |g| / sqrt(0.01 g^2) = 1 / 0.1
        "adam_first_step": 1.0,  # m_hat = g, v_hat = g^2
        "adam_first_step_uncorrected": 3.16,  # (1 - beta1) / sqrt(1 - beta2) = 0.1 / 0.0316
        "relu_xavier_trend": "stays",  # Xavier keeps the variance (true for tanh, not for ReLU)
    }


predictions = answer_of(my_predictions)  # what my_predictions() returns (None while it raises)
