# Bug: the epoch loss and accuracy as the plain mean of the batch means (the smaller last batch weighs as much as a full one).

def train(model, loss_fn, optimizer, X, Y, epochs, batch_size, seed=0, progress=False):
    """Train `model` with mini-batch gradient descent; return the history per epoch."""
    history = {"loss": [], "accuracy": []}
    m = X.shape[0]
    for epoch in tqdm(range(epochs), desc="epochs", disable=not progress):

        batch_losses, batch_accuracies = [], []
        for X_batch, Y_batch in minibatches(X, Y, batch_size, shuffle=True, seed=None if seed is None else seed + epoch):
            Y_hat = model(X_batch)
            batch_losses.append(np.mean(loss_fn(Y_hat, Y_batch)))
            batch_accuracies.append(accuracy(Y_hat, Y_batch))
            model.backward(loss_fn.backward(Y_hat, Y_batch))
            optimizer.step()
        history["loss"].append(float(np.mean(batch_losses)))
        history["accuracy"].append(float(np.mean(batch_accuracies)))
    return history
