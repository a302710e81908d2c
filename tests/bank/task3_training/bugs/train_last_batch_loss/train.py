# Bug: records the loss and accuracy of the last mini-batch instead of the epoch mean.

def train(model, loss_fn, optimizer, X, Y, epochs, batch_size, seed=0, progress=False):
    """Train `model` with mini-batch gradient descent; return the history per epoch."""
    history = {"loss": [], "accuracy": []}
    m = X.shape[0]
    for epoch in tqdm(range(epochs), desc="epochs", disable=not progress):

        for X_batch, Y_batch in minibatches(X, Y, batch_size, shuffle=True, seed=seed + epoch):
            Y_hat = model(X_batch)
            batch_loss = float(np.mean(loss_fn(Y_hat, Y_batch)))
            batch_accuracy = accuracy(Y_hat, Y_batch)
            model.backward(loss_fn.backward(Y_hat, Y_batch))
            optimizer.step()
        history["loss"].append(batch_loss)
        history["accuracy"].append(batch_accuracy)
    return history
