def he_init(model):
    for _, module, attr in parameters_of(model):
        fan_out, fan_in = module.W.shape
        if attr == "W":
            module.W = np.random.normal(0.0, np.sqrt(2 / fan_in), size=(fan_out, fan_in))
        else:
            module.b = np.zeros_like(module.b)
