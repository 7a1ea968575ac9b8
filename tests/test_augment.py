"""Style augmentation and the outliers of outlier exposure, on real MNIST digits."""

import pytest
import torch

from lenet.augment import (
    LOW_RES_SIDES,
    augment,
    inverse_2x2,
    low_resolution,
    low_resolution_drawn,
)
from lenet.contract import DIGIT_BOX, IMAGE_SIZE
from lenet.outliers import GLYPHS, digit_fragments, glyph_bank, outlier_batch, reframe, zigzag


@pytest.fixture(scope="module")
def digits(mnist):
    train, _ = mnist
    return train.images[:512], train.labels[:512]


def ink_box(image: torch.Tensor, threshold: float = 0.1) -> tuple[int, int]:
    rows, cols = torch.nonzero(image[0] > threshold, as_tuple=True)
    return int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)


def centre_of_mass(image: torch.Tensor) -> tuple[float, float]:
    ink = image[0]
    rows, cols = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    return float((rows * ink).sum() / ink.sum()), float((cols * ink).sum() / ink.sum())


def test_augmented_digits_stay_images_of_one_digit(digits):
    images, _ = digits
    torch.manual_seed(0)
    out = augment(images)
    assert out.shape == images.shape and out.dtype == images.dtype
    assert out.min() >= 0 and out.max() <= 1
    changed = (out - images).abs().mean((1, 2, 3))
    assert (changed > 0.01).float().mean() > 0.9  # nearly every image is restyled ...
    ink_kept = out.sum((1, 2, 3)) / images.sum((1, 2, 3))
    assert ink_kept.median() == pytest.approx(1.0, abs=0.35)  # ... and keeps its ink
    assert (ink_kept > 0.3).all()  # no digit is wiped out or pushed off the field


def test_augmentation_is_reproducible_from_the_seed(digits):
    images, _ = digits
    torch.manual_seed(3)
    first = augment(images)
    torch.manual_seed(3)
    assert torch.equal(first, augment(images))


def test_the_cuda_paths_compute_what_the_cpu_paths_do(digits):
    # On CUDA, augment.py draws the low-resolution side on the device and resamples with
    # matrices (fixed shapes, for a CUDA graph), and inverts the warps in closed form; the
    # CPU keeps its old ops. The sums round differently, so a pixel exactly at its image's
    # threshold could turn out the other way; on all 55,000 training digits at every side,
    # none did.
    images, _ = digits
    share = 0.35 + torch.rand(len(images), 1, 1, 1) * 0.2
    low, high = LOW_RES_SIDES
    for side in range(low, high + 1):
        drawn = low_resolution_drawn(images, torch.tensor([side]), share)
        differ = (drawn - low_resolution(images, side, share)).abs() > 1e-6
        assert differ.float().mean() <= 1e-5, side
    angle, shear, scale = torch.rand(512) - 0.5, torch.rand(512) * 0.4 - 0.2, torch.rand(512) + 0.5
    cos, sin = torch.cos(angle), torch.sin(angle)
    rows = [torch.stack([cos * scale, cos * shear - sin], 1)]
    rows.append(torch.stack([sin * scale, sin * shear + cos], 1))
    warps = torch.stack(rows, 1)  # rotation, shear and scale, as augment.py's warps
    torch.testing.assert_close(inverse_2x2(warps), torch.linalg.inv(warps), rtol=1e-5, atol=1e-6)


def test_reframe_puts_the_ink_in_the_digit_box_centred_by_mass():
    image = torch.zeros(1, 1, 40, 40)
    image[0, 0, 5:15, 20:38] = 1.0  # an 18 x 10 bar, off centre, on a larger field
    framed = reframe(image)
    assert framed.shape == (1, 1, IMAGE_SIZE, IMAGE_SIZE)
    height, width = ink_box(framed[0], threshold=0.5)
    assert width == pytest.approx(DIGIT_BOX, abs=1) and height == pytest.approx(11, abs=1)
    row, col = centre_of_mass(framed[0])
    assert row == pytest.approx(IMAGE_SIZE / 2, abs=0.6) and col == pytest.approx(14, abs=0.6)
    assert reframe(torch.zeros(2, 1, 28, 28)).abs().sum() == 0  # blank stays blank


def test_outliers_are_framed_like_drawings():
    torch.manual_seed(0)
    batch = outlier_batch(64, torch.device("cpu"))
    assert batch.shape == (64, 1, IMAGE_SIZE, IMAGE_SIZE)
    for image in batch:
        assert max(ink_box(image)) == pytest.approx(DIGIT_BOX, abs=2)


def test_digit_fragments_are_framed_and_none_is_an_empty_batch(digits):
    images, _ = digits
    torch.manual_seed(0)
    fragments = digit_fragments(images[:64], 40)
    assert fragments.shape == (40, 1, IMAGE_SIZE, IMAGE_SIZE)
    assert (fragments.amax((1, 2, 3)) > 0.5).all()  # none is blank
    # The best recipe's outlier exposure asks for none (fragment_outliers 0).
    assert digit_fragments(images[:64], 0).shape == (0, 1, IMAGE_SIZE, IMAGE_SIZE)


def test_the_glyphs_are_drawn_in_every_font_that_has_them():
    glyphs = glyph_bank(torch.device("cpu"))
    # 16 font files; a few lack a sign or two (and draw nothing, which is skipped).
    assert 0.8 * 16 * len(GLYPHS) <= len(glyphs) <= 16 * len(GLYPHS)
    assert (glyphs.amax((1, 2, 3)) > 0.5).all()  # none is blank
    assert zigzag(10, IMAGE_SIZE, torch.device("cpu")).shape == (10, 1, IMAGE_SIZE, IMAGE_SIZE)
