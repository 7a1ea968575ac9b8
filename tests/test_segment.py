"""demo/reading/segment.py: connected components against a plain flood fill; pieces of
one digit kept together and digits apart kept apart (a 4 or a 7 in several strokes, a 5
with its bar apart, a broken 0, a 1 beside a 7, wide and narrow gaps, stray marks);
cuts through digits that touch, where each digit is among the candidates; the seams
against a brute-force search.

Drawings are made as the Sketchpad makes them: black strokes of the app's brush on its
white canvas, from demo/strokes.py's pen strokes.
"""

from __future__ import annotations

import itertools
from collections import deque

import numpy as np
import pytest

from demo.reading.canvas import BRUSH_RADIUS, CANVAS_HEIGHT, CANVAS_WIDTH
from demo.reading.preprocess import ink_map
from demo.reading.segment import (
    SEAM_STEP,
    Lattice,
    _seams,
    _trace,
    components,
    over_segment,
    paint,
)
from demo.strokes import DIGIT_STROKES, centred, number_strokes, render_strokes

CANVAS = (CANVAS_WIDTH, CANVAS_HEIGHT)
BRUSH = 2 * BRUSH_RADIUS  # px, the app's stroke width


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


def digit(strokes: list[list[tuple[float, float]]]) -> list[list[tuple[float, float]]]:
    """A digit's strokes (drawn in a unit square) in the middle of the canvas."""
    return centred(strokes, CANVAS)


def lattice(image: np.ndarray) -> Lattice:
    return over_segment(ink_map(image))


def line(a: tuple[float, float], b: tuple[float, float], n: int = 8) -> list[tuple[float, float]]:
    return [
        (a[0] + (b[0] - a[0]) * i / (n - 1), a[1] + (b[1] - a[1]) * i / (n - 1)) for i in range(n)
    ]


def piece_count(image: np.ndarray) -> int:
    """How many separate pieces of ink a drawing has (before any grouping)."""
    return len(components(ink_map(image) >= 0.5)[2])


def test_a_single_digit_is_a_candidate_with_the_whole_ink_untouched():
    # A 1 is too narrow for a cut; a 4 is wide enough to try (its parts are candidates).
    for name, cuts in (("1", False), ("4", True)):
        ink = ink_map(canvas(digit(DIGIT_STROKES[name])))
        found = over_segment(ink)
        assert len(found.segments) == 1 and (found.segments[0] > 1) == cuts
        whole = [p for p in found.pieces if (p.first, p.last) == (0, found.segments[0])]
        assert len(whole) == 1 and whole[0].ink is ink


def test_no_ink_is_no_digit():
    assert over_segment(np.zeros((CANVAS_HEIGHT, CANVAS_WIDTH), dtype=np.float32)).pieces == ()


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
    image = canvas(digit(strokes))
    assert piece_count(image) == parts, "the drawing has the pieces the case is about"
    assert len(lattice(image).segments) == 1  # one group: the candidates are its parts


@pytest.mark.parametrize(
    "text, height, gap, width",
    [
        ("17", 240, 3, BRUSH),  # a 1 close beside a 7: the 7's bar does not swallow the 1
        ("71", 240, 3, BRUSH),
        ("11", 240, 2, BRUSH),  # two thin strokes, 2 px apart
        ("306", 100, 50, BRUSH),  # wide gaps
        ("2026", 85, 2, BRUSH),  # narrow gaps
        ("4567", 85, 4, BRUSH),  # the 4 (two strokes) and the 5 next to each other
        ("31415926", 60, 6, 8),  # eight digits, with a thinner pen to fit
    ],
)
def test_digits_side_by_side_are_groups_apart(text, height, gap, width):
    image = canvas(number_strokes(text, CANVAS, height, gap, width), width)
    found = lattice(image)
    assert len(found.segments) == len(text)
    # Left to right, each group whole: its ink is as tall as the digits were drawn.
    wholes = [p for p in found.pieces if p.first == 0 and p.last == found.segments[p.group]]
    assert [p.group for p in wholes] == list(range(len(text)))
    assert all(p.height >= height for p in wholes)
    lefts = [p.box[2] for p in wholes]
    assert lefts == sorted(lefts)


