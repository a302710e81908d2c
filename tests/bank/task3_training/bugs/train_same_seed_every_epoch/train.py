# Bug: the same seed every epoch (the same batches in the same order); batch means weighted by batch size.
def train(model, loss_fn, optimizer, X, Y, epochs, batch_size, seed=0, progress=False):
    """Train `model` with mini-batch gradient descent; return the history per epoch."""
    history = {"loss": [], "accuracy": []}
    for epoch in range(epochs):
        weighted_loss = weighted_acc = seen = 0
        for X_batch, Y_batch in minibatches(X, Y, batch_size, True, seed):
            B = len(X_batch)
            Y_hat = model(X_batch)
            weighted_loss += B * loss_fn(Y_hat, Y_batch).mean()
            weighted_acc += B * accuracy(Y_hat, Y_batch)
            model.backward(loss_fn.backward(Y_hat, Y_batch))
            optimizer.step()
            seen += B
        history["loss"].append(weighted_loss / seen)
        history["accuracy"].append(weighted_acc / seen)
    return history
