"""Scribbles and letters through the demo: how many come back as a confident digit?

    drawings = scribbles(per_kind=30)                  # 270 shapes, 30 of each kind
    confident_rate(classifier, drawings)["all"]        # (share answered with confidence, digits)

Draws shapes that are not digits the way a visitor would on the Sketchpad (black
strokes of the brush's width or wider on a white 400 px square, at a random size, place,
slant and proportion, each vertex jittered by hand): the letters X, A, M, W, the sign
#, a spiral, a smiley, random smooth strokes and a filled blob. Shapes that are digits
in disguise (O, I, S, Z, l) are left out. Each goes through the reading core, and
`confident_rate` gives, per kind, the share answered with confidence (top probability at
or over the model's threshold) and the digits they were read as. The Draw tab reads a
drawing as a whole number when its ink falls into several digits (segment.py);
`draw_tab_rate` is that reading (read_drawing): the share answered with confidence (a
number only when every digit is), and the share cut into a number at all.
`python -m bench.scribbles` prints both.

None of these kinds is used in training: the outlier exposure of lenet/outliers.py
trains on straight zigzags and overlaid digit pairs only.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw

from demo.reading import DigitClassifier, read_drawing
from demo.reading.preprocess import to_model_input

CANVAS = 400  # px, square: the reading ignores the paper around the ink
PEN_WIDTHS = (12, 30)  # px; the app's brush is 14 px, the brush before it 30 px
SIZES = (120, 320)  # px, the longer side of the shape
JITTER = 0.06  # each corner (or curve) moves by up to 6% of the shape's size
MAX_CORNERS = 6  # strokes with more points than this are curves
MAX_SLANT = 15.0  # degrees
TARGET = 0.10  # at most 10% of scribbles may get a confident digit answer

Stroke = list[tuple[float, float]]  # points in a unit box, y down
Shape = Callable[[np.random.Generator], list[Stroke]]


def _arc(cx: float, cy: float, r: float, start: float, end: float, n: int = 24) -> Stroke:
    return [
        (
            cx + r * math.cos(start + (end - start) * i / n),
            cy + r * math.sin(start + (end - start) * i / n),
        )
        for i in range(n + 1)
    ]


def _spiral(rng: np.random.Generator) -> list[Stroke]:
    turns = rng.uniform(2.0, 3.5)
    n = 80
    return [
        [
            (
                0.5 + 0.5 * (i / n) * math.cos(2 * math.pi * turns * i / n),
                0.5 + 0.5 * (i / n) * math.sin(2 * math.pi * turns * i / n),
            )
            for i in range(n + 1)
        ]
    ]


def _smiley(rng: np.random.Generator) -> list[Stroke]:
    eye = 0.04
    return [
        _arc(0.5, 0.5, 0.5, 0, 2 * math.pi, 40),
        _arc(0.33, 0.37, eye, 0, 2 * math.pi, 8),
        _arc(0.67, 0.37, eye, 0, 2 * math.pi, 8),
        _arc(0.5, 0.5, 0.3, 0.2 * math.pi, 0.8 * math.pi),
    ]


def _smooth_strokes(rng: np.random.Generator) -> list[Stroke]:
    """Two or three smooth random curves (quadratic Beziers); one alone is often a 1 or a 7."""
    strokes = []
    for _ in range(rng.integers(2, 4)):
        a, b, c = rng.uniform(0, 1, size=(3, 2))
        strokes.append(
            [
                tuple((1 - t) ** 2 * a + 2 * (1 - t) * t * b + t**2 * c)
                for t in np.linspace(0, 1, 20)
            ]
        )
    return strokes


def _blob(rng: np.random.Generator) -> list[Stroke]:
    """A filled irregular polygon (drawn as one closed stroke; filled by `draw`)."""
    n = int(rng.integers(7, 13))
    angles = np.sort(rng.uniform(0, 2 * math.pi, n))
    radii = rng.uniform(0.3, 0.5, n)
    ring = [
        (0.5 + r * math.cos(a), 0.5 + r * math.sin(a)) for a, r in zip(angles, radii, strict=True)
    ]
    return [[*ring, ring[0]]]


SHAPES: dict[str, Shape] = {
    "X": lambda rng: [[(0, 0), (1, 1)], [(1, 0), (0, 1)]],
    "A": lambda rng: [[(0, 1), (0.5, 0), (1, 1)], [(0.25, 0.55), (0.75, 0.55)]],
    "M": lambda rng: [[(0, 1), (0.05, 0), (0.5, 0.6), (0.95, 0), (1, 1)]],
    "W": lambda rng: [[(0, 0), (0.25, 1), (0.5, 0.35), (0.75, 1), (1, 0)]],
    "#": lambda rng: [
        [(0.35, 0), (0.3, 1)],
        [(0.7, 0), (0.65, 1)],
        [(0, 0.35), (1, 0.35)],
        [(0, 0.68), (1, 0.68)],
    ],
    "spiral": _spiral,
    "smiley": _smiley,
    "random strokes": _smooth_strokes,
    "filled blob": _blob,
}


def draw(kind: str, rng: np.random.Generator) -> np.ndarray:
    """One shape of `kind` drawn as a Sketchpad composite: (400, 400, 4) uint8, black on white."""
    strokes = SHAPES[kind](rng)
    size = rng.uniform(*SIZES)
    aspect = math.exp(rng.uniform(-0.3, 0.3))
    width, height = size * min(1.0, aspect), size * min(1.0, 1 / aspect)
    slant = math.radians(rng.uniform(-MAX_SLANT, MAX_SLANT))
    left = rng.uniform(0, CANVAS - width)
    top = rng.uniform(0, CANVAS - height)
    pen = int(rng.integers(PEN_WIDTHS[0], PEN_WIDTHS[1] + 1))

    def place(point: tuple[float, float], jitter: np.ndarray) -> tuple[float, float]:
        x, y = point[0] + jitter[0], point[1] + jitter[1]
        x += (0.5 - y) * math.tan(slant)
        return left + x * width, top + y * height

    image = Image.new("RGBA", (CANVAS, CANVAS), "white")
    pen_down = ImageDraw.Draw(image)
    for stroke in strokes:
        # A hand moves each corner of a letter a little; a curve moves as a whole.
        corners = len(stroke) <= MAX_CORNERS
        shared = rng.uniform(-JITTER, JITTER, 2)
        points = [place(p, rng.uniform(-JITTER, JITTER, 2) if corners else shared) for p in stroke]
        if kind == "filled blob":
            pen_down.polygon(points, fill="black")
        pen_down.line(points, fill="black", width=pen, joint="curve")
        for x, y in points[:: max(1, len(points) - 1)]:  # round caps at both ends
            pen_down.ellipse([x - pen / 2, y - pen / 2, x + pen / 2, y + pen / 2], fill="black")
    return np.asarray(image)


def scribbles(per_kind: int, seed: int = 0) -> list[tuple[str, np.ndarray]]:
    """`per_kind` drawings of every kind in SHAPES, as (kind, canvas) pairs."""
    rng = np.random.default_rng(seed)
    return [(kind, draw(kind, rng)) for kind in SHAPES for _ in range(per_kind)]


def confident_rate(classifier: DigitClassifier, drawings: list[tuple[str, np.ndarray]]) -> dict:
    """Per kind: the share answered with confidence, and the digits given."""
    contract = classifier.contract
    inputs = np.stack(
        [to_model_input(c, contract.image_size, contract.digit_box) for _, c in drawings]
    )
    probabilities = classifier.probabilities(inputs)
    confident = probabilities.max(1) >= classifier.contract.confidence_threshold
    kinds = np.array([kind for kind, _ in drawings])
    result = {}
    for kind in SHAPES:
        mine = kinds == kind
        digits = probabilities[mine & confident].argmax(1)
        result[kind] = (float(confident[mine].mean()), np.bincount(digits, minlength=10))
    result["all"] = (
        float(confident.mean()),
        np.bincount(probabilities[confident].argmax(1), minlength=10),
    )
    return result


def draw_tab_rate(
    classifier: DigitClassifier, drawings: list[tuple[str, np.ndarray]]
) -> dict[str, tuple[float, float]]:
    """Per kind (and "all"): the share the Draw tab answers with confidence, and the share
    it cuts into a number of several digits."""
    answers = [(kind, read_drawing(classifier, canvas)) for kind, canvas in drawings]
    result = {}
    for kind in [*SHAPES, "all"]:
        mine = [reply for k, reply in answers if kind in (k, "all")]
        sure = np.mean([answer.startswith("It's") for _scores, answer, _view, _table in mine])
        cut = np.mean([bool(table) for _scores, _answer, _view, table in mine])
        result[kind] = (float(sure), float(cut))
    return result
