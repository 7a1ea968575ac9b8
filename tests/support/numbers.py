"""Whole numbers through the demo: MNIST test digits written side by side on its canvas.

    rows = evaluate_numbers(classifier, images, labels, per_length=1000)   # Row by kind
    rows["3 digits"].exact / rows["3 digits"].numbers                      # read exactly

Each number is 2 to 6 MNIST *test* digits, each drawn the way bench/robustness.py
draws one (robustness.py: enlarged, cut to hard black ink on the white 400 px canvas), side by side:
random gaps of 2 to 40 px of paper between one digit's ink and the next, each digit
moved up or down by up to a tenth of the number's height, and sizes varying by up to
30% within a number. The number is as large as the canvas allows (no larger than a
lone digit is drawn), times a random 0.8 to 1. Each canvas goes through the Draw tab's
own code (read_drawing: segmentation, the MNIST recipe per digit, one batched
model call), and counts as read if the top reading is the number.

Also measured: the same digits drawn alone (the single-digit accuracy that per-digit
accuracy is compared with); 3-digit numbers whose digits overlap (boxes overlapping
by up to 15 px), reported apart for inks that touch and inks that don't; numbers of
2 to 8 digits written with the app's own 30 px brush (demo/strokes.py's pen digits,
as large as fits, 10 px apart), where the brush, not the model, sets the limit
(`brush_rows`). `python -m bench.read_numbers` prints them all, with the server's work
for a 6-digit number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from demo.reading import BRUSH_RADIUS, CANVAS_SIZE, DigitClassifier, read_drawing
from demo.strokes import DIGIT_STROKES, number_strokes, render_strokes

from .robustness import DIGIT_SIDE, draw, drawn_ink

LENGTHS = range(2, 7)
GAPS = (2, 40)  # px of paper between one digit's ink and the next
OVERLAPS = (-15, 0)  # the touching row: boxes overlap by up to 15 px
SIZE_SPREAD = 1.3  # the largest digit of a number is at most 1.3x the smallest
JITTER = 0.1  # each digit moves up or down by up to this share of the number's height
SCALE = (0.8, 1.0)  # the whole number, against the largest that fits
MARGIN = 10  # px of canvas edge left free
BRUSH_LENGTHS = range(2, 9)
BRUSH_GAP = 10  # px between pen digits written with the app's brush
BRUSH_STEP = 5  # px: pen numbers are tried this much shorter until they fit
TARGET_EXACT = {3: 0.985}  # numbers read exactly, by length (digits not touching)
TARGET_DIGIT_DROP = 0.005  # per-digit accuracy within 0.5 points of single digits


@dataclass
class Number:
    """A composed number: the canvas, the digits it shows, and whether any two inks touch."""

    canvas: np.ndarray  # (CANVAS_SIZE, CANVAS_SIZE, 4) uint8, black ink on white
    text: str
    indices: list[int]  # of the MNIST test digits used, left to right
    touching: bool


def compose(
    images: np.ndarray,
    labels: np.ndarray,
    indices: list[int],
    rng: np.random.Generator,
    gaps: tuple[int, int] = GAPS,
) -> Number:
    """The MNIST test digits `indices` written side by side on one canvas (see the module doc)."""
    count = len(indices)
    sizes = rng.uniform(1.0, SIZE_SPREAD, count)
    sizes /= sizes.max()
    between = rng.integers(gaps[0], gaps[1] + 1, count - 1)
    room = CANVAS_SIZE - 2 * MARGIN - int(between.sum())

    def draw_at(scale: float) -> list[np.ndarray]:
        sides = [max(1, round(DIGIT_SIDE * size * scale)) for size in sizes]
        return [_ink_box(drawn_ink(images[i], s)) for i, s in zip(indices, sides, strict=True)]

    fit = 1.0  # the largest scale (up to a lone digit's size) at which the number fits
    while (width := sum(ink.shape[1] for ink in draw_at(fit))) > room:
        fit *= min(0.98, room / width)
    inks = draw_at(fit * rng.uniform(*SCALE))
    width = sum(ink.shape[1] for ink in inks) + int(between.sum())
    tallest = max(ink.shape[0] for ink in inks)
    owner = np.zeros((CANVAS_SIZE, CANVAS_SIZE), dtype=np.int32)  # which digit inked a pixel
    left = MARGIN + int(rng.integers(0, CANVAS_SIZE - 2 * MARGIN - width + 1))
    for position, ink in enumerate(inks):
        height = ink.shape[0]
        shift = rng.uniform(-JITTER, JITTER) * tallest
        top = int(np.clip(round((CANVAS_SIZE - height) / 2 + shift), 0, CANVAS_SIZE - height))
        region = owner[top : top + height, left : left + ink.shape[1]]
        region[ink] = position + 1
        left += ink.shape[1] + (between[position] if position < count - 1 else 0)
    canvas = np.full((CANVAS_SIZE, CANVAS_SIZE, 4), 255, np.uint8)
    canvas[owner > 0, :3] = 0
    text = "".join(str(labels[i]) for i in indices)
    return Number(canvas, text, list(indices), _touching(owner, count))


def _ink_box(ink: np.ndarray) -> np.ndarray:
    """`ink` cropped to its bounding box."""
    rows, cols = np.nonzero(ink)
    return ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]


def _touching(owner: np.ndarray, count: int) -> bool:
    """Whether any digit's ink is next to (8-connected) or drawn over another digit's."""
    for position in range(1, count + 1):
        mine = owner == position
        near = np.asarray(Image.fromarray(mine).filter(ImageFilter.MaxFilter(3)))
        if (near & (owner > 0) & ~mine).any():
            return True
    return False


def read(classifier: DigitClassifier, canvas: np.ndarray) -> str:
    """What the Draw tab reads on `canvas`: its top reading ('' for no ink)."""
    scores, _answer, _view, _table = read_drawing(classifier, canvas)
    return max(scores, key=scores.__getitem__) if isinstance(scores, dict) else ""


@dataclass
class Row:
    """Results for a set of numbers.

    Per-digit accuracy is OCR's character accuracy: 1 - (edits to turn the reading into
    the number) / (digits written). A digit cut in two costs one edit, not the number.
    """

    numbers: int = 0
    exact: int = 0  # read exactly
    count_right: int = 0  # as many digits read as written
    digits: int = 0
    edits: int = 0  # insertions, deletions and substitutions, summed over the numbers

    def add(self, truth: str, reading: str) -> None:
        self.numbers += 1
        self.digits += len(truth)
        self.exact += reading == truth
        self.count_right += len(reading) == len(truth)
        self.edits += edit_distance(truth, reading)

    @property
    def digit_accuracy(self) -> float:
        return 1 - self.edits / self.digits if self.digits else float("nan")


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: the fewest insertions, deletions and substitutions from a to b."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        current = [i]
        for j, y in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def evaluate_numbers(
    classifier: DigitClassifier,
    images: np.ndarray,
    labels: np.ndarray,
    per_length: int,
    seed: int = 0,
    lengths: Sequence[int] = LENGTHS,
    touching: int | None = None,
) -> dict[str, Row]:
    """Rows by length ('2 digits' ...), 'all', the touching rows, and 'single digits'.

    `per_length` numbers of each length; `touching` (default: as many) 3-digit numbers
    whose digits overlap. 'single digits' is every digit of the numbers not touching,
    drawn alone and centred as bench/robustness.py draws it, through the same code.
    """
    rng = np.random.default_rng(seed)
    rows: dict[str, Row] = {}
    used: set[int] = set()
    everything = rows["all"] = Row()
    for length in lengths:
        row = rows[f"{length} digits"] = Row()
        for _ in range(per_length):
            indices = rng.choice(len(images), size=length, replace=False).tolist()
            used.update(indices)
            number = compose(images, labels, indices, rng)
            reading = read(classifier, number.canvas)
            row.add(number.text, reading)
            everything.add(number.text, reading)
    inks_touch = rows["touching: 3 digits, inks touch"] = Row()
    inks_apart = rows["touching: 3 digits, boxes overlap, inks apart"] = Row()
    for _ in range(per_length if touching is None else touching):
        indices = rng.choice(len(images), size=3, replace=False).tolist()
        number = compose(images, labels, indices, rng, gaps=OVERLAPS)
        row = inks_touch if number.touching else inks_apart
        row.add(number.text, read(classifier, number.canvas))
    single = rows["single digits"] = Row()
    for i in sorted(used):
        single.add(str(labels[i]), read(classifier, draw(images[i], rng)))
    return rows


def brush_rows(classifier: DigitClassifier, per_length: int, seed: int = 0) -> dict[int, Row]:
    """Numbers of random pen digits written with the app's brush, as tall as fits, by length."""
    rng = np.random.default_rng(seed)
    brush = 2 * BRUSH_RADIUS
    rows = {}
    for length in BRUSH_LENGTHS:
        row = rows[length] = Row()
        for _ in range(per_length):
            text = "".join(rng.choice(list(DIGIT_STROKES), size=length))
            height = CANVAS_SIZE
            while True:
                try:
                    strokes = number_strokes(text, CANVAS_SIZE, height, BRUSH_GAP, brush)
                    break
                except ValueError:  # too wide for the canvas at this height
                    height -= BRUSH_STEP
            canvas = np.asarray(render_strokes(strokes, CANVAS_SIZE, brush).convert("RGBA"))
            row.add(text, read(classifier, canvas))
    return rows