def test_each_group_holds_only_its_own_digit():
    image = canvas(number_strokes("70", CANVAS, 200, 3, BRUSH))
    ink = ink_map(image)
    found = over_segment(ink)
    seven, zero = (p for p in found.pieces if p.first == 0 and p.last == found.segments[p.group])
    # The groups' ink adds up to the whole drawing's: nothing lost, nothing counted twice.
    assert seven.ink.sum() + zero.ink.sum() == pytest.approx(ink.sum(), rel=1e-6)


def digit_boxes(text: str, height: float, gap: float) -> list[tuple[int, int]]:
    """The columns (left, right) of each digit's ink when `text` is written as in
    test_touching_digits_are_among_the_candidates, each digit drawn alone."""
    strokes = number_strokes(text, CANVAS, height, gap, BRUSH)
    boxes, start = [], 0
    for d in text:
        count = len(DIGIT_STROKES[d])
        alone = canvas(strokes[start : start + count]) < 128
        start += count
        cols = np.flatnonzero(alone.any(axis=0))
        boxes.append((int(cols[0]), int(cols[-1]) + 1))
    return boxes


@pytest.mark.parametrize(
    "text, height, gap",
    [
        ("00", 160, -6),  # two loops that touch
        ("358", 160, -10),  # all three touch: one piece of ink
        ("204", 140, -6),
        ("4567", 110, -6),
        ("71", 200, -10),  # a 1 against the end of the 7's bar
    ],
)
def test_touching_digits_are_among_the_candidates(text, height, gap):
    """Digits whose inks overlap by part of a stroke: the cuts give each digit as a
    candidate, within a few px of where it was drawn (part of a stroke goes either way)."""
    image = canvas(number_strokes(text, CANVAS, height, gap, BRUSH))
    found = lattice(image)
    assert len(found.segments) < len(text), "the digits touch"
    near = BRUSH * 0.75
    for left, right in digit_boxes(text, height, gap):
        assert any(
            abs(p.box[2] - left) <= near and abs(p.box[3] - right) <= near for p in found.pieces
        ), (text, left, right, [p.box[2:] for p in found.pieces])


def path_cost(ink: np.ndarray, node: np.ndarray, path: list[int], leaving: bool) -> float:
    """What _seams says a seam costs: its pixels' `node`, SEAM_STEP per diagonal step, and
    the ink it enters going down (from paper above the top row), or leaves with `leaving`."""
    cost = float(node[0, path[0]]) + (0.0 if leaving else float(ink[0, path[0]]))
    for row in range(1, len(path)):
        change = ink[row, path[row]] - ink[row - 1, path[row - 1]]
        cost += float(node[row, path[row]]) + max(-change if leaving else change, 0.0)
        cost += SEAM_STEP * (path[row] != path[row - 1])
    return cost


def brute_force_seam(ink: np.ndarray, node: np.ndarray, end: int, leaving: bool) -> float:
    """The cheapest seam ending at column `end` of the last row, by trying every path."""
    rows, cols = ink.shape
    best = np.inf
    for steps in itertools.product((-1, 0, 1), repeat=rows - 1):
        path = [end]
        for step in steps:
            path.append(path[-1] + step)
        if all(0 <= col < cols for col in path):
            best = min(best, path_cost(ink, node, path[::-1], leaving))
    return best


@pytest.mark.parametrize("seed, leaving", [(0, False), (1, False), (2, True)])
def test_seams_are_the_cheapest_paths(seed, leaving):
    rng = np.random.default_rng(seed)
    ink = (rng.random((6, 7)) > 0.5).astype(np.float32) * rng.random((6, 7)).astype(np.float32)
    node = 0.1 * ink
    total, moves = _seams(ink, node, leaving)
    for end in range(ink.shape[1]):
        assert total[-1, end] == pytest.approx(brute_force_seam(ink, node, end, leaving), rel=1e-5)
        # The traced seam costs what the table says.
        path = _trace(moves, np.array([end]))[:, 0]
        assert np.abs(np.diff(path)).max(initial=0) <= 1
        assert path_cost(ink, node, path.tolist(), leaving) == pytest.approx(
            total[-1, end], rel=1e-5
        )
