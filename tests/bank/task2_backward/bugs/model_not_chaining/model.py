# bug: every module receives the loss gradient (result not passed on)
class Model(Module):
    def __init__(self):
        super(Model, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        for name, module in self.modules.items():
            input = module(input)
        return input

    def backward(self, z: np.ndarray) -> np.ndarray:
        for name, module in reversed(self.modules.items()):
            module.backward(z)
        return z
