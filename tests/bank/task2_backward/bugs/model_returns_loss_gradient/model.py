# bug: chains correctly but returns the gradient it was given, not the first module's
class Model(Module):
    def __init__(self):
        super(Model, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        for name, module in self.modules.items():
            input = module(input)
        return input

    def backward(self, z: np.ndarray) -> np.ndarray:
        grad = z
        for name, module in reversed(self.modules.items()):
            grad = module.backward(grad)
        return z
