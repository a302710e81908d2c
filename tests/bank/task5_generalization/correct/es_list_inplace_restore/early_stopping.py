class EarlyStopping:
    def __init__(self, model, patience=10):
        self.model = model
        self.patience = patience
        self.best_loss = np.inf
        self.best_epoch = 0
        self.history = []

    def step(self, val_loss):
        self.history.append(val_loss)
        if val_loss < self.best_loss:
            self.best_loss = val_loss
            self.best_epoch = len(self.history)
            self.snapshot = [np.array(getattr(module, attr)) for _, module, attr in parameters_of(self.model)]
        return len(self.history) - self.best_epoch >= self.patience

    def restore(self):
        for (_, module, attr), value in zip(parameters_of(self.model), self.snapshot):
            getattr(module, attr)[...] = value
