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

On CUDA nothing here waits for the GPU or draws a number on the host, so a training step
can be captured as a CUDA graph (lenet/graph_step.py): there, a number drawn on the host
would be frozen at capture and the same in every replay. On the CPU the results are what
they were before that was done, bit for bit.
"""

from __future__ import annotations

import functools
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
    # affine_grid wants the inverse of the forward transform, mapping output coordinates
    # back to input ones.
    forward = random_affine(n, MAX_ROTATION_DEGREES, MAX_SHEAR, MAX_LOG_ASPECT, device)
    theta = torch.cat([_inverse(forward), torch.zeros(n, 2, 1, device=device)], 2)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)

    coarse = torch.randn(n, 2, ELASTIC_GRID, ELASTIC_GRID, device=device)
    field = F.interpolate(coarse, size=(height, width), mode="bicubic", align_corners=True)
    # Pixels to grid units (the grid spans 2 over the image's width and height). The
    # divisor is filled on the device: torch.tensor([...], device=...) would copy from the
    # host, which a CUDA graph cannot capture.
    size = torch.full((1, 2, 1, 1), width, device=device)
    size[:, 1] = height
    field = field * ELASTIC_PIXELS * 2 / size
    return grid + field.permute(0, 2, 3, 1)


def random_affine(
    n: int, degrees: float, shear: float, log_aspect: float, device: torch.device
) -> torch.Tensor:
    """n random (2, 2) matrices rotate(shear(scale(p))): a rotation of up to `degrees`
    either way, a shear x += s * y with |s| up to `shear`, and width and height scaled
    apart by up to exp(`log_aspect`). Drawn in that order (lenet/drawn.py distorts
    strokes with the same kind of matrix)."""
    angle = _uniform(n, degrees, device) * (math.pi / 180)
    s = _uniform(n, shear, device)
    aspect = _uniform(n, log_aspect, device)
    sx, sy = torch.exp(aspect / 2), torch.exp(-aspect / 2)
    cos, sin = torch.cos(angle), torch.sin(angle)
    return torch.stack(
        [
            torch.stack([cos * sx, (cos * s - sin) * sy], 1),
            torch.stack([sin * sx, (sin * s + cos) * sy], 1),
        ],
        1,
    )


def _inverse(matrices: torch.Tensor) -> torch.Tensor:
    """The inverses of (N, 2, 2) matrices: LAPACK's on the CPU, the closed form on CUDA.

    On CUDA, torch.linalg.inv checks its result for singular matrices, which waits for
    the GPU and cannot be captured in a CUDA graph. The warps are never near singular
    (their determinant is 1).
    """
    if matrices.device.type != "cuda":
        return torch.linalg.inv(matrices)
    return inverse_2x2(matrices)


def inverse_2x2(matrices: torch.Tensor) -> torch.Tensor:
    """[[a, b], [c, d]]^-1 = [[d, -b], [-c, a]] / (ad - bc), for (N, 2, 2) matrices."""
    a, b = matrices[:, 0, 0], matrices[:, 0, 1]
    c, d = matrices[:, 1, 0], matrices[:, 1, 1]
    adjugate = torch.stack([torch.stack([d, -b], 1), torch.stack([-c, a], 1)], 1)
    return adjugate / (a * d - b * c).view(-1, 1, 1)


def _pen(images: torch.Tensor) -> torch.Tensor:
    """Thicker or thinner strokes; for some images, low-resolution black-and-white ink."""
    n = len(images)
    device = images.device
    amount = torch.rand(n, 1, 1, 1, device=device) * (MAX_THICKEN + MAX_THIN) - MAX_THIN
    amount = amount * (torch.rand(n, 1, 1, 1, device=device) < STROKE_CHANGE_PROBABILITY)
    dilated = F.max_pool2d(images, 3, stride=1, padding=1)
    eroded = -F.max_pool2d(-images, 3, stride=1, padding=1)
    out = images + amount.abs() * (torch.where(amount > 0, dilated, eroded) - images)

    # Low resolution: one side for the whole batch, a random threshold per image. On CUDA
    # the side is drawn on the device, so that each replay of a CUDA graph draws anew; the
    # CPU keeps its draws and ops as they were.
    low, high = LOW_RES_SIDES
    if device.type == "cuda":
        side = torch.randint(low, high + 1, (1,), device=device)
        binary = low_resolution_drawn(out, side, _threshold_share(n, device))
    else:
        pixels = int(torch.randint(low, high + 1, ()).item())
        binary = low_resolution(out, pixels, _threshold_share(n, device))
    chosen = torch.rand(n, 1, 1, 1, device=device) < LOW_RES_PROBABILITY
    return torch.where(chosen, binary, out)


def low_resolution(images: torch.Tensor, side: int, share: torch.Tensor) -> torch.Tensor:
    """`images` written at `side` x `side` px, in black and white, and scaled back up.

    Ink above `share` (N, 1, 1, 1) of each image's brightest low-resolution pixel turns
    black (relative, so thin strokes survive). Scaled back up with hard pixel edges, then
    smoothed by averaging, as the demo's box filter smooths a blocky drawing it scales down.
    """
    _, _, height, width = images.shape
    small = F.interpolate(images, size=(side, side), mode="area")
    threshold = small.amax((2, 3), keepdim=True) * share
    blocky = F.interpolate(
        (small > threshold).float(), size=(height * BOX_FILTER, width * BOX_FILTER), mode="nearest"
    )
    return F.avg_pool2d(blocky, BOX_FILTER)


def low_resolution_drawn(
    images: torch.Tensor, side: torch.Tensor, share: torch.Tensor
) -> torch.Tensor:
    """low_resolution at a side held in a device tensor (1,), in fixed shapes.

    Shapes cannot depend on a tensor's value, so each resampling is a matrix product with
    the drawn side's matrix (low_resolution_matrices), zero-padded to the largest side.
    The same averages as low_resolution up to float rounding: a pixel at its image's
    threshold to within that rounding may turn out the other way.
    """
    _, _, height, width = images.shape
    index = side - LOW_RES_SIDES[0]
    down_rows, up_rows = (
        m.index_select(0, index)[0] for m in low_resolution_matrices(height, images.device)
    )
    down_cols, up_cols = down_rows, up_rows
    if width != height:
        down_cols, up_cols = (
            m.index_select(0, index)[0] for m in low_resolution_matrices(width, images.device)
        )
    small = down_rows @ images @ down_cols.T  # (N, 1, max side, max side), zero-padded
    threshold = small.amax((2, 3), keepdim=True) * share
    return up_rows @ (small > threshold).float() @ up_cols.T  # (N, 1, height, width)


@functools.cache
def low_resolution_matrices(size: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """For each side of LOW_RES_SIDES, along one axis of `size` px: the matrix that area-
    downsamples to the side (S, max side, size), and the one that scales back up as
    low_resolution does, nearest then the box filter (S, size, max side); zero-padded.

    Read off torch's own resampling of each basis vector, so they are its mappings. Cached
    per device: made once, before any CUDA graph capture.
    """
    low, high = LOW_RES_SIDES
    down = torch.zeros(high - low + 1, high, size)
    up = torch.zeros(high - low + 1, size, high)
    for i, side in enumerate(range(low, high + 1)):
        basis = torch.eye(size).view(size, 1, size, 1)  # unit columns
        small = F.interpolate(basis, size=(side, 1), mode="area")  # (size, 1, side, 1)
        down[i, :side] = small.view(size, side).T
        basis = torch.eye(side).view(side, 1, side, 1)
        blocky = F.interpolate(basis, size=(size * BOX_FILTER, 1), mode="nearest")
        up[i, :, :side] = F.avg_pool2d(blocky, (BOX_FILTER, 1)).view(side, size).T
    return down.to(device), up.to(device)


def _threshold_share(n: int, device: torch.device) -> torch.Tensor:
    """(n, 1, 1, 1) shares of each image's brightest pixel, from LOW_RES_THRESHOLD."""
    low, high = LOW_RES_THRESHOLD
    return low + torch.rand(n, 1, 1, 1, device=device) * (high - low)


def _uniform(n: int, limit: float, device: torch.device) -> torch.Tensor:
    """n values drawn uniformly from [-limit, limit]."""
    return (torch.rand(n, device=device) * 2 - 1) * limit
