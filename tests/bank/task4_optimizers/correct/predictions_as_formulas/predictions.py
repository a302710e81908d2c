beta, beta1, beta2 = 0.9, 0.9, 0.999
predictions = {
    "momentum_terminal_step": 1 / (1 - beta),
    "rmsprop_first_step": 1 / np.sqrt(1 - 0.99),
    "adam_first_step": 1,
    "adam_first_step_uncorrected": (1 - beta1) / np.sqrt(1 - beta2),
    "relu_xavier_trend": "shrinks",
}
predictions = {key: float(value) if not isinstance(value, str) else value for key, value in predictions.items()}
