"""The demo's image pipeline: turn a drawing or a photo into the model's MNIST-style input.

MNIST digits were made by scaling each digit's ink to fit a 20x20 box, keeping its
aspect ratio, with anti-aliasing, then placing it in a 28x28 field so that its centre
of mass sits at the centre. A canvas drawing has to go through the same recipe, or
the model sees something unlike anything it was trained on. This module is that
recipe, in numpy and PIL only (the demo runs without torch):

    ink = ink_map(image)                            # 1.0 = ink, 0.0 = background
    x = to_model_input(image, size=28, box=20)      # float32 (28, 28) in [0, 1], or None
    x = ink_to_model_input(ink, size=28, box=20)    # the same, from the ink map on

`size` and `box` come from the model file's metadata (see classifier.py), not from here.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

# ITU-R BT.601 luma weights, as PIL's convert("L") uses.
LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)

# If no pixel differs from the background by this much (on a 0..1 scale) there is
# nothing to read: an empty canvas, a blank page, a uniform image.
MIN_CONTRAST = 0.2

# Ink fainter than this many standard deviations of the border's noise is paper
# texture, shading or JPEG noise; it is zeroed so it doesn't stretch the bounding box.
# A clean canvas has no noise, so its faint anti-aliased edges are kept: they are part
# of how MNIST digits look.
NOISE_SIGMAS = 3.0
MAD_TO_SIGMA = 1.4826  # standard deviation of normal noise per median absolute deviation
# In an image with noise (a photo, a scan), ink under this share of the contrast is
# zeroed too: a 12-megapixel photo has specks past any few sigmas of its noise, and one
# faint speck in a corner would stretch the bounding box to the whole page.
FAINT_IN_NOISE = 0.1

# Stroke width is measured and corrected at this multiple of the digit box (4 x 20 =
# 80 px): fine enough that one 3x3 filter pass changes the final width by only half a
# pixel, small enough to be cheap.
WORK_SCALE = 4

# Stroke widths of MNIST test digits, in pixels of the 28x28 image, measured by
# stroke_width(): 5th percentile 1.25, median 1.9, 95th 2.95. A drawing whose strokes
# fall outside this band is thickened or thinned to its nearer edge: a pen line scaled
# down to 20 px would otherwise be a faint hairline, and a small digit drawn with a
# wide brush a blob. MNIST digits inside the band pass through untouched.
STROKE_RANGE = (1.25, 2.95)


def to_model_input(image: np.ndarray | Image.Image, size: int, box: int) -> np.ndarray | None:
    """The MNIST recipe: ink, crop, fit to `box` x `box`, centre by mass in `size` x `size`.

    `image` is what a Sketchpad or an upload delivers: an (H, W), (H, W, 3) or (H, W, 4)
    array (uint8, or float in [0, 1]) or a PIL image, dark ink on light or light ink on
    dark (detected). Returns float32 (size, size) in [0, 1], white ink on black, or None
    when there is no ink to read (an empty canvas, a uniform image).
    """
    return ink_to_model_input(ink_map(image), size, box)


def ink_to_model_input(ink: np.ndarray, size: int, box: int) -> np.ndarray | None:
    """The MNIST recipe from an ink map on: crop, fit to `box` x `box`, centre by mass.

    `ink` is float32 (H, W), 1.0 for full ink (from ink_map, or one digit's part of it:
    see segment.py). Returns float32 (size, size) in [0, 1], or None if `ink` is all zeros.
    """
    cropped = _crop_to_ink(ink)
    if cropped is None:
        return None
    digit = _fit_to_box(cropped, box)
    return _centre_by_mass(digit, size)


def ink_map(image: np.ndarray | Image.Image) -> np.ndarray:
    """Where the ink is: float32 (H, W), 1.0 for full ink, 0.0 for background.

    Transparent pixels are flattened onto whichever of white or black the ink stands
    out against. The background is the median of the image's border; ink is whatever
    differs from it, so dark-on-light and light-on-dark both work. All zeros when the
    image has too little contrast to hold a digit.
    """
    rgba = _as_rgba(image)
    luma = rgba[..., :3] @ LUMA_WEIGHTS
    alpha = rgba[..., 3]
    if alpha.min() < 1.0:
        covered = alpha.sum()
        ink_luma = float((luma * alpha).sum() / covered) if covered > 0 else 0.0
        backdrop = 1.0 if ink_luma < 0.5 else 0.0
        luma = luma * alpha + backdrop * (1.0 - alpha)

    border = np.concatenate([luma[0], luma[-1], luma[1:-1, 0], luma[1:-1, -1]])
    background = float(np.median(border))
    noise = NOISE_SIGMAS * MAD_TO_SIGMA * float(np.median(np.abs(border - background)))
    ink = background - luma if background >= 0.5 else luma - background

    contrast = float(ink.max())
    if contrast < MIN_CONTRAST or contrast <= noise:
        return np.zeros(ink.shape, dtype=np.float32)
    ink = np.clip((ink - noise) / (contrast - noise), 0.0, 1.0).astype(np.float32)
    if noise > 0:
        ink[ink < FAINT_IN_NOISE] = 0.0
    return ink


def stroke_width(ink: np.ndarray) -> float:
    """Mean stroke width in pixels: 2 * area / perimeter of the ink above half strength.

    A stroke of length L and width w has area L*w and perimeter about 2L, so this is w.
    """
    solid = np.pad(ink >= 0.5, 1)
    area = int(solid.sum())
    perimeter = int((solid[1:] != solid[:-1]).sum() + (solid[:, 1:] != solid[:, :-1]).sum())
    return 2.0 * area / perimeter if perimeter else 0.0


def _as_rgba(image: np.ndarray | Image.Image) -> np.ndarray:
    """Any supported image as float32 (H, W, 4) RGBA in [0, 1]."""
    if isinstance(image, Image.Image):
        image = np.asarray(image.convert("RGBA"))
    array = np.asarray(image)
    if array.dtype == np.uint8:
        array = array.astype(np.float32) / 255.0
    elif np.issubdtype(array.dtype, np.floating):
        array = np.clip(array.astype(np.float32), 0.0, 1.0)
    else:
        raise ValueError(f"unsupported pixel type {array.dtype}: expected uint8 or float")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim == 2:  # grey
        array = np.stack([array, array, array, np.ones_like(array)], axis=-1)
    elif array.ndim == 3 and array.shape[2] == 3:  # RGB
        array = np.concatenate([array, np.ones_like(array[..., :1])], axis=-1)
    elif not (array.ndim == 3 and array.shape[2] == 4):
        raise ValueError(
            f"unsupported image shape {array.shape}: expected (H, W), (H, W, 3) or (H, W, 4)"
        )
    if min(array.shape[:2]) == 0:
        raise ValueError("the image is empty (zero pixels)")
    return array


def _resize(ink: np.ndarray, height: int, width: int) -> np.ndarray:
    """Anti-aliased resize of a float ink map (box filter: each output pixel averages its area)."""
    resized = Image.fromarray(ink).resize((width, height), Image.Resampling.BOX)
    return np.asarray(resized, dtype=np.float32)


def _scaled_shape(height: int, width: int, longest: int) -> tuple[int, int]:
    """(height, width) scaled so the longer side is `longest`, keeping the aspect ratio."""
    scale = longest / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def _fit_to_box(ink: np.ndarray, box: int) -> np.ndarray:
    """Scale cropped ink so its longer side is `box`, with strokes of MNIST-like width."""
    work = _resize(ink, *_scaled_shape(*ink.shape, box * WORK_SCALE))
    work = _normalise_strokes(work)
    return np.clip(_resize(work, *_scaled_shape(*work.shape, box)), 0.0, 1.0)


def _normalise_strokes(work: np.ndarray) -> np.ndarray:
    """Thicken or thin strokes (at WORK_SCALE resolution) until they are in STROKE_RANGE.

    Each pass of a 3x3 max (min) filter adds (removes) about a pixel on each side of a
    stroke, and as much around the whole digit, which the final resize scales back to
    the box. So the width that counts is measured as it will be after that rescale.
    """
    low, high = (edge * WORK_SCALE for edge in STROKE_RANGE)
    longest = max(work.shape)

    def fitted_width(ink: np.ndarray) -> float:
        return stroke_width(ink) * longest / max(ink.shape)

    width = fitted_width(work)
    if width == 0.0 or low <= width <= high:
        return work
    step = ImageFilter.MaxFilter(3) if width < low else ImageFilter.MinFilter(3)
    max_passes = longest // 4  # far more than any real drawing needs; bounds the loop
    # Padded so dilation can grow past the crop's edge.
    image = Image.fromarray(np.pad(work, max_passes))
    for _ in range(max_passes):
        image = image.filter(step)
        ink = _crop_to_ink(np.asarray(image, dtype=np.float32))
        if ink is None:  # thinned away entirely: keep the last shape that had ink
            break
        work = ink
        if low <= fitted_width(work) <= high:
            break
    return work


def _crop_to_ink(ink: np.ndarray) -> np.ndarray | None:
    """`ink` cropped to the bounding box of its non-zero pixels; None if there are none."""
    rows, cols = np.nonzero(ink)
    if rows.size == 0:
        return None
    return ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]


def _centre_by_mass(digit: np.ndarray, size: int) -> np.ndarray:
    """Place `digit` in a `size` x `size` field with its centre of mass at the centre.

    Shifts are whole pixels, as in MNIST, and clamped so that no ink falls off the edge.
    """
    height, width = digit.shape
    mass = float(digit.sum())
    rows, cols = np.indices(digit.shape)
    centre_row = (rows * digit).sum() / mass if mass else (height - 1) / 2
    centre_col = (cols * digit).sum() / mass if mass else (width - 1) / 2
    top = int(np.clip(round(size / 2 - centre_row), 0, size - height))
    left = int(np.clip(round(size / 2 - centre_col), 0, size - width))
    field = np.zeros((size, size), dtype=np.float32)
    field[top : top + height, left : left + width] = digit
    return field
