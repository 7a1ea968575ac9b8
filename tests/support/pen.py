"""Digits drawn with a pen by 30 people, drawn again the way the page draws them, and read.

    digits = load_pen(DEFAULT_PEN)                                 # 7,494 PenDigit
    canvas = draw_on_canvas(place(digit.strokes, rng))             # the app's canvas and brush
    result = read_pen(classifier, digits)                          # through read_drawing

The digits are the UCI pen-based set's 30 training writers (see the data's README): pen
trajectories, sampled every 100 ms, y up. A visitor draws on the Sketchpad with the
app's brush; so each digit is placed at a random size (its ink spanning a third to four
fifths of the canvas's height) and place, its strokes drawn as polylines with the brush's width,
round caps and joins, black on white, no anti-aliasing (demo/strokes.py's
render_strokes), and the canvas goes through the Draw tab's own code (read_drawing), as
`/predict` runs it. A digit that the Draw tab reads as a number (its strokes cut into
pieces) counts as wrong, as a visitor would see it.

Evaluation only: nothing in this repository trains on these digits or tunes a setting
per digit on them.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from demo.reading import BRUSH_RADIUS, CANVAS_HEIGHT, CANVAS_WIDTH, DigitClassifier, read_drawing
from demo.strokes import render_strokes
from lenet.calibration import expected_calibration_error

from .paths import REPO

DEFAULT_PEN = REPO.parent / "shared" / "handwriting" / "pen-digits-30-writers.unipen.gz"
BRUSH_WIDTH = 2 * BRUSH_RADIUS  # px: the Sketchpad draws strokes twice the radius wide
CANVAS = (CANVAS_WIDTH, CANVAS_HEIGHT)  # px
SIDES = (1 / 3, 4 / 5)  # of the canvas's height: the span of a digit's ink
LABELS = tuple(str(d) for d in range(10))


@dataclass(frozen=True)
class PenDigit:
    """One digit as written: its label, its writer, and its pen-down strokes (tablet
    coordinates, y up; each an (n, 2) float array)."""

    label: int
    writer: int
    strokes: list[np.ndarray]


def load_pen(path: Path) -> list[PenDigit]:
    """Every digit of a UNIPEN file in the format of the shared set's README."""
    digits: list[PenDigit] = []
    label, writer, strokes, current = None, 0, [], None
    with gzip.open(path, "rt") as lines:
        for line in lines:
            words = line.split()
            if not words:
                continue
            if words[0] == ".SEGMENT":
                if strokes:
                    digits.append(PenDigit(label, writer, strokes))
                label, strokes = int(line.rsplit('"', 2)[-2]), []
            elif words[0] == ".COMMENT":
                writer = int(words[2])
            elif words[0] == ".PEN_DOWN":
                current = []
            elif words[0] == ".PEN_UP":
                strokes.append(np.array(current, dtype=np.float64).reshape(-1, 2))
                current = None
            elif current is not None and len(words) == 2:
                current.append((float(words[0]), float(words[1])))
    if strokes:
        digits.append(PenDigit(label, writer, strokes))
    return digits


def place(
    strokes: list[np.ndarray],
    rng: np.random.Generator,
    canvas: tuple[int, int] = CANVAS,
    width: int = BRUSH_WIDTH,
    sides: tuple[float, float] = SIDES,
) -> list[np.ndarray]:
    """Pen strokes in canvas pixels (y down), at a random size and place on the canvas
    (width, height).

    The digit keeps its proportions; its ink (the strokes plus the brush's width) spans
    a random share `sides` of the canvas's height along its longer side.
    """
    points = np.concatenate(strokes)
    low, high = points.min(0), points.max(0)
    side = rng.uniform(*sides) * min(canvas)
    scale = (side - width) / max(float((high - low).max()), 1.0)
    size = (high - low) * scale + width  # the ink's width and height
    left = rng.uniform(0, canvas[0] - size[0]) + width / 2
    top = rng.uniform(0, canvas[1] - size[1]) + width / 2
    return [
        np.stack([left + (s[:, 0] - low[0]) * scale, top + (high[1] - s[:, 1]) * scale], 1)
        for s in strokes
    ]


