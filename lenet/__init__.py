"""LeNet-5 on MNIST: the model, its data, training, checkpoints and ONNX export."""
