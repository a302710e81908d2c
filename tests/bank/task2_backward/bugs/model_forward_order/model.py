# bug: backward visits the modules first to last
class Model(Module):
    def __init__(self):
        super(Model, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        for name, module in self.modules.items():
            input = module(input)
        return input

    def backward(self, z: np.ndarray) -> np.ndarray:
        for name, module in self.modules.items():
            z = module.backward(z)
        return z
