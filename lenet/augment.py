"""Batched data augmentation on the training device, in the spirit of LeCun's distortions.

Each image of a batch gets its own random rotation, scale and translation
(one affine_grid + grid_sample call for the whole batch), and half get their
strokes thickened or thinned partway toward a 3x3 grey-level dilation or erosion, the
way a mouse or a finger draws thicker or thinner than a pen. Nothing runs per
sample on the host, so augmentation does not bring back the data-pipeline
bottleneck.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

MAX_ROTATION_DEGREES = 12.0
MAX_SCALE_CHANGE = 0.12  # scale in [0.88, 1.12]
MAX_SHIFT_PIXELS = 2.5
STROKE_CHANGE_PROBABILITY = 0.5
# Strokes move toward their 3x3 dilation (thicker) by up to 100%, or toward their
# erosion (thinner) by up to 50%: a full 3x3 erosion wipes out thin MNIST strokes.
MAX_THICKEN, MAX_THIN = 1.0, 0.5


def random_affine(images: torch.Tensor) -> torch.Tensor:
    """Randomly rotate, scale, shift and thicken/thin a batch (N, 1, H, W) of digits."""
    n, _, height, width = images.shape
    device = images.device
    angle = (torch.rand(n, device=device) * 2 - 1) * math.radians(MAX_ROTATION_DEGREES)
    scale = 1 + (torch.rand(n, device=device) * 2 - 1) * MAX_SCALE_CHANGE
    shift = (torch.rand(n, 2, device=device) * 2 - 1) * (2 * MAX_SHIFT_PIXELS / width)
    # affine_grid maps output coordinates to input ones: the inverse of the wanted transform.
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1
    )  # (N, 2, 3)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    out = F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)

    amount = torch.rand(n, 1, 1, 1, device=device) * (MAX_THICKEN + MAX_THIN) - MAX_THIN
    amount = amount * (torch.rand(n, 1, 1, 1, device=device) < STROKE_CHANGE_PROBABILITY)
    dilated = F.max_pool2d(out, 3, stride=1, padding=1)
    eroded = -F.max_pool2d(-out, 3, stride=1, padding=1)
    target = torch.where(amount > 0, dilated, eroded)
    return out + amount.abs() * (target - out)
