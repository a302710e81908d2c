# bug: [::-1] slice of the items, but backward returns nothing (its docstring asks for the gradient w.r.t. X)
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