def draw_on_canvas(
    strokes: list[np.ndarray], canvas: tuple[int, int] = CANVAS, width: int = BRUSH_WIDTH
) -> np.ndarray:
    """Strokes in canvas pixels drawn as the Sketchpad's composite on a (width, height)
    canvas: RGBA uint8, black on white."""
    normalised = [(s / np.array(canvas, dtype=np.float64)).tolist() for s in strokes]
    grey = np.asarray(render_strokes(normalised, canvas, width))
    return np.dstack([grey, grey, grey, np.full_like(grey, 255)])


@dataclass(frozen=True)
class PenReading:
    """How the Draw tab read each digit: its top reading, and whether it said so with
    confidence; with the class probabilities of the digits read as one digit."""

    labels: np.ndarray  # (N,) int
    readings: list[str]  # the top reading ("7", or "71" if cut into two), "" if none
    confident: np.ndarray  # (N,) bool: answered without "not sure"
    probabilities: np.ndarray  # (N, 10); zeros where the drawing was not read as one digit


def canvases(digits: list[PenDigit], seed: int = 0) -> Iterator[np.ndarray]:
    """Each digit drawn at a random size and place (from `seed`), as read_pen draws it."""
    rng = np.random.default_rng(seed)
    for digit in digits:
        yield draw_on_canvas(place(digit.strokes, rng))


def read_pen(classifier: DigitClassifier, digits: list[PenDigit], seed: int = 0) -> PenReading:
    """Each digit drawn at a random size and place (from `seed`) and read by read_drawing."""
    readings, confident = [], []
    probabilities = np.zeros((len(digits), len(LABELS)), dtype=np.float32)
    for i, canvas in enumerate(canvases(digits, seed)):
        scores, answer, _, _ = read_drawing(classifier, canvas)
        if not isinstance(scores, dict):  # a prompt: nothing was read
            readings.append("")
            confident.append(False)
            continue
        top = max(scores, key=scores.__getitem__)
        readings.append(top)
        confident.append(not answer.startswith("Not sure"))
        if set(scores) == set(LABELS):
            probabilities[i] = [scores[label] for label in LABELS]
    labels = np.array([digit.label for digit in digits])
    return PenReading(labels, readings, np.array(confident), probabilities)


def correct(reading: PenReading) -> np.ndarray:
    """(N,) bool: whether each digit's top reading is its label."""
    return np.array([r == str(y) for r, y in zip(reading.readings, reading.labels, strict=True)])


def pen_summary(reading: PenReading) -> dict:
    """Accuracy overall and per class, the confusions, and the answers given with
    confidence: their share, the share of all answers that are confident and wrong, and
    the ECE of the digits read as one digit (lenet.calibration's)."""
    labels = reading.labels
    right = correct(reading)
    confident = reading.confident
    confusions: dict[tuple[int, str], int] = {}
    for reading_, label, ok in zip(reading.readings, labels, right, strict=True):
        if not ok:
            key = (int(label), reading_ or "nothing")
            confusions[key] = confusions.get(key, 0) + 1
    single = reading.probabilities.sum(1) > 0
    return {
        "digits": len(labels),
        "accuracy": float(right.mean()),
        "per_class": [float(right[labels == c].mean()) for c in range(10)],
        "confusions": sorted(
            ((t, p, n) for (t, p), n in confusions.items()), key=lambda c: (-c[2], c[0])
        ),
        "confident_share": float(confident.mean()),
        "confident_wrong": float((confident & ~right).mean()),
        "selective_accuracy": float(right[confident].mean()) if confident.any() else 0.0,
        "ece": expected_calibration_error(
            torch.from_numpy(reading.probabilities[single]), torch.from_numpy(labels[single])
        ),
    }
