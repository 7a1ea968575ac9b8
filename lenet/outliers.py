"""Shapes that are not digits, made for outlier exposure.

A 10-way softmax has to put its probability somewhere, so a network trained on digits
alone reads a scribble, a letter or a smiley as some digit, often confidently. Outlier
exposure (Hendrycks et al. 2019) adds a loss that pulls the network's output on
non-digits toward the uniform distribution, so it learns to be unsure about them; the
demo then says "not sure" instead of naming a digit. The network keeps its 10 outputs.

The non-digits, framed as the demo frames a drawing and restyled by lenet/augment.py:

- glyphs: letters and signs that do not pass for digits (GLYPHS), in the fonts that
  matplotlib ships (DejaVu Sans, Serif and Mono, STIX), regular, bold and slanted;
- zigzags: a stroke through 6 to 10 random points, drawn with a random pen width.

The letters X, A, M, W and the sign # are left out on purpose, as are spirals, smileys,
smooth strokes and blobs: bench/scribbles.py checks the demo on exactly those, so what
it measures is how the uncertainty carries over to shapes never trained on.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from lenet.augment import augment
from lenet.contract import DIGIT_BOX, IMAGE_SIZE

OUTLIER_SHARE = 0.25  # outliers added to each training batch, per digit in it
GLYPH_SHARE = 0.75  # of the outliers; the rest are zigzags
# Letters and signs that a digit is not mistaken for. Left out: those that pass for
# digits or for parts of one (O D Q C e, I l i J ! [ ] { }, T F f r 7, Z ? 2, S $ § 5,
# B & 8, G b h 6, g q a ¶ 9, L Y y < 4, E Σ 3, ...) and the shapes bench/scribbles.py
# measures (X x A M m W w #). The signs with marks inside a ring (Θ ⊕ ⊗ ⊙ © ®) were
# added after a first run read 29 of 30 smileys as a confident 0.
GLYPHS = "HKNPRUVknv+=%@*^¥ΩπλμЖФЯΨΦЮЩЛΘ⊕⊗⊙©®"
FONT_FILES = [
    f"{family}{style}.ttf"
    for family, styles in {
        "DejaVuSans": ["", "-Bold", "-Oblique", "-BoldOblique"],
        "DejaVuSerif": ["", "-Bold", "-Italic", "-BoldItalic"],
        "DejaVuSansMono": ["", "-Bold", "-Oblique", "-BoldOblique"],
        "STIXGeneral": ["", "Bol", "Italic", "BolIta"],
    }.items()
    for style in styles
]
GLYPH_PIXELS = 96  # rendered at this size, then scaled down with anti-aliasing
GLYPH_WORK = 56  # px: the rendered canvas scaled to this before framing
ZIGZAG_POINTS = (6, 10)  # points per stroke, inclusive
PEN_WIDTHS = (1.0, 2.2)  # stroke half-width in pixels of the 28x28 field
MARGIN = 4  # points are drawn inside [MARGIN, size - MARGIN]
OUTSIDE = 2.0  # a grid coordinate off the field: samples zeros
INK_THRESHOLD = 0.1  # what counts as ink when framing (the demo zeroes faint noise too)


def outlier_batch(count: int, device: torch.device) -> torch.Tensor:
    """`count` non-digit images (count, 1, 28, 28): GLYPH_SHARE glyphs, the rest zigzags."""
    glyphs = glyph_bank(device)
    chosen = torch.randint(len(glyphs), (round(count * GLYPH_SHARE),), device=device)
    mixed = torch.cat([glyphs[chosen], zigzag(count - len(chosen), IMAGE_SIZE, device)])
    return reframe(augment(mixed))


@functools.cache
def glyph_bank(device: torch.device) -> torch.Tensor:
    """Every GLYPHS character in every font of FONT_FILES, framed: (G, 1, 28, 28) on `device`.

    Rendered once per process (about a second) with PIL, from the TrueType files that
    matplotlib, already a dependency for the plots, installs.
    """
    from matplotlib import get_data_path  # deferred: only outlier exposure needs it
    from PIL import Image, ImageDraw, ImageFont

    fonts = Path(get_data_path()) / "fonts" / "ttf"
    images = []
    for name in FONT_FILES:
        font = ImageFont.truetype(str(fonts / name), GLYPH_PIXELS)
        for char in GLYPHS:
            canvas = Image.new("L", (2 * GLYPH_PIXELS, 2 * GLYPH_PIXELS), 0)
            ImageDraw.Draw(canvas).text((GLYPH_PIXELS // 2, GLYPH_PIXELS // 4), char, 255, font)
            if canvas.getbbox() is not None:  # a font without the glyph draws nothing
                images.append(torch.from_numpy(np.asarray(canvas, dtype=np.float32) / 255))
    ink = torch.stack(images).unsqueeze(1)
    small = F.interpolate(ink, size=(GLYPH_WORK, GLYPH_WORK), mode="area")  # anti-aliased
    return reframe(small).to(device)


def zigzag(count: int, size: int, device: torch.device) -> torch.Tensor:
    """Strokes through random points: (count, 1, size, size) ink in [0, 1]."""
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
    return ink.view(count, 1, size, size)


def reframe(images: torch.Tensor, size: int = IMAGE_SIZE, box: int = DIGIT_BOX) -> torch.Tensor:
    """Scale each digit's ink box to fit `box` x `box` and centre its mass in `size` x `size`.

    demo/reading/preprocess.py crops a drawing to its ink, scales it (keeping its proportions) so
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
    # the field centre being where demo/reading/preprocess.py puts the centre of mass.
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


