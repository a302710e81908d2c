# Bug: gives Adam's corrected first step the uncorrected value 3.16 (bias correction makes it 1).
def my_predictions():
    """Your five predictions, worked out with pen and paper before the experiments (no code needed).

    Returns:
        {"momentum_terminal_step": a number, "rmsprop_first_step": a number, "adam_first_step": a number,
         "adam_first_step_uncorrected": a number, "relu_xavier_trend": "grows", "shrinks" or "stays"}
    """
    return {
        "momentum_terminal_step": 10.0,  # v -> g (1 + beta + beta^2 + ...) = g / (1 - beta)
        "rmsprop_first_step": 10.0,  # s_1 = (1 - beta) g^2: |g| / sqrt(0.01 g^2) = 1 / 0.1
        "adam_first_step": 3.16,  # (1 - beta1) / sqrt(1 - beta2)
        "adam_first_step_uncorrected": 3.16,  # (1 - beta1) / sqrt(1 - beta2) = 0.1 / 0.0316
        "relu_xavier_trend": "shrinks",  # n s^2 E[a^2] / Var[z] = 100 * (2/200) * 1/2 = 1/2 per layer
    }


predictions = answer_of(my_predictions)  # what my_predictions() returns (None while it raises)
