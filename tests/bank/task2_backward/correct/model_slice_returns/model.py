# correct: [::-1] slice of the items, returns the last gradient
class Model(Module):
    def __init__(self):
        super(Model, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        for name, module in self.modules.items():
            input = module(input)
        return input

    def backward(self, z: np.ndarray) -> np.ndarray:
        for name, module in list(self.modules.items())[::-1]:
            z = module.backward(z)
        return z