# Pieces of digits, for reading numbers: the demo cuts a number's ink into candidate
# digits and asks the model about each candidate, so it must say "not sure" to two digits
# joined and to part of one (LeCun et al. 1998, section VII: a recognizer that rejects
# what is not one whole digit is what makes recognition-driven segmentation work).
PAIR_OVERLAP = (2, 14)  # px: a right digit pulled this far left into its neighbour's field
HALF_CUT = (0.35, 0.65)
PAIR_SHARE = 0.75  # a part is cut at this share of the digit's ink width


def digit_fragments(digits: torch.Tensor, count: int) -> torch.Tensor:
    """`count` non-digits (count, 1, 28, 28) made from `digits` (N, 1, 28, 28), framed:
    PAIR_SHARE of them two digits side by side, touching or close, the rest a digit's left
    or right part. Parts are fewer: some parts of digits are digits (the right half of an
    8 is a 3), and those teach the network to doubt a real digit.
    """
    if count == 0:  # as under the default fragment_outliers; F.affine_grid takes no empty batch
        return digits.new_zeros((0, *digits.shape[1:]))
    n, device = len(digits), digits.device
    pairs = round(count * PAIR_SHARE)
    parts = count - pairs
    first = digits[torch.randint(n, (pairs,), device=device)]
    second = digits[torch.randint(n, (pairs,), device=device)]
    low, high = PAIR_OVERLAP
    overlap = low + torch.rand(pairs, device=device) * (high - low)
    wide = torch.cat([first, torch.zeros_like(first)], 3)  # (pairs, 1, 28, 56)
    right = _shift_columns(torch.cat([torch.zeros_like(second), second], 3), -overlap)
    joined = reframe(torch.maximum(wide, right))

    whole = digits[torch.randint(n, (parts,), device=device)]
    ink = whole[:, 0].amax(1) > INK_THRESHOLD  # (parts, W): columns with ink
    cols = torch.arange(whole.shape[3], device=device, dtype=whole.dtype)
    left = torch.where(ink, cols, float(whole.shape[3])).amin(1)
    right_edge = torch.where(ink, cols, -1.0).amax(1)
    share = HALF_CUT[0] + torch.rand(parts, device=device) * (HALF_CUT[1] - HALF_CUT[0])
    cut = (left + share * (right_edge - left)).view(-1, 1, 1, 1)
    keep_left = (torch.rand(parts, 1, 1, 1, device=device) < 0.5).float()
    mask = keep_left * (cols < cut).float() + (1 - keep_left) * (cols >= cut).float()
    return torch.cat([joined, reframe(whole * mask)])


def _shift_columns(images: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """`images` moved right by `shift` px each (left when negative), by linear interpolation."""
    n, _, height, width = images.shape
    theta = torch.zeros(n, 2, 3, device=images.device, dtype=images.dtype)
    theta[:, 0, 0] = 1
    theta[:, 1, 1] = 1
    theta[:, 0, 2] = -2 * shift / width  # grid units: the field spans 2 across
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
