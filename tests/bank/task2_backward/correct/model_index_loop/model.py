# correct: index loop from the last name to the first
class Model(Module):
    def __init__(self):
        super(Model, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        for name, module in self.modules.items():
            input = module(input)
        return input

    def backward(self, z: np.ndarray) -> np.ndarray:
        names = list(self.modules.keys())
        for i in range(len(names) - 1, -1, -1):
            z = self.modules[names[i]].backward(z)
        return z
