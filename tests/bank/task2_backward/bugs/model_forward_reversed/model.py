# bug: the given forward edited by accident, it now runs the modules last to first (backward is right)
class Model(Module):
    def __init__(self):
        super(Model, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        for name, module in reversed(self.modules.items()):
            input = module(input)
        return input

    def backward(self, z: np.ndarray) -> np.ndarray:
        for name, module in reversed(self.modules.items()):
            z = module.backward(z)
        return z
