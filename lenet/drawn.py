"""Digits drawn as pen strokes: the forms people write that MNIST's writers seldom used.

MNIST was written by American census staff and students in 1990s forms. Visitors to the
demo draw with a brush, and many of them learned other forms of the digits (allographs):
a 1 with a long flag and a base, a 7 with a bar across its stem, a 9 whose tail curls
into a hook, a 4 with an open top written in one stroke, a 2 with a loop. A network that
has seen none of these reads a flagged 1 as a 7 and a hooked 9 as a 3, confidently.

This module writes such digits as strokes and draws them the way the demo sees a drawing:

1. `skeleton(label, rng)`: one digit as pen strokes (polylines in a unit box, y down),
   in one of the common forms of that digit (FORMS), with its proportions, curves and
   the places where strokes start and end drawn at random.
2. `SkeletonBank`: many skeletons, resampled to a fixed number of points each, made
   once on the host with numpy and kept on the training device.
3. `drawn_digits(count, device)`: a batch drawn from the bank on the device, each with
   its own slant, rotation, proportions and smooth elastic wobble applied to the
   *points* (so a stroke keeps a pen's width), and its own pen width, then rendered with
   round caps and joins, fitted to MNIST's 20 px box and centred by mass, as
   demo/reading/preprocess.py frames a drawing.

Step 3 is fixed-shape tensor work with no host synchronisation, so it can run inside a
captured training step. Nothing here is learned from, or tuned on, the shared
handwriting sets: the forms are the common ones of European and American school
scripts, and bench/handwriting.py measures how the model reads real pen digits.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from lenet.augment import random_affine
from lenet.contract import DIGIT_BOX, IMAGE_SIZE

Stroke = np.ndarray  # (n, 2) float: x right, y down, the digit in about [0, 1]^2
Form = Callable[[np.random.Generator], list[Stroke]]

STROKES = 3  # at most this many pen-down strokes per digit
POINTS = 24  # each stroke resampled to this many points, evenly spaced along it
BANK_PER_CLASS = 2000  # skeletons per digit in a bank
BANK_SEED = 20261204  # the bank is the same in every run, so a resumed run draws the same
SAMPLED_SHARE = 0.6  # of skeletons written as a sampled pen reports them (_sampled)
SAMPLED_PER_UNIT = (5.0, 12.0)  # points per digit height along a stroke

# Per-sample distortions on the device (applied to the points, not the pixels).
MAX_ROTATION_DEGREES = 15.0
MAX_SHEAR = 0.5  # x += shear * y: up to a 27 degree slant either way
MAX_LOG_ASPECT = math.log(1.6)  # width and height scaled apart by up to 1.6x
ELASTIC_GRID = 3  # a smooth displacement field drawn on a 3x3 grid over the digit
ELASTIC_SHARE = 0.05  # its standard deviation, as a share of the digit's height
# Pen widths in pixels of the 28x28 field. The demo thickens or thins a drawing's
# strokes into MNIST's band, 1.25-2.95 px (demo/reading/preprocess.py); the app's 30 px
# brush on a digit a third to four fifths of its 400 px canvas came out at 1.9-2.95 px;
# the 14 px brush on a digit 100-240 px tall on the 600x300 strip comes out at 1.25-2.8.
PEN_WIDTHS = (1.3, 3.0)
SUPERSAMPLE = 4  # strokes are inked at 4x and averaged down, as the demo's 80 px work scale
SAMPLES = 12  # points set per segment: a segment is at most a few fine pixels long
DISC = 2 * math.ceil(PEN_WIDTHS[1] * SUPERSAMPLE / 2) + 1  # the widest pen's disc, in fine px


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float) -> Stroke:
    """Points on an ellipse from angle `start` to `end` (degrees; 0 = right, 90 = down)."""
    steps = max(2, int(abs(end - start) / 10) + 1)
    angles = np.radians(np.linspace(start, end, steps))
    return np.stack([cx + rx * np.cos(angles), cy + ry * np.sin(angles)], 1)


def _path(*points: tuple[float, float]) -> Stroke:
    """A polyline through `points`."""
    return np.array(points, dtype=np.float64)


def _join(*parts: Stroke) -> Stroke:
    """One stroke through several parts, in order (the pen stays down between them)."""
    return np.concatenate(parts)


def _zero(r: np.random.Generator) -> list[Stroke]:
    # An oval started near the top, either way round, closed with some overlap or a gap.
    start = r.uniform(-130, -50)
    sweep = (360 + r.uniform(-25, 40)) * r.choice([-1, 1])
    rx = r.uniform(0.22, 0.42)
    return [_arc(0.5, 0.5, rx, 0.5, start, start + sweep)]


def _one_bar(r: np.random.Generator) -> list[Stroke]:
    lean = r.uniform(-0.05, 0.1)
    return [_path((0.5 + lean, 0.0), (0.5 - lean, 1.0))]


def _one_flag(r: np.random.Generator, base: bool = False) -> list[Stroke]:
    # The flag rises from lower left to the top of the stem, steeper than a 7's bar.
    length, angle = r.uniform(0.15, 0.5), math.radians(r.uniform(25, 65))
    flag = (0.5 - length * math.cos(angle), length * math.sin(angle))
    strokes = [_path(flag, (0.5, 0.0), (0.5 + r.uniform(-0.04, 0.04), 1.0))]
    if base:
        half = r.uniform(0.15, 0.35)
        strokes.append(_path((0.5 - half, 1.0), (0.5 + half, 1.0)))
    return strokes


def _two_plain(r: np.random.Generator) -> list[Stroke]:
    top = _arc(0.5, 0.28, r.uniform(0.25, 0.35), 0.27, r.uniform(190, 220), r.uniform(360, 400))
    corner = (r.uniform(0.05, 0.25), 1.0)
    return [_join(top, _path(corner, (r.uniform(0.75, 0.95), r.uniform(0.95, 1.02))))]


def _two_looped(r: np.random.Generator) -> list[Stroke]:
    top = _arc(0.5, 0.26, r.uniform(0.25, 0.35), 0.26, r.uniform(190, 220), r.uniform(360, 390))
    size = r.uniform(0.07, 0.13)
    loop = _arc(0.22, 1.0 - size, size * 1.3, size, -40, -40 - 330)  # a small loop, then on
    return [_join(top, loop, _path((r.uniform(0.75, 0.95), r.uniform(0.95, 1.02))))]


def _two_flat(r: np.random.Generator) -> list[Stroke]:
    # A Z-like 2: a short hook, a straight diagonal, a base that may wave.
    top = _arc(0.45, 0.22, 0.3, 0.22, r.uniform(200, 230), r.uniform(340, 370))
    return [_join(top, _path((0.15, 1.0), (0.5, r.uniform(0.93, 1.0)), (0.9, 1.0)))]


def _three_round(r: np.random.Generator) -> list[Stroke]:
    middle = r.uniform(0.42, 0.52)
    top = _arc(0.48, middle / 2, 0.3, middle / 2, r.uniform(190, 220), 450)
    bottom = _arc(0.48, (1 + middle) / 2, 0.34, (1 - middle) / 2, -90, r.uniform(130, 170))
    return [_join(top, bottom)]


def _three_flat(r: np.random.Generator) -> list[Stroke]:
    # A flat-topped 3: a bar, a diagonal back to the middle, a bowl.
    middle = r.uniform(0.38, 0.48)
    bar = _path((0.15, 0.0), (0.85, 0.0), (0.4, middle))
    bowl = _arc(0.45, (1 + middle) / 2, 0.38, (1 - middle) / 2, -100, r.uniform(130, 170))
    return [_join(bar, bowl)]


def _four_closed(r: np.random.Generator) -> list[Stroke]:
    top, bar, stem = r.uniform(0.5, 0.7), r.uniform(0.55, 0.72), r.uniform(0.55, 0.7)
    return [
        _path((top, 0.0), (0.05, bar), (0.95, bar)),
        _path((stem, r.uniform(0.0, 0.3)), (stem + r.uniform(-0.05, 0.02), 1.0)),
    ]


def _four_corner(r: np.random.Generator, bar: float) -> Stroke:
    """The left stroke of a 4 down to its bar: a sharp corner, or a rounded one."""
    top = (r.uniform(0.05, 0.3), 0.0)
    if r.uniform() < 0.5:
        return _path(top, (0.08, bar))
    bend = r.uniform(0.1, 0.25)
    return _join(_path(top), _arc(0.08 + bend, bar - bend, bend, bend, 180, 90))


def _four_open(r: np.random.Generator) -> list[Stroke]:
    bar, stem = r.uniform(0.5, 0.7), r.uniform(0.6, 0.75)
    left = _join(_four_corner(r, bar), _path((0.95, bar)))
    return [left, _path((stem, r.uniform(0.0, 0.15)), (stem - r.uniform(0.0, 0.08), 1.0))]


def _four_one_stroke(r: np.random.Generator) -> list[Stroke]:
    # Down, across to the stem, up it, and back down over it: the pen never lifts, so the
    # stem's upper part is drawn twice, a little apart.
    bar, stem, apart = r.uniform(0.5, 0.7), r.uniform(0.65, 0.85), r.uniform(0.0, 0.08)
    corner = _four_corner(r, bar)
    return [
        _join(corner, _path((stem, bar), (stem + apart, 0.0), (stem - r.uniform(0.0, 0.06), 1.0)))
    ]


def _five_stem_first(r: np.random.Generator) -> list[Stroke]:
    middle = r.uniform(0.38, 0.5)
    bowl = _arc(0.45, (1 + middle) / 2, 0.4, (1 - middle) / 2, -145, r.uniform(130, 170))
    return [
        _join(_path((0.2, 0.0), (0.15, middle)), bowl),
        _path((0.2 + r.uniform(-0.05, 0.05), 0.0), (r.uniform(0.7, 0.95), r.uniform(-0.05, 0.03))),
    ]


def _five_one_stroke(r: np.random.Generator) -> list[Stroke]:
    middle = r.uniform(0.38, 0.5)
    bowl = _arc(0.45, (1 + middle) / 2, 0.4, (1 - middle) / 2, -145, r.uniform(130, 170))
    return [_join(_path((r.uniform(0.7, 0.95), 0.0), (0.2, 0.0), (0.15, middle)), bowl)]


def _six_curved(r: np.random.Generator) -> list[Stroke]:
    loop = r.uniform(0.35, 0.5)  # height of the bottom loop
    cy = 1 - loop / 2
    back = _arc(0.75, cy, 0.7, cy, r.uniform(-100, -80), -180)  # down the left side
    return [_join(back, _arc(0.45, cy, 0.3, loop / 2, 180, 180 + 360 + r.uniform(-30, 20)))]


def _six_straight(r: np.random.Generator) -> list[Stroke]:
    loop = r.uniform(0.35, 0.5)
    cy = 1 - loop / 2
    stem = _path((r.uniform(0.5, 0.8), 0.0), (0.15, cy))
    return [_join(stem, _arc(0.45, cy, 0.3, loop / 2, 180, 180 + 360 + r.uniform(-30, 20)))]


def _seven(r: np.random.Generator, crossed: bool = False, tick: bool = False) -> list[Stroke]:
    foot = (r.uniform(0.25, 0.55), 1.0)
    corner = (0.9, r.uniform(-0.03, 0.03))
    bend = (foot[0] + (corner[0] - foot[0]) * 0.5 + r.uniform(-0.15, 0.06), 0.5)  # may curve
    start = [(0.1, r.uniform(0.1, 0.25))] if tick else []
    flick = (
        [(foot[0] + r.uniform(0.1, 0.25), 1.0 - r.uniform(0.0, 0.1))] if r.uniform() < 0.2 else []
    )
    strokes = [_path(*start, (0.1, r.uniform(-0.03, 0.03)), corner, bend, foot, *flick)]
    if crossed:
        y, half = r.uniform(0.4, 0.6), r.uniform(0.15, 0.3)
        x = corner[0] + (foot[0] - corner[0]) * y
        strokes.append(_path((x - half, y), (x + half, y + r.uniform(-0.04, 0.04))))
    return strokes


def _eight_one_stroke(r: np.random.Generator) -> list[Stroke]:
    # A figure eight: down the S from the top right, and back up to close it.
    waist, wide = r.uniform(0.42, 0.52), r.uniform(0.25, 0.35)
    t = np.linspace(0, 2 * math.pi, 48) + r.uniform(-0.3, 0.3)
    x = 0.5 + wide * np.sin(2 * t) * np.sign(r.uniform(-1, 1))
    y = np.where(np.cos(t) > 0, waist - waist * np.cos(t), waist - (1 - waist) * np.cos(t))
    return [np.stack([x, y], 1)]


def _eight_loops(r: np.random.Generator) -> list[Stroke]:
    # Two loops one above the other, the smaller on top.
    waist = r.uniform(0.38, 0.5)
    top = _arc(0.5, waist / 2, r.uniform(0.2, 0.3), waist / 2, 90, 90 - 360 - r.uniform(0, 30))
    bottom = _arc(0.5, (1 + waist) / 2, r.uniform(0.28, 0.38), (1 - waist) / 2, -90, 270)
    return [_join(top, bottom)] if r.uniform() < 0.5 else [top, bottom]


def _nine(r: np.random.Generator, tail: str) -> list[Stroke]:
    # A loop drawn from its right side, anticlockwise, then the tail down from there. The
    # loop may stop short of closing, or run on past its start.
    size = r.uniform(0.25, 0.55)
    rx = r.uniform(0.22, 0.4)
    start = r.uniform(-40, 20)
    loop = _arc(0.5, size / 2, rx, size / 2, start, start - r.uniform(330, 390))
    x = 0.5 + rx * math.cos(math.radians(start))
    if tail == "straight":
        down = _path((x + r.uniform(-0.08, 0.0), 1.0))
    elif tail == "curved":  # the tail bends left at the bottom
        bend = r.uniform(0.2, 0.35)
        down = _arc(
            x - bend, 1.0 - 0.6 * (1 - size), bend, 0.6 * (1 - size), -10, r.uniform(60, 130)
        )
    else:  # "hooked": it curls up to the left, as in a g
        hook = r.uniform(0.15, 0.32)
        down = _join(
            _path((x, 1.0 - hook)), _arc(x - hook, 1.0 - hook, hook, hook, 0, r.uniform(150, 200))
        )
    return [_join(loop, down)]


FORMS: dict[int, list[Form]] = {
    0: [_zero],
    1: [_one_bar, _one_flag, functools.partial(_one_flag, base=True)],
    2: [_two_plain, _two_looped, _two_flat],
    3: [_three_round, _three_flat],
    4: [_four_closed, _four_open, _four_one_stroke],
    5: [_five_stem_first, _five_one_stroke],
    6: [_six_curved, _six_straight],
    7: [
        _seven,
        functools.partial(_seven, crossed=True),
        functools.partial(_seven, tick=True),
        functools.partial(_seven, crossed=True, tick=True),
    ],
    8: [_eight_one_stroke, _eight_loops],
    9: [functools.partial(_nine, tail=tail) for tail in ("straight", "curved", "hooked")],
}


def skeleton(label: int, rng: np.random.Generator) -> list[Stroke]:
    """One digit as pen strokes, in a form of `label` chosen at random (FORMS)."""
    forms = FORMS[label]
    return forms[int(rng.integers(len(forms)))](rng)


def resample(stroke: Stroke, points: int = POINTS) -> np.ndarray:
    """`points` points evenly spaced along `stroke` (float32 (points, 2))."""
    lengths = np.linalg.norm(np.diff(stroke, axis=0), axis=1)
    along = np.concatenate([[0.0], np.cumsum(lengths)])
    if along[-1] == 0:
        return np.repeat(stroke[:1], points, 0).astype(np.float32)
    wanted = np.linspace(0, along[-1], points)
    return np.stack([np.interp(wanted, along, stroke[:, i]) for i in range(2)], 1).astype(
        np.float32
    )


@dataclass(frozen=True)
class SkeletonBank:
    """Skeletons on a device: points (N, STROKES, POINTS, 2) and labels (N,).

    A digit with fewer than STROKES strokes repeats its last point in the rest: a stroke
    of zero length draws only what is already drawn.
    """

    points: torch.Tensor
    labels: torch.Tensor


def make_bank(per_class: int, seed: int, device: torch.device) -> SkeletonBank:
    """`per_class` skeletons of every digit, from `seed` (numpy, on the host)."""
    rng = np.random.default_rng(seed)
    points = np.zeros((10 * per_class, STROKES, POINTS, 2), dtype=np.float32)
    labels = np.repeat(np.arange(10), per_class)
    for i, label in enumerate(labels):
        # One pace per digit: a hurried hand leaves fewer points per unit of length.
        pace = rng.uniform(*SAMPLED_PER_UNIT) if rng.uniform() < SAMPLED_SHARE else None
        strokes = [
            resample(_sampled(_jitter(stroke, rng), pace, rng))
            for stroke in skeleton(int(label), rng)
        ]
        points[i, : len(strokes)] = strokes
        points[i, len(strokes) :] = strokes[-1][-1]
    return SkeletonBank(torch.from_numpy(points).to(device), torch.from_numpy(labels).to(device))


@functools.cache
def default_bank(device: torch.device) -> SkeletonBank:
    """The bank every training run draws from (BANK_PER_CLASS per digit, BANK_SEED)."""
    return make_bank(BANK_PER_CLASS, BANK_SEED, device)


def _sampled(stroke: Stroke, pace: float | None, rng: np.random.Generator) -> Stroke:
    """The stroke as a pen or pointer reports it: points every so often along it, joined by
    straight lines. Tablets and browsers sample a moving pen at a fixed rate (a browser's
    pointer events come 60-125 times a second, and the Sketchpad joins them with straight
    segments), so a quick curve arrives as a polygon. `pace` is points per unit of
    length; None keeps the stroke smooth.
    """
    if pace is None:
        return stroke
    length = float(np.linalg.norm(np.diff(stroke, axis=0), axis=1).sum())
    count = max(2, round(length * pace))
    dense = resample(stroke, 4 * POINTS).astype(np.float64)
    # Where the samples fall: evenly in time, the pen's speed varying a little.
    steps = rng.uniform(0.6, 1.4, size=count - 1)
    where = np.concatenate([[0.0], np.cumsum(steps)]) / steps.sum() * (len(dense) - 1)
    return dense[np.round(where).astype(int)]


def _jitter(stroke: Stroke, rng: np.random.Generator, amount: float = 0.03) -> Stroke:
    """A hand's unevenness: the stroke's points moved by a smooth random offset."""
    n = len(stroke)
    knots = rng.normal(0.0, amount, size=(4, 2))
    offsets = np.stack(
        [np.interp(np.linspace(0, 3, n), np.arange(4), knots[:, i]) for i in range(2)], 1
    )
    return stroke + offsets


def drawn_digits(count: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """`count` digits drawn from the default bank: images (count, 1, 28, 28), labels (count,)."""
    bank = default_bank(device)
    chosen = torch.randint(len(bank.labels), (count,), device=device)
    return draw(bank.points[chosen]), bank.labels[chosen]


def draw(points: torch.Tensor) -> torch.Tensor:
    """Skeletons (N, STROKES, POINTS, 2) distorted, inked and framed: (N, 1, 28, 28) in [0, 1]."""
    n = points.shape[0]
    flat = _distort(points.reshape(n, -1, 2))
    width = PEN_WIDTHS[0] + torch.rand(n, device=points.device) * (PEN_WIDTHS[1] - PEN_WIDTHS[0])
    placed = _frame(flat, points.shape[1], width)
    return _render(placed.reshape(points.shape), width)


def _distort(points: torch.Tensor) -> torch.Tensor:
    """Each digit's points (N, P, 2) slanted, rotated, stretched and smoothly wobbled."""
    n, device = points.shape[0], points.device
    # rotate(shear(scale(p))), as lenet/augment.py warps pixels
    matrix = random_affine(n, MAX_ROTATION_DEGREES, MAX_SHEAR, MAX_LOG_ASPECT, device)
    centred = points - 0.5
    moved = centred @ matrix.transpose(1, 2)
    # The elastic field, sampled at each point: grid_sample reads the field at (x, y) in
    # [-1, 1], here the digit's unit box before the affine.
    field = torch.randn(n, 2, ELASTIC_GRID, ELASTIC_GRID, device=device) * ELASTIC_SHARE
    where = (centred * 2).clamp(-1.5, 1.5).unsqueeze(1)  # (N, 1, P, 2)
    wobble = F.grid_sample(field, where, mode="bilinear", padding_mode="border", align_corners=True)
    return moved + wobble[:, :, 0].transpose(1, 2)


