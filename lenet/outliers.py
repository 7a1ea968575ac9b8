"""Shapes that are not digits, made on the training device, for outlier exposure.

A 10-way softmax has to put its probability somewhere, so a network trained on digits
alone reads a scribble, a letter or a smiley as some digit, often confidently. Outlier
exposure (Hendrycks et al. 2019) adds a loss that pulls the network's output on
non-digits toward the uniform distribution, so it learns to be unsure about them; the
demo then says "not sure" instead of naming a digit. The network keeps its 10 outputs.

Two kinds of non-digit, half each, framed as the demo frames a drawing:

- zigzags: a stroke through 6 to 10 random points, drawn with a random pen width;
- overlays: two digits of different classes drawn on top of each other, offset.

Neither is a letter, a spiral or a smiley: bench/scribbles.py checks the demo on those,
so what it measures is how the uncertainty generalizes to shapes never trained on.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from lenet.contract import DIGIT_BOX, IMAGE_SIZE

OUTLIER_SHARE = 0.25  # outliers added to each training batch, per digit in it
ZIGZAG_POINTS = (6, 10)  # points per stroke, inclusive
PEN_WIDTHS = (1.0, 2.2)  # stroke half-width in pixels of the 28x28 field
MARGIN = 4  # points are drawn inside [MARGIN, size - MARGIN]
OUTSIDE = 2.0  # a grid coordinate off the field: samples zeros
INK_THRESHOLD = 0.1  # what counts as ink when framing (the demo zeroes faint noise too)
MIN_OVERLAY_SHIFT, MAX_OVERLAY_SHIFT = 4, 8  # pixels between the two digits of an overlay
OVERLAY_REDRAWS = 8  # a 10% chance of a same-class pair, 8 times over: 1e-8


def outlier_batch(images: torch.Tensor, labels: torch.Tensor, count: int) -> torch.Tensor:
    """`count` non-digit images (count, 1, H, W), half zigzags and half overlays of `images`."""
    zigzags = count // 2
    return torch.cat(
        [zigzag(zigzags, images.shape[-1], images.device), overlay(images, labels, count - zigzags)]
    )


def zigzag(count: int, size: int, device: torch.device) -> torch.Tensor:
    """Strokes through random points: (count, 1, size, size) ink in [0, 1], framed."""
    low, high = ZIGZAG_POINTS
    points = MARGIN + torch.rand(count, high, 2, device=device) * (size - 2 * MARGIN)
    # Strokes shorter than `high` points repeat their last point (zero-length segments).
    used = torch.randint(low, high + 1, (count, 1), device=device)
    index = torch.minimum(torch.arange(high, device=device).expand(count, high), used - 1)
    points = points.gather(1, index.unsqueeze(-1).expand(count, high, 2))
    starts, ends = points[:, :-1], points[:, 1:]  # (count, S, 2) segments

    coords = torch.arange(size, device=device, dtype=torch.float32)
    pixels = torch.stack(torch.meshgrid(coords, coords, indexing="ij"), -1).view(1, -1, 1, 2)
    along = ends - starts  # (count, S, 2)
    length2 = (along**2).sum(-1).clamp(min=1e-6).unsqueeze(1)  # (count, 1, S)
    offset = pixels - starts.unsqueeze(1)  # (count, P, S, 2)
    t = ((offset * along.unsqueeze(1)).sum(-1) / length2).clamp(0, 1)
    nearest = starts.unsqueeze(1) + t.unsqueeze(-1) * along.unsqueeze(1)
    distance = ((pixels - nearest) ** 2).sum(-1).sqrt().amin(-1)  # (count, P)

    width = PEN_WIDTHS[0] + torch.rand(count, 1, device=device) * (PEN_WIDTHS[1] - PEN_WIDTHS[0])
    ink = (width + 0.5 - distance).clamp(0, 1)  # one pixel of anti-aliased edge
    return reframe(ink.view(count, 1, size, size))


def overlay(images: torch.Tensor, labels: torch.Tensor, count: int) -> torch.Tensor:
    """Pairs of digits with different labels, one shifted over the other, framed.

    Two digits of the same class on top of each other would be one digit written twice,
    not an outlier, so those pairs are drawn again (and, in the unlikely case that some
    still match after that, dropped: the batch may come out a little short).
    """
    n = len(images)
    first = torch.randint(n, (count,), device=images.device)
    second = torch.randint(n, (count,), device=images.device)
    for _ in range(OVERLAY_REDRAWS):
        same = labels[first] == labels[second]
        if not same.any():
            break
        second[same] = torch.randint(n, (int(same.sum()),), device=images.device)
    keep = labels[first] != labels[second]
    moved = _shift(images[second[keep]])
    return reframe(torch.maximum(images[first[keep]], moved))


def _shift(images: torch.Tensor) -> torch.Tensor:
    """Each image moved by its own random offset of MIN..MAX_OVERLAY_SHIFT pixels."""
    n, _, height, width = images.shape
    low, high = MIN_OVERLAY_SHIFT, MAX_OVERLAY_SHIFT
    distance = low + torch.rand(n, device=images.device) * (high - low)
    angle = torch.rand(n, device=images.device) * 2 * math.pi
    # affine_grid's translation is in units of half the image (its coordinates span 2).
    theta = torch.zeros(n, 2, 3, device=images.device)
    theta[:, 0, 0] = theta[:, 1, 1] = 1
    theta[:, 0, 2] = -distance * torch.cos(angle) * 2 / width
    theta[:, 1, 2] = -distance * torch.sin(angle) * 2 / height
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def reframe(images: torch.Tensor, size: int = IMAGE_SIZE, box: int = DIGIT_BOX) -> torch.Tensor:
    """Scale each digit's ink box to fit `box` x `box` and centre its mass in `size` x `size`.

    demo/preprocess.py crops a drawing to its ink, scales it (keeping its proportions) so
    its longer side is `box`, and places its centre of mass at the centre of the field.
    `images` (N, 1, H, W) may be any size; an image with no ink comes back blank.
    """
    grid = _frame_grid(images, size, box)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def _frame_grid(images: torch.Tensor, size: int, box: int = DIGIT_BOX) -> torch.Tensor:
    """The sampling grid (N, size, size, 2) that reframe() applies; blank images sample nothing."""
    n, _, height, width = images.shape
    device = images.device
    ink = images[:, 0] * (images[:, 0] > INK_THRESHOLD)
    rows = torch.arange(height, device=device, dtype=images.dtype)
    cols = torch.arange(width, device=device, dtype=images.dtype)
    has_row, has_col = ink.amax(2) > 0, ink.amax(1) > 0  # (N, H), (N, W)
    empty = ~has_row.any(1)
    # First and last inked row/column: the extremes of their indices where ink is.
    top = torch.where(has_row, rows, float(height)).amin(1)
    bottom = torch.where(has_row, rows, -1.0).amax(1)
    left = torch.where(has_col, cols, float(width)).amin(1)
    right = torch.where(has_col, cols, -1.0).amax(1)
    extent = torch.maximum(bottom - top, right - left) + 1
    scale = torch.where(empty, 1.0, box / extent.clamp(min=1))  # output px per input px
    mass = ink.sum((1, 2)).clamp(min=1e-6)
    centre_row = (ink.sum(2) * rows).sum(1) / mass
    centre_col = (ink.sum(1) * cols).sum(1) / mass
    centre_row = torch.where(empty, (height - 1) / 2, centre_row)
    centre_col = torch.where(empty, (width - 1) / 2, centre_col)

    # Output pixel (i, j) samples input pixel centre + ((i, j) - field centre) / scale,
    # the field centre being where demo/preprocess.py puts the centre of mass.
    out = torch.arange(size, device=device, dtype=images.dtype)
    source_rows = (out.view(1, size, 1) - size / 2) / scale.view(n, 1, 1) + centre_row.view(n, 1, 1)
    source_cols = (out.view(1, 1, size) - size / 2) / scale.view(n, 1, 1) + centre_col.view(n, 1, 1)
    grid = torch.stack(
        [
            ((2 * source_cols + 1) / width - 1).expand(n, size, size),
            ((2 * source_rows + 1) / height - 1).expand(n, size, size),
        ],
        -1,
    )
    return torch.where(empty.view(n, 1, 1, 1), OUTSIDE, grid)
