"""demo/reading/preprocess.py on synthetic canvases: placement, size, strokes, image formats.

Every canvas here is drawn the way the Sketchpad delivers it (opaque white, black
ink, no anti-aliasing) unless the test is about another format.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from demo.reading import preprocess
from demo.reading.preprocess import ink_map, stroke_width, to_model_input
from demo.strokes import DIGIT_STROKES, render_strokes
from tests.support.images import MNIST_BOX, MNIST_SIZE, centre_of_mass, ink_extent, mnist_test_set

CANVAS = 400
BRUSH = 30  # px, the app's stroke width on its 400 px canvas
ONE_GREY_LEVEL = 1 / 255 + 1e-6


def drawn(digit: str, left: float, top: float, side: float, width: int = BRUSH) -> np.ndarray:
    """The digit's strokes drawn in the square (left, top, side) of the canvas, as (H, W, 3)."""
    strokes = [
        [((left + x * side) / CANVAS, (top + y * side) / CANVAS) for x, y in stroke]
        for stroke in DIGIT_STROKES[digit]
    ]
    grey = np.asarray(render_strokes(strokes, CANVAS, width))
    return np.repeat(grey[..., np.newaxis], 3, axis=-1)


def model_input(image) -> np.ndarray:
    x = to_model_input(image, MNIST_SIZE, MNIST_BOX)
    assert x is not None
    return x


def assert_mnist_like(x: np.ndarray, full_ink: float = 1.0) -> None:
    """float32 28x28 in [0, 1], ink filling the 20 px box, centre of mass at the centre."""
    assert x.shape == (MNIST_SIZE, MNIST_SIZE)
    assert x.dtype == np.float32
    assert x.min() == 0.0 and full_ink <= x.max() <= 1.0
    assert max(ink_extent(x)) == MNIST_BOX
    row, col = centre_of_mass(x)
    # Whole-pixel shifts, as in MNIST: within half a pixel of the centre.
    assert abs(row - MNIST_SIZE / 2) <= 0.5 and abs(col - MNIST_SIZE / 2) <= 0.5


@pytest.mark.parametrize("digit", list(DIGIT_STROKES))
def test_a_drawn_digit_comes_out_mnist_like(digit):
    assert_mnist_like(model_input(drawn(digit, 60, 60, 280)))


def test_off_centre_digit_is_centred():
    corner = model_input(drawn("7", 0, 0, 200))
    middle = model_input(drawn("7", 100, 100, 200))
    assert_mnist_like(corner)
    assert_mnist_like(middle)
    # The same input, up to a few edge pixels rasterized differently at another position.
    assert np.abs(corner - middle).mean() < 0.01


