# Bug: the modules' outputs are thrown away and the input is returned.
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
        for module in self.modules.values():
            module(input)
        return input
