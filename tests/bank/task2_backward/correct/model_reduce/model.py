# correct: functools.reduce over the reversed modules
class Model(Module):
    def __init__(self):
        super(Model, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        for name, module in self.modules.items():
            input = module(input)
        return input

    def backward(self, z: np.ndarray) -> np.ndarray:
        from functools import reduce
        return reduce(lambda grad, module: module.backward(grad), reversed(list(self.modules.values())), z)
