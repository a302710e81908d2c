# predictions = {"momentum_terminal_step": ..., "rmsprop_first_step": ..., "adam_first_step": ...,
#                "adam_first_step_uncorrected": ..., "relu_xavier_trend": "grows" | "shrinks" | "stays"}
predictions = {
    "momentum_terminal_step": 10.0,  # v -> g (1 + beta + beta^2 + ...) = g / (1 - beta)
    "rmsprop_first_step": 10.0,  # s_1 = (1 - beta) g^2: |g| / sqrt(0.01 g^2) = 1 / 0.1
    "adam_first_step": 1.0,  # m_hat = g, v_hat = g^2
    "adam_first_step_uncorrected": 3.16,  # (1 - beta1) / sqrt(1 - beta2) = 0.1 / 0.0316
    "relu_xavier_trend": "stays",  # n s^2 E[a^2] / Var[z] = 100 * (2/200) * 1/2 = 1/2 per layer
}
