# correct: reversed(list(self.modules.values()))
class Model(Module):
    def __init__(self):
        super(Model, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        for name, module in self.modules.items():
            input = module(input)
        return input

    def backward(self, z: np.ndarray) -> np.ndarray:
        for module in reversed(list(self.modules.values())):
            z = module.backward(z)
        return z
