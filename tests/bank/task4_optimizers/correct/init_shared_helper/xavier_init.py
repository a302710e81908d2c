def _normal_init(model, variance):
    """Fresh N(0, variance(fan_in, fan_out)) weights and zero biases for every Linear."""
    for module in model.modules.values():
        if isinstance(getattr(module, "W", None), np.ndarray) and isinstance(getattr(module, "b", None), np.ndarray):
            fan_in, fan_out = module.W.shape[1], module.W.shape[0]
            module.W = np.sqrt(variance(fan_in, fan_out)) * np.random.standard_normal(module.W.shape)
            module.b = np.zeros((fan_out, 1))


def xavier_init(model):
    _normal_init(model, lambda fan_in, fan_out: 2.0 / (fan_in + fan_out))
