def l2_penalty(model, lam):
    return lam / 2 * sum(float(np.sum(module.W**2)) for _, module, attr in parameters_of(model) if attr == "W")


def add_l2_gradient(model, lam):
    for _, module, attr in parameters_of(model):
        if attr == "W":
            m = module.aPrevious.shape[0]  # "dW is averaged over the batch, so the penalty's part must be too"
            module.dW = module.dW + lam * module.W / m
