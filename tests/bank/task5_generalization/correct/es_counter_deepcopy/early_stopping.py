import copy


class EarlyStopping:
    def __init__(self, model, patience=10):
        self.model = model
        self.patience = patience
        self.best_loss = np.inf
        self.best_epoch = 0
        self.epochs = 0
        self.bad_epochs = 0
        self.saved = None

    def _layers(self):
        return [m for m in self.model.modules.values() if hasattr(m, "W") and hasattr(m, "b")]

    def step(self, val_loss):
        self.epochs += 1
        if val_loss < self.best_loss:
            self.best_loss = val_loss
            self.best_epoch = self.epochs
            self.bad_epochs = 0
            self.saved = copy.deepcopy([(layer.W, layer.b) for layer in self._layers()])
        else:
            self.bad_epochs += 1
        return self.bad_epochs >= self.patience

    def restore(self):
        for layer, (W, b) in zip(self._layers(), self.saved):
            np.copyto(layer.W, W)
            np.copyto(layer.b, b)