@pytest.mark.parametrize("side", [24, 40, 380])
def test_tiny_and_huge_digits_are_scaled_to_the_box(side):
    # 24 px: a digit scribbled in a corner; 380 px: strokes running off the canvas edge.
    x = model_input(drawn("4", CANVAS - side - 5, 3, side, width=max(3, side // 12)))
    assert_mnist_like(x)


def test_aspect_ratio_is_kept():
    x = model_input(drawn("1", 50, 50, 300))
    height, width = ink_extent(x)
    assert height == MNIST_BOX
    assert width <= 6  # a "1" stays narrow instead of being stretched to a square


@pytest.mark.parametrize("width", [3, 8, 60, 100])
def test_thin_and_thick_strokes_come_out_mnist_wide(width):
    x = model_input(drawn("0", 60, 60, 280, width=width))
    low, high = preprocess.STROKE_RANGE
    # One dilation or erosion pass moves the width by half a pixel at 28x28.
    assert low - 0.3 <= stroke_width(x) <= high + 0.3


def test_stroke_correction_is_needed_for_those_widths(monkeypatch):
    # Without the correction the same drawings fall outside MNIST's range, so the
    # test above checks something.
    monkeypatch.setattr(preprocess, "STROKE_RANGE", (0.0, np.inf))
    assert stroke_width(model_input(drawn("0", 60, 60, 280, width=3))) < 0.5
    assert stroke_width(model_input(drawn("0", 60, 60, 280, width=100))) > 6.0


def test_rgb_rgba_grey_pil_and_float_inputs_agree():
    rgb = drawn("3", 70, 40, 300)
    grey = rgb[..., 0]
    ink = 255 - grey
    opaque_rgba = np.dstack([rgb, np.full_like(grey, 255)])  # the Sketchpad's composite
    # A transparent layer: black ink whose alpha is the ink, colour under alpha 0 is 0.
    transparent = np.dstack([np.zeros_like(rgb), ink])
    reference = model_input(rgb)
    for image in [
        grey,
        grey[..., np.newaxis],
        opaque_rgba,
        transparent,
        Image.fromarray(rgb),
        Image.fromarray(transparent, "RGBA"),
        rgb.astype(np.float32) / 255,
    ]:
        np.testing.assert_allclose(model_input(image), reference, atol=1e-5)


def test_coloured_ink_on_transparent_is_read_by_its_alpha():
    ink = 255 - drawn("5", 50, 50, 300)[..., 0]
    red = np.dstack([np.full_like(ink, 220), np.full_like(ink, 30), np.full_like(ink, 30), ink])
    white = np.dstack([np.full_like(ink, 255)] * 3 + [ink])  # white ink: invisible on white
    reference = model_input(255 - ink)
    np.testing.assert_allclose(model_input(red), reference, atol=1e-5)
    np.testing.assert_allclose(model_input(white), reference, atol=1e-5)


def test_inverted_colours_give_the_same_input():
    dark_on_light = drawn("9", 50, 50, 300)
    np.testing.assert_allclose(model_input(255 - dark_on_light), model_input(dark_on_light))


def test_photo_of_ink_on_paper():
    """Grey-blue ink on cream paper, uneven lighting and sensor noise."""
    rng = np.random.default_rng(0)
    ink = 1.0 - drawn("2", 80, 60, 260)[..., 0] / 255.0
    lighting = np.linspace(0.0, 0.12, CANVAS)[np.newaxis, :, np.newaxis]  # darker to the right
    paper = np.array([0.93, 0.9, 0.82]) - lighting
    pen = np.array([0.2, 0.25, 0.45])
    photo = paper * (1 - ink[..., np.newaxis]) + pen * ink[..., np.newaxis]
    photo += rng.normal(0, 0.015, photo.shape)
    photo = (np.clip(photo, 0, 1) * 255).round().astype(np.uint8)
    x = model_input(photo)
    # Full-strength ink is scaled to the darkest pixel, a noise spike: the rest is a
    # little under 1.0.
    assert_mnist_like(x, full_ink=0.85)
    clean = model_input(255 - (ink * 255).astype(np.uint8))
    assert np.abs(x - clean).mean() < 0.03


def test_faint_specks_far_from_the_digit_do_not_stretch_a_photos_box():
    """Sensor noise has specks past any few sigmas of it; in a large photo a few of them
    land far from the digit, and a box stretched to reach them would shrink the digit."""
    rng = np.random.default_rng(0)
    grey = 0.84 - 0.65 * (1.0 - drawn("1", 150, 60, 260)[..., 0] / 255.0)
    photo = grey + rng.normal(0, 0.004, grey.shape)
    for y, x in [(5, 5), (390, 20), (10, 385), (395, 395)]:
        photo[y, x] -= 0.025  # a speck, six sigmas of the noise
    photo = (np.clip(photo, 0, 1) * 255).round().astype(np.uint8)
    ink = ink_map(photo)
    assert ink[5, 5] == ink[390, 20] == ink[10, 385] == ink[395, 395] == 0
    assert_mnist_like(model_input(photo), full_ink=0.85)


@pytest.mark.parametrize(
    "image",
    [
        np.full((CANVAS, CANVAS, 3), 255, np.uint8),  # an empty Sketchpad composite
        np.full((CANVAS, CANVAS, 4), 255, np.uint8),
        np.zeros((CANVAS, CANVAS, 4), np.uint8),  # fully transparent
        np.full((CANVAS, CANVAS), 128, np.uint8),  # uniform grey
        np.zeros((1, 1, 3), np.uint8),  # a single pixel
    ],
    ids=["white-rgb", "white-rgba", "transparent", "grey", "1x1"],
)
def test_nothing_to_read_gives_none(image):
    assert to_model_input(image, MNIST_SIZE, MNIST_BOX) is None


def test_all_ink_canvas_gives_none():
    # Ink over the whole canvas leaves no shape: it reads as a uniform image, not a digit.
    black = np.zeros((CANVAS, CANVAS, 3), np.uint8)
    assert to_model_input(black, MNIST_SIZE, MNIST_BOX) is None
    assert not ink_map(black).any()


def test_faint_marks_below_the_contrast_floor_give_none():
    smudge = np.full((CANVAS, CANVAS), 255, np.uint8)
    smudge[100:200, 100:200] = 255 - int(255 * preprocess.MIN_CONTRAST / 2)
    assert to_model_input(smudge, MNIST_SIZE, MNIST_BOX) is None


@pytest.mark.parametrize(
    "image",
    [np.zeros((10, 10), np.uint16), np.zeros((10, 10, 2), np.uint8), np.zeros((0, 5), np.uint8)],
    ids=["uint16", "two-channels", "zero-size"],
)
def test_unsupported_arrays_are_refused(image):
    with pytest.raises(ValueError):
        to_model_input(image, MNIST_SIZE, MNIST_BOX)


def test_mnist_digits_go_through_unchanged_without_stroke_correction(mnist_dir, monkeypatch):
    """The recipe is MNIST's own: a MNIST digit is already cropped, fitted and centred."""
    monkeypatch.setattr(preprocess, "STROKE_RANGE", (0.0, np.inf))
    images, _ = mnist_test_set(mnist_dir, 300)
    for image in images:
        x = model_input(255 - image)  # as black ink on white
        # Up to one grey level: ink is rescaled so that full strength is exactly 1.0.
        np.testing.assert_allclose(x, image / 255.0, atol=ONE_GREY_LEVEL)


def test_stroke_correction_leaves_most_mnist_digits_alone(mnist_dir):
    images, _ = mnist_test_set(mnist_dir, 300)
    unchanged = [
        np.allclose(model_input(255 - image), image / 255.0, atol=ONE_GREY_LEVEL)
        for image in images
    ]
    assert np.mean(unchanged) >= 0.85
