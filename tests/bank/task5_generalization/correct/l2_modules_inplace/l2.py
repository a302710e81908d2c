def l2_penalty(model, lam):
    total = 0.0
    for module in model.modules.values():
        if hasattr(module, "W") and hasattr(module, "b"):
            total += np.linalg.norm(module.W) ** 2
    return 0.5 * lam * total


def add_l2_gradient(model, lam):
    for module in model.modules.values():
        if hasattr(module, "W") and hasattr(module, "b"):
            module.dW += lam * module.W  # in place: backward stored a fresh array
