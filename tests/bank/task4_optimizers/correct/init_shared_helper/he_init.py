def he_init(model):
    for module in model.modules.values():
        if hasattr(module, "W") and hasattr(module, "b"):
            fan_in = module.W.shape[1]
            module.W = np.random.randn(*module.W.shape) / np.sqrt(fan_in / 2)
            module.b = np.zeros((module.W.shape[0], 1))
