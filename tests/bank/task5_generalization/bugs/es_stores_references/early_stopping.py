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
            # the arrays themselves, not copies: an optimizer that updates them in place changes these too
            self.saved = {name: getattr(module, attr) for name, module, attr in parameters_of(self.model)}
        return self.epoch - self.best_epoch >= self.patience

    def restore(self):
        for name, module, attr in parameters_of(self.model):
            setattr(module, attr, self.saved[name])
