# bug: no sigmoid output: the last Linear's z is the prediction (not a probability), with MSE
np.random.seed(3)  # the same network and data each time you run this cell
dataset_features_X, dataset_labels_Y = dataset_circles(m=128, radius=0.7, noise=0.0)


def main():
    mlp = Model()
    mlp.add_module(Linear(2, 3), 'Dense_1')
    mlp.add_module(Tanh(), 'Tanh_1')
    mlp.add_module(Linear(3, 4), 'Dense_2')
    mlp.add_module(Tanh(), 'Tanh_2')
    mlp.add_module(Linear(4, 5), 'Dense_3')
    mlp.add_module(Tanh(), 'Tanh_3')
    mlp.add_module(Linear(5, 1), 'Dense_4_out')
    loss_fn = MSELoss()

    predicted_Y_hat = mlp.forward(dataset_features_X)
    loss = loss_fn(predicted_Y_hat, dataset_labels_Y)
    dLoss = loss_fn.backward(predicted_Y_hat, dataset_labels_Y)
    mlp.backward(dLoss)

    for name, module in mlp.modules.items():
        if hasattr(module, 'dW'):
            print(name, module.dW.shape, module.db.shape)

    gradient_check(mlp, loss_fn, dataset_features_X, dataset_labels_Y)
    return mlp, loss_fn


mlp, loss_fn = run_main(main)
