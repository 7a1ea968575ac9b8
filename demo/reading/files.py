"""An image file opened for reading: bounded in pixels, upright, and no larger than needed.

    image = open_image(path_or_bytes, max_pixels)   # uint8 RGBA array, at most MAX_SIDE a side

The reading scales every digit down to MNIST's 20 px box, so decoding a 16-megapixel
file at full size only costs time: 1.8 s of CPU for a 4096x4096 drawing, against
0.06 s once it is shrunk first (measured on this project's 2-vCPU machine). JPEG files
are decoded at a reduced scale directly (PIL's draft mode, the decoder's own DCT
scaling), others are reduced with a box filter right after decoding, before any
float array is made. No gradio here: the app hands this a file or a drawing's bytes.
"""

from __future__ import annotations

import io
import math
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

# The longest side kept: 2.5x the Sketchpad's canvas, so the page's drawings are read
# at their own size, and far more than the digit box needs from a photo.
MAX_SIDE = 1024


class ImageTooLarge(ValueError):
    """An image with more pixels than allowed, refused before it is decoded."""


def open_image(source: str | Path | bytes, max_pixels: int, max_side: int = MAX_SIDE) -> np.ndarray:
    """The image in `source` (a path or the file's bytes) as a uint8 RGBA array.

    Refuses (ImageTooLarge) an image of more than `max_pixels` before decoding it; turns
    it upright by its EXIF orientation, as a phone's photo viewer does; shrinks it so its
    longer side is at most `max_side`. GIFs and palette images come out as colours, not
    palette indices. PIL's own errors (OSError, SyntaxError, ValueError) mean the file
    is not a readable image.
    """
    data = io.BytesIO(source) if isinstance(source, bytes) else source
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(data) as image:
            if image.width * image.height > max_pixels:
                raise ImageTooLarge(f"{image.width}x{image.height} is over {max_pixels} pixels")
            if image.format == "JPEG":
                image.draft("RGB", (max_side, max_side))  # at least max_side a side, cheaply
            upright = ImageOps.exif_transpose(image)
            factor = math.ceil(max(upright.size) / max_side)
            if factor > 1:
                upright = upright.reduce(factor)
            return np.array(upright.convert("RGBA"))
