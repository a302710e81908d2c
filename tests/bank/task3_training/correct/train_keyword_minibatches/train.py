# Correct: calls minibatches with keyword arguments and counts the samples it saw.
def train(model, loss_fn, optimizer, X, Y, epochs, batch_size, seed=0, progress=False):
    """Train `model` with mini-batch gradient descent; return the history per epoch."""
    history = {"loss": [], "accuracy": []}
    m = X.shape[0]
    for epoch in tqdm(range(epochs), desc="epochs", disable=not progress):
        seen, loss_sum, right = 0, 0.0, 0.0
        for X_batch, Y_batch in minibatches(X=X, Y=Y, batch_size=batch_size, shuffle=True, seed=seed + epoch):
            Y_hat = model(X_batch)
            gradient = loss_fn.backward(Y_hat, Y_batch)
            loss_sum += float(loss_fn(Y_hat, Y_batch).sum())
            right += len(Y_batch) * accuracy(Y_hat, Y_batch, threshold=0.5)
            seen += len(Y_batch)
            model.backward(gradient)
            optimizer.step()
        history["loss"].append(loss_sum / seen)
        history["accuracy"].append(right / seen)
    return history