def _frame(points: torch.Tensor, strokes: int, width: torch.Tensor) -> torch.Tensor:
    """Points (N, P, 2) scaled so the ink fits DIGIT_BOX and placed with its centre of ink
    at the field's centre, in pixel coordinates of the IMAGE_SIZE field.

    The ink's extent is the points' extent plus one pen width. Its centre is the centre of
    the strokes' length (where a stroke's ink lies), a close stand-in for the centre of
    mass demo/reading/preprocess.py uses.
    """
    low, high = points.amin(1), points.amax(1)  # (N, 2)
    extent = (high - low).amax(1).clamp(min=1e-3)  # (N,)
    scale = ((DIGIT_BOX - width) / extent).clamp(min=0.0)  # px per unit
    scaled = points * scale.view(-1, 1, 1)
    segments = scaled.reshape(points.shape[0], strokes, -1, 2)
    starts, ends = segments[:, :, :-1], segments[:, :, 1:]
    length = (ends - starts).norm(dim=-1, keepdim=True)  # (N, S, P-1, 1)
    middle = (starts + ends) / 2
    mass = length.sum((1, 2)).clamp(min=1e-6)  # (N, 1)
    centre = (middle * length).sum((1, 2)) / mass
    # Pixel i's centre is at coordinate i, so the field's centre is IMAGE_SIZE / 2, as in
    # demo/reading/preprocess.py's placement of the centre of mass.
    return scaled - centre.unsqueeze(1) + IMAGE_SIZE / 2


