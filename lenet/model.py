"""The seed's LeNet-5 (44,426 parameters); `lenet.checkpoint` rebuilds a trained one."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from lenet.contract import LABELS, MNIST_MEAN, MNIST_STD
from lenet.recipes import ModelConfig, config_from_dict

# 28 -conv5-> 24 -pool-> 12 -conv5-> 8 -pool-> 4: conv2 gives (16, 4, 4) after pooling.
FLAT_FEATURES = 16 * 4 * 4


class LeNet5(nn.Module):
    """LeNet-5 as in the seed: two conv/pool stages, three fully connected layers.

    Input: float32 (N, 1, 28, 28), raw pixels in [0, 1], white ink on black.
    Output: logits (N, 10). Normalization by the MNIST statistics happens here,
    so no caller (nor the exported ONNX model's user) has to repeat it.
    """

    def __init__(self, config: ModelConfig | None = None) -> None:
        super().__init__()
        self.config = config or ModelConfig()
        self.conv1 = nn.Conv2d(1, 6, kernel_size=5)
        self.conv2 = nn.Conv2d(6, 16, kernel_size=5)
        self.conv2_drop = nn.Dropout2d(self.config.conv_dropout)
        self.fc1 = nn.Linear(FLAT_FEATURES, 120)
        self.fc1_drop = nn.Dropout(self.config.fc_dropout)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, len(LABELS))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = (x - MNIST_MEAN) / MNIST_STD
        x = F.relu(F.max_pool2d(self.conv1(x), 2))  # (N, 6, 12, 12)
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))  # (N, 16, 4, 4)
        x = x.flatten(1)  # (N, 256)
        x = self.fc1_drop(F.relu(self.fc1(x)))  # (N, 120)
        x = F.relu(self.fc2(x))  # (N, 84)
        return self.fc3(x)  # (N, 10)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def build_model(config: dict | ModelConfig | None = None) -> LeNet5:
    """Build LeNet-5 from a config dataclass or its dict form (as saved in checkpoints)."""
    if isinstance(config, dict):
        config = config_from_dict(ModelConfig, config)
    return LeNet5(config)
