# Bug: never shuffles (shuffle=False): every epoch visits the samples in their original order.
def train(model, loss_fn, optimizer, X, Y, epochs, batch_size, seed=0, progress=False):
    """Train `model` with mini-batch gradient descent; return the history per epoch."""
    history = {"loss": [], "accuracy": []}
    m = X.shape[0]
    for epoch in tqdm(range(epochs), desc="epochs", disable=not progress):
        loss_sum, correct = 0.0, 0.0
        for X_batch, Y_batch in minibatches(X, Y, batch_size, shuffle=False):
            Y_hat = model(X_batch)
            loss_sum += float(np.sum(loss_fn(Y_hat, Y_batch)))
            correct += accuracy(Y_hat, Y_batch) * len(X_batch)
            model.backward(loss_fn.backward(Y_hat, Y_batch))
            optimizer.step()
        history["loss"].append(loss_sum / m)
        history["accuracy"].append(correct / m)
    return history
