"""The network itself: shape, size, where normalization happens, its config."""

import torch

from lenet.contract import LABELS, MNIST_MEAN, MNIST_STD
from lenet.model import LeNet5, ModelConfig, build_model, count_parameters


def test_output_shape():
    model = LeNet5().eval()
    assert model(torch.rand(5, 1, 28, 28)).shape == (5, len(LABELS))


def test_parameter_count_is_the_seeds():
    assert count_parameters(LeNet5()) == 44_426


def test_normalization_happens_inside_forward():
    # The first conv must see (x - mean) / std: compare with a manual pass.
    model = LeNet5().eval()
    x = torch.rand(3, 1, 28, 28)
    normalized = (x - MNIST_MEAN) / MNIST_STD
    expected = model.conv1(normalized)
    seen = {}
    model.conv1.register_forward_hook(lambda m, inp, out: seen.setdefault("out", out))
    model(x)
    torch.testing.assert_close(seen["out"], expected)


def test_dropout_rates_are_constructor_arguments():
    model = build_model({"conv_dropout": 0.2, "fc_dropout": 0.3})
    assert (model.conv2_drop.p, model.fc1_drop.p) == (0.2, 0.3)
    assert LeNet5().config == ModelConfig(0.5, 0.5)


def test_eval_mode_is_deterministic_and_train_mode_is_not():
    model = LeNet5()
    x = torch.rand(8, 1, 28, 28)
    model.eval()
    torch.testing.assert_close(model(x), model(x))
    model.train()
    assert not torch.equal(model(x), model(x))
