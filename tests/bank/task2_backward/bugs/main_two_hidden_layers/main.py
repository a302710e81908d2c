# bug: only 2 hidden layers (2-4-4-1)
np.random.seed(3)  # the same network and data each time you run this cell
dataset_features_X, dataset_labels_Y = dataset_circles(m=128, radius=0.7, noise=0.0)


mlp = Model()
mlp.add_module(Linear(2, 4), 'Dense_1')
mlp.add_module(Tanh(), 'Tanh_1')
mlp.add_module(Linear(4, 4), 'Dense_2')
mlp.add_module(Tanh(), 'Tanh_2')
mlp.add_module(Linear(4, 1), 'Dense_3_out')
mlp.add_module(Sigmoid(), 'Sigmoid')
loss_fn = BCELoss()

predicted_Y_hat = mlp.forward(dataset_features_X)
loss = loss_fn(predicted_Y_hat, dataset_labels_Y)
dLoss = loss_fn.backward(predicted_Y_hat, dataset_labels_Y)
mlp.backward(dLoss)

for name, module in mlp.modules.items():
    if hasattr(module, 'dW'):
        print(name, module.dW.shape, module.db.shape)

gradient_check(mlp, loss_fn, dataset_features_X, dataset_labels_Y)
