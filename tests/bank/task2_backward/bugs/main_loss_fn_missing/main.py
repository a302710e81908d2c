# bug: the loss module is stored as `criterion`, so `loss_fn` is never defined
np.random.seed(3)  # the same network and data each time you run this cell
dataset_features_X, dataset_labels_Y = dataset_circles(m=128, radius=0.7, noise=0.0)


mlp = Model()
mlp.add_module(Linear(2, 3), 'Dense_1')
mlp.add_module(Tanh(), 'Tanh_1')
mlp.add_module(Linear(3, 4), 'Dense_2')
mlp.add_module(Tanh(), 'Tanh_2')
mlp.add_module(Linear(4, 5), 'Dense_3')
mlp.add_module(Tanh(), 'Tanh_3')
mlp.add_module(Linear(5, 1), 'Dense_4_out')
mlp.add_module(Sigmoid(), 'Sigmoid')
criterion = BCELoss()

predicted_Y_hat = mlp.forward(dataset_features_X)
dLoss = criterion.backward(predicted_Y_hat, dataset_labels_Y)
mlp.backward(dLoss)
gradient_check(mlp, criterion, dataset_features_X, dataset_labels_Y)
