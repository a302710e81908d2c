def l2_penalty(model, lam):
    return lam / 2 * sum(float(np.sum(getattr(module, attr) ** 2)) for _, module, attr in parameters_of(model))


def add_l2_gradient(model, lam):
    for _, module, attr in parameters_of(model):  # W and b alike
        setattr(module, "d" + attr, getattr(module, "d" + attr) + lam * getattr(module, attr))