def _render(points: torch.Tensor, width: torch.Tensor) -> torch.Tensor:
    """Strokes (N, S, P, 2), in pixel coordinates, inked `width` px wide with round ends.

    Drawn as the demo sees a drawing: hard-edged ink at SUPERSAMPLE times the resolution,
    averaged down (demo/reading/preprocess.py scales a drawing down with a box filter). Each
    stroke is stamped with a disc of its pen: points SAMPLES to a segment are set in the
    fine grid, and one depthwise convolution, each image with its own disc, inks them.
    """
    n = points.shape[0]
    device = points.device
    fine = IMAGE_SIZE * SUPERSAMPLE
    starts = points[:, :, :-1].reshape(n, -1, 1, 2)
    ends = points[:, :, 1:].reshape(n, -1, 1, 2)
    t = torch.linspace(0, 1, SAMPLES, device=device).view(1, 1, -1, 1)
    # Coarse pixel i covers fine pixels SUPERSAMPLE * i .. SUPERSAMPLE * (i + 1) - 1.
    samples = (starts + t * (ends - starts)).reshape(n, -1, 2) * SUPERSAMPLE
    samples = samples + (SUPERSAMPLE - 1) / 2
    # Placed twice: the strokes' own centre (from _frame) counts a part drawn twice
    # twice; the ink's centre of mass, which the demo centres, counts it once.
    samples = samples + _mass_offset(_ink_points(samples, fine), samples.dtype)
    grid = _ink_points(samples, fine)
    offsets = torch.arange(DISC, device=device, dtype=points.dtype) - DISC // 2
    distance = (offsets.view(-1, 1) ** 2 + offsets.view(1, -1) ** 2).sqrt()
    radius = width.view(n, 1, 1) * SUPERSAMPLE / 2
    discs = (radius + 0.5 - distance).clamp(0, 1).unsqueeze(1)  # (N, 1, DISC, DISC)
    ink = F.conv2d(grid.view(1, n, fine, fine), discs, padding=DISC // 2, groups=n)
    return F.avg_pool2d(ink.clamp(max=1).view(n, 1, fine, fine), SUPERSAMPLE)


def _ink_points(samples: torch.Tensor, fine: int) -> torch.Tensor:
    """Points (N, M, 2) set in a fine grid (N, fine * fine): 1 where any point falls."""
    xy = samples.round().long().clamp(0, fine - 1)
    grid = torch.zeros(samples.shape[0], fine * fine, device=samples.device)
    return grid.scatter_(1, xy[..., 1] * fine + xy[..., 0], 1.0)


def _mass_offset(grid: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """(N, 1, 2): the move, in fine pixels, that brings each grid's centre of mass to the
    centre of the field, as demo/reading/preprocess.py places a drawing (to the nearest
    fine pixel)."""
    fine = math.isqrt(grid.shape[1])
    coords = torch.arange(fine, device=grid.device, dtype=dtype)
    image = grid.view(-1, fine, fine)
    mass = image.sum((1, 2)).clamp(min=1)
    x = (image.sum(1) * coords).sum(1) / mass
    y = (image.sum(2) * coords).sum(1) / mass
    centre = IMAGE_SIZE / 2 * SUPERSAMPLE + (SUPERSAMPLE - 1) / 2
    return (centre - torch.stack([x, y], 1)).round().unsqueeze(1)
