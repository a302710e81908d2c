def l2_penalty(model, lam):
    layers = [module for module in model.modules.values() if isinstance(module, Linear)]
    return float(lam / 2 * sum(np.einsum("ij,ij->", layer.W, layer.W) for layer in layers))


def add_l2_gradient(model, lam):
    for module in model.modules.values():
        if isinstance(module, Linear):
            module.dW = lam * module.W + module.dW
