def l2_penalty(model, lam):
    return lam * sum(float(np.sum(module.W**2)) for _, module, attr in parameters_of(model) if attr == "W")


def add_l2_gradient(model, lam):
    for _, module, attr in parameters_of(model):
        if attr == "W":
            module.dW = module.dW + lam * module.W
