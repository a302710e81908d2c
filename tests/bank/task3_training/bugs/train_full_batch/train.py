# Bug: ignores batch_size and takes one full-batch step per epoch.

def train(model, loss_fn, optimizer, X, Y, epochs, batch_size, seed=0, progress=False):
    """Train `model` with mini-batch gradient descent; return the history per epoch."""
    history = {"loss": [], "accuracy": []}
    m = X.shape[0]
    for epoch in tqdm(range(epochs), desc="epochs", disable=not progress):

        Y_hat = model(X)
        history["loss"].append(float(np.mean(loss_fn(Y_hat, Y))))
        history["accuracy"].append(accuracy(Y_hat, Y))
        model.backward(loss_fn.backward(Y_hat, Y))
        optimizer.step()
    return history
