# bug: main() returns the network but not its loss
np.random.seed(3)  # the same network and data each time you run this cell
dataset_features_X, dataset_labels_Y = dataset_circles(m=128, radius=0.7, noise=0.0)


def main():
    sizes = [2, 3, 4, 5, 1]
    mlp = Model()
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        last = i == len(sizes) - 1
        mlp.add_module(Linear(n_in, n_out), f'Dense_{i}_out' if last else f'Dense_{i}')
        mlp.add_module(Sigmoid() if last else Tanh(), 'Sigmoid' if last else f'Tanh_{i}')
    loss_fn = BCELoss()

    predicted_Y_hat = mlp.forward(dataset_features_X)
    loss = loss_fn(predicted_Y_hat, dataset_labels_Y)
    dLoss = loss_fn.backward(predicted_Y_hat, dataset_labels_Y)
    mlp.backward(dLoss)

    for name, module in mlp.modules.items():
        if hasattr(module, 'dW'):
            print(name, module.dW.shape, module.db.shape)

    gradient_check(mlp, loss_fn, dataset_features_X, dataset_labels_Y)
    return mlp


mlp, loss_fn = run_main(main)
