# Correct: trains on the batches, then measures loss and accuracy on the whole set after each epoch.

def train(model, loss_fn, optimizer, X, Y, epochs, batch_size, seed=0, progress=False):
    """Train `model` with mini-batch gradient descent; return the history per epoch."""
    history = {"loss": [], "accuracy": []}
    m = X.shape[0]
    for epoch in tqdm(range(epochs), desc="epochs", disable=not progress):

        for X_batch, Y_batch in minibatches(X, Y, batch_size, seed=seed + epoch):
            Y_hat = model(X_batch)
            model.backward(loss_fn.backward(Y_hat, Y_batch))
            optimizer.step()
        Y_hat_all = model(X)
        history["loss"].append(float(np.mean(loss_fn(Y_hat_all, Y))))
        history["accuracy"].append(accuracy(Y_hat_all, Y))
    return history
