# bug: iterates over the names (the keys of self.modules), not the modules
class Model(Module):
    def __init__(self):
        super(Model, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        for name, module in self.modules.items():
            input = module(input)
        return input

    def backward(self, z: np.ndarray) -> np.ndarray:
        for name in reversed(self.modules):
            z = name.backward(z)
        return z
