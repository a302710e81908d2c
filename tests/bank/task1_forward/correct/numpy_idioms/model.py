# Correct: a while loop over the list of modules.
#------------------------------------------------------------------------------
#   Model class
#------------------------------------------------------------------------------
class Model(Module):
    """A chain of modules, run in the order they were added with add_module."""

    def __init__(self):
        super(Model, self).__init__()

    def forward(self, input: np.ndarray) -> np.ndarray:
        """Run every module's forward, first to last, feeding each output into the next module.

        Args:
            input: X, shape (m, n_features, 1).

        Returns:
            The output of the last module, e.g. (m, n_out, 1).
        """
        modules = list(self.modules.values())
        i = 0
        while i < len(modules):
            input = modules[i](input)
            i += 1
        return input
