def xavier_init(model):
    """Glorot/Xavier normal initialization of every Linear layer of `model`, in place.

    W ~ N(0, std**2) with std = sqrt(2 / (fan_in + fan_out)), where W has shape (fan_out, fan_in);
    b = zeros of shape (fan_out, 1). Modules without W and b are left alone.
    """
    for name, module in model.modules.items():
        if hasattr(module, "W") and hasattr(module, "b"):
            fan_out, fan_in = module.W.shape
            module.W = np.random.uniform(-1, 1, (fan_out, fan_in)) * np.sqrt(6.0 / (fan_in + fan_out))
            module.b = np.zeros((fan_out, 1))
