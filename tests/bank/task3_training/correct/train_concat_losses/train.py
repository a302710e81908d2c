# Correct: keeps every per-sample loss and prediction of the epoch, averages at the end.

def train(model, loss_fn, optimizer, X, Y, epochs, batch_size, seed=0, progress=False):
    """Train `model` with mini-batch gradient descent; return the history per epoch."""
    history = {"loss": [], "accuracy": []}
    m = X.shape[0]
    for epoch in tqdm(range(epochs), desc="epochs", disable=not progress):

        losses, hits = [], []
        for X_batch, Y_batch in minibatches(X, Y, batch_size, shuffle=True, seed=seed + epoch):
            Y_hat = model.forward(X_batch)
            losses.append(loss_fn.forward(Y_hat, Y_batch).ravel())
            hits.append(((Y_hat > 0.5) == Y_batch).ravel())
            gradient = loss_fn.backward(Y_hat, Y_batch)
            model.backward(gradient)
            optimizer.step()
        history["loss"].append(float(np.concatenate(losses).mean()))
        history["accuracy"].append(float(np.concatenate(hits).mean()))
    return history
