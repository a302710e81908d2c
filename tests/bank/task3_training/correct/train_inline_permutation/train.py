# Correct: shuffles with the permutation minibatches would draw, without calling it; keywords everywhere.
def train(model, loss_fn, optimizer, X, Y, epochs, batch_size, seed=0, progress=False):
    """Train `model` with mini-batch gradient descent; return the history per epoch."""
    history = {"loss": [], "accuracy": []}
    m = X.shape[0]
    for epoch in tqdm(range(epochs), desc="epochs", disable=not progress):
        order = np.random.default_rng(seed=seed + epoch).permutation(m)
        total_loss, hits = 0.0, 0
        for start in range(0, m, batch_size):
            index = order[start:start + batch_size]
            X_batch, Y_batch = X[index], Y[index]
            Y_hat = model.forward(X_batch)
            total_loss += loss_fn.forward(Y_hat, Y_batch).sum()
            hits += int(np.sum((Y_hat > 0.5) == (Y_batch > 0.5)))
            model.backward(loss_fn.backward(Y_hat, Y_batch))
            optimizer.step()
        history["loss"].append(float(total_loss / m))
        history["accuracy"].append(hits / m)
    return history
