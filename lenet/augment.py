"""Batched data augmentation on the training device: many writers' styles from MNIST's.

People outside MNIST write with other slants, proportions, pens and habits. Each image
of a batch gets its own random draw of:

- an affine warp: rotation, shear, and a separate scale for width and height (narrow or
  wide writing, and forms that stretch each digit to fill a square box);
- an elastic distortion (Simard et al. 2003): a smooth random displacement field, the
  wobble of a hand rather than of a camera;
- a pen: strokes thickened or thinned partway toward a 3x3 grey-level dilation or
  erosion, and sometimes written at low resolution and thresholded, as a form scanned
  in black and white is.

The warp and the elastic field are one grid_sample (each resampling blurs a little, and
MNIST's test digits are sharp); nothing runs per sample on the host, so augmentation
does not bring back a data-pipeline bottleneck.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

MAX_ROTATION_DEGREES = 12.0
MAX_SHEAR = 0.2  # horizontal shear: x += shear * y (0.2 is an 11 degree slant)
MAX_LOG_ASPECT = math.log(1.3)  # width/height scaled apart by up to 1.3x either way
ELASTIC_GRID = 4  # the displacement field is drawn on a 4x4 grid and smoothly upsampled
ELASTIC_PIXELS = 0.7  # standard deviation of each grid point's displacement, in pixels
STROKE_CHANGE_PROBABILITY = 0.5
# Strokes move toward their 3x3 dilation (thicker) by up to 100%, or toward their
# erosion (thinner) by up to 50%: a full 3x3 erosion wipes out thin MNIST strokes.
MAX_THICKEN, MAX_THIN = 1.0, 0.5
LOW_RES_PROBABILITY = 0.2
LOW_RES_SIDES = (14, 20)  # written at 14..20 px, thresholded, then scaled back up
LOW_RES_THRESHOLD = (0.35, 0.55)  # ink above this share of the brightest pixel turns black
BOX_FILTER = 4  # blocky ink is drawn at 4x and averaged down


def augment(images: torch.Tensor) -> torch.Tensor:
    """Randomly restyle a batch (N, 1, H, W) of digits: pen, then warp, sampled once."""
    inked = _pen(images)
    return _sample(inked, _warp_grid(inked))


def _sample(images: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def _warp_grid(images: torch.Tensor) -> torch.Tensor:
    """The sampling grid (N, H, W, 2) of a rotation, shear, anisotropic scale and elastic field."""
    n, _, height, width = images.shape
    device = images.device
    angle = _uniform(n, MAX_ROTATION_DEGREES, device) * (math.pi / 180)
    shear = _uniform(n, MAX_SHEAR, device)
    log_aspect = _uniform(n, MAX_LOG_ASPECT, device)
    sx, sy = torch.exp(log_aspect / 2), torch.exp(-log_aspect / 2)
    # The forward transform is rotate(shear(scale(p))); affine_grid wants its inverse,
    # mapping output coordinates back to input ones.
    cos, sin = torch.cos(angle), torch.sin(angle)
    forward = torch.stack(
        [
            torch.stack([cos * sx, (cos * shear - sin) * sy], 1),
            torch.stack([sin * sx, (sin * shear + cos) * sy], 1),
        ],
        1,
    )  # (N, 2, 2)
    theta = torch.cat([torch.linalg.inv(forward), torch.zeros(n, 2, 1, device=device)], 2)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)

    coarse = torch.randn(n, 2, ELASTIC_GRID, ELASTIC_GRID, device=device)
    field = F.interpolate(coarse, size=(height, width), mode="bicubic", align_corners=True)
    # Pixels to grid units (the grid spans 2 over the image's width and height).
    field = (
        field * ELASTIC_PIXELS * 2 / torch.tensor([width, height], device=device).view(1, 2, 1, 1)
    )
    return grid + field.permute(0, 2, 3, 1)


def _pen(images: torch.Tensor) -> torch.Tensor:
    """Thicker or thinner strokes; for some images, low-resolution black-and-white ink."""
    n, _, height, width = images.shape
    device = images.device
    amount = torch.rand(n, 1, 1, 1, device=device) * (MAX_THICKEN + MAX_THIN) - MAX_THIN
    amount = amount * (torch.rand(n, 1, 1, 1, device=device) < STROKE_CHANGE_PROBABILITY)
    dilated = F.max_pool2d(images, 3, stride=1, padding=1)
    eroded = -F.max_pool2d(-images, 3, stride=1, padding=1)
    out = images + amount.abs() * (torch.where(amount > 0, dilated, eroded) - images)

    # Low resolution: one side for the whole batch (F.interpolate takes one size), a
    # random threshold per image. Scaled back up with hard pixel edges, then smoothed by
    # averaging, as the demo's box filter smooths a blocky drawing it scales down.
    low, high = LOW_RES_SIDES
    span = LOW_RES_THRESHOLD[1] - LOW_RES_THRESHOLD[0]
    side = int(torch.randint(low, high + 1, ()).item())
    small = F.interpolate(out, size=(side, side), mode="area")
    # Relative to each image's brightest low-resolution pixel, so thin strokes survive.
    peak = small.amax((2, 3), keepdim=True)
    threshold = peak * (LOW_RES_THRESHOLD[0] + torch.rand(n, 1, 1, 1, device=device) * span)
    blocky = F.interpolate(
        (small > threshold).float(), size=(height * BOX_FILTER, width * BOX_FILTER), mode="nearest"
    )
    binary = F.avg_pool2d(blocky, BOX_FILTER)
    chosen = torch.rand(n, 1, 1, 1, device=device) < LOW_RES_PROBABILITY
    return torch.where(chosen, binary, out)


def _uniform(n: int, limit: float, device: torch.device) -> torch.Tensor:
    """n values drawn uniformly from [-limit, limit]."""
    return (torch.rand(n, device=device) * 2 - 1) * limit
