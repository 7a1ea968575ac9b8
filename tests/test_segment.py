"""demo/segment.py: connected components against a plain flood fill, and digits cut from
synthetic drawings (a 4 or a 7 in several strokes, a 5 with its bar apart, a broken 0, a
1 beside a 7, wide and narrow gaps, stray marks).

Drawings are made as the Sketchpad makes them: black strokes of the app's 30 px brush
on the white 400 px canvas, from demo/strokes.py's pen strokes.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest

from demo.reading.preprocess import ink_map
from demo.reading.segment import components, paint, split_digits
from demo.strokes import DIGIT_STROKES, number_strokes, render_strokes

CANVAS = 400
BRUSH = 30  # px, the app's stroke width on its 400 px canvas


def flood_fill_labels(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """8-connected components by breadth-first search: the obvious, slow reference."""
    labels = np.zeros(mask.shape, dtype=int)
    count = 0
    for start in zip(*np.nonzero(mask), strict=True):
        if labels[start]:
            continue
        count += 1
        labels[start] = count
        queue = deque([start])
        while queue:
            row, col = queue.popleft()
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    r, c = row + dr, col + dc
                    inside = 0 <= r < mask.shape[0] and 0 <= c < mask.shape[1]
                    if inside and mask[r, c] and not labels[r, c]:
                        labels[r, c] = count
                        queue.append((r, c))
    return labels, count


@pytest.mark.parametrize("seed", range(5))
def test_components_match_a_flood_fill(seed):
    rng = np.random.default_rng(seed)
    for _ in range(40):
        mask = rng.random(rng.integers(1, 40, size=2)) < rng.uniform(0.1, 0.7)
        runs, component, boxes = components(mask)
        labels = paint(runs, component + 1, mask.shape)
        reference, count = flood_fill_labels(mask)
        assert len(boxes) == count
        assert np.array_equal(labels > 0, mask)
        # The same partition: each label pairs with exactly one reference label.
        assert len(set(zip(labels[mask].tolist(), reference[mask].tolist(), strict=True))) == count
        for c, (top, bottom, left, right) in enumerate(boxes):
            rows, cols = np.nonzero(labels == c + 1)
            assert (top, bottom, left, right) == (
                rows.min(),
                rows.max() + 1,
                cols.min(),
                cols.max() + 1,
            )


def canvas(strokes: list[list[tuple[float, float]]], width: int = BRUSH) -> np.ndarray:
    """Strokes in normalised coordinates drawn as the Sketchpad's composite (grey, 0..255)."""
    return np.asarray(render_strokes(strokes, CANVAS, width))


def pieces(image: np.ndarray) -> list[np.ndarray]:
    return split_digits(ink_map(image))


def line(a: tuple[float, float], b: tuple[float, float], n: int = 8) -> list[tuple[float, float]]:
    return [
        (a[0] + (b[0] - a[0]) * i / (n - 1), a[1] + (b[1] - a[1]) * i / (n - 1)) for i in range(n)
    ]


def piece_count(image: np.ndarray) -> int:
    """How many separate pieces of ink a drawing has (before any grouping)."""
    return len(components(ink_map(image) >= 0.5)[2])


def test_a_single_digit_is_the_whole_ink_untouched():
    ink = ink_map(canvas(DIGIT_STROKES["4"]))
    (piece,) = split_digits(ink)
    assert piece is ink


def test_no_ink_is_no_digit():
    assert split_digits(np.zeros((CANVAS, CANVAS), dtype=np.float32)) == []


@pytest.mark.parametrize(
    "name, strokes, parts",
    [
        ("two-stroke 4 (as demo/strokes.py draws it)", DIGIT_STROKES["4"], 1),
        (
            # The L, and the stem drawn above and below the bar without touching it.
            "4 in three strokes that do not touch",
            [
                line((0.5, 0.2), (0.27, 0.6)) + line((0.27, 0.6), (0.76, 0.6))[1:],
                line((0.62, 0.28), (0.62, 0.5)),
                line((0.62, 0.7), (0.62, 0.85)),
            ],
            3,
        ),
        (
            "7 with its bar drawn apart",
            [line((0.28, 0.22), (0.73, 0.22)), line((0.7, 0.32), (0.43, 0.82))],
            2,
        ),
        (
            "5 with a detached bar",
            [
                line((0.7, 0.2), (0.4, 0.2)),
                line((0.37, 0.3), (0.34, 0.47), 4) + DIGIT_STROKES["5"][0][13:],
            ],
            2,
        ),
        (
            # A 0 whose loop is broken on both sides: a top and a bottom arc.
            "0 broken into two arcs",
            [
                [
                    (0.5 + 0.19 * np.cos(a), 0.5 + 0.3 * np.sin(a))
                    for a in np.linspace(-2.8, -0.34, 20)
                ],
                [
                    (0.5 + 0.19 * np.cos(a), 0.5 + 0.3 * np.sin(a))
                    for a in np.linspace(0.34, 2.8, 20)
                ],
            ],
            2,
        ),
        (
            "8 with a stray dot beside it",
            [*DIGIT_STROKES["8"], [(0.85, 0.5), (0.851, 0.5)]],
            2,
        ),
    ],
)
def test_pieces_of_one_digit_stay_one_digit(name, strokes, parts):
    image = canvas(strokes)
    assert piece_count(image) == parts, "the drawing has the pieces the case is about"
    assert len(pieces(image)) == 1


@pytest.mark.parametrize(
    "text, height, gap, width",
    [
        ("17", 240, 3, BRUSH),  # a 1 close beside a 7: the 7's bar does not swallow the 1
        ("71", 240, 3, BRUSH),
        ("11", 240, 2, BRUSH),  # two thin strokes, 2 px apart
        ("306", 100, 50, BRUSH),  # wide gaps
        ("2026", 85, 2, BRUSH),  # narrow gaps
        ("4567", 85, 4, BRUSH),  # the 4 (two strokes) and the 5 next to each other
        ("31415926", 40, 6, 8),  # eight digits, with a thinner pen to fit
    ],
)
def test_digits_side_by_side_are_cut_apart(text, height, gap, width):
    image = canvas(number_strokes(text, CANVAS, height, gap, width), width)
    cut = pieces(image)
    assert len(cut) == len(text)
    # Left to right, each a whole digit: its ink is as tall as the digits were drawn.
    for piece in cut:
        rows = np.nonzero((piece >= 0.5).any(axis=1))[0]
        assert rows.max() - rows.min() + 1 >= height
    lefts = [np.nonzero((p >= 0.5).any(axis=0))[0].min() for p in cut]
    assert lefts == sorted(lefts)


def test_each_piece_holds_only_its_own_digit():
    image = canvas(number_strokes("70", CANVAS, 200, 3, BRUSH))
    ink = ink_map(image)
    seven, zero = pieces(image)
    # The pieces' ink adds up to the whole drawing's: nothing lost, nothing counted twice.
    assert seven.sum() + zero.sum() == pytest.approx(ink.sum(), rel=1e-6)
