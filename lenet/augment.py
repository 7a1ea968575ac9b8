"""Batched data augmentation on the training device (placeholder: identity)."""

import torch


def random_affine(images: torch.Tensor) -> torch.Tensor:
    return images
