class EarlyStopping:
    def __init__(self, model, patience=10):
        self.model = model
        self.patience = patience
        self.best_loss = np.inf
        self.best_epoch = 0
        self.epoch = 0
        self.bad_epochs = 0

    def step(self, val_loss):
        self.epoch += 1
        if val_loss < self.best_loss:
            self.best_loss, self.best_epoch = val_loss, self.epoch
            self.saved = {name: getattr(module, attr).copy() for name, module, attr in parameters_of(self.model)}
        else:
            self.bad_epochs += 1  # counts every bad epoch since the start, never back to 0
        return self.bad_epochs >= self.patience

    def restore(self):
        for name, module, attr in parameters_of(self.model):
            setattr(module, attr, self.saved[name].copy())
