# correct: 1 - a**2 factored as (1 - a)(1 + a)
class Tanh(Module):
    def __init__(self):
        super(Tanh, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        self.a = np.tanh(input)
        return self.a

    def backward(self, da: np.ndarray) -> np.ndarray:
        return da * (1 - self.a) * (1 + self.a)
