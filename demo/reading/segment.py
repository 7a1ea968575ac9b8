"""Split a drawing's ink into the digits of a number, left to right.

    pieces = split_digits(ink_map(image))   # each digit's ink, left to right

A digit is one or more connected pieces of ink. A person draws a 4 or a 7 in two
strokes, a 5 with its top bar apart, a 0 whose loop does not quite close; MNIST has
broken strokes, and specks and dotted lines left over from the forms it was cut from.
So the pieces are found first (8-connected components of the solid ink), then grouped
into digits by two rules, with the column gaps as the guide:

1. Pieces whose columns overlap by at least COLUMN_OVERLAP of the narrower one's width
   are one digit: the two strokes of a 4 or of a broken 0 sit one above or inside the
   other, while digits written side by side leave a gap between their columns.
2. A group much shorter than the tallest one (a detached bar, a dot, a stray mark), or
   one with ink in only some of its rows (a dotted line), is not a digit of its own:
   it joins the digit nearest to it across the columns.

Digits that touch are one piece, and so are read as one shape (see demo/README.md's
limitations and the touching rows of bench/read_numbers.py). Geometry alone decides:
asking the model whether two pieces read better together was tried, and a model that
reads two digits as one confident digit merges far more numbers than it mends.

numpy only: components are labelled run by run (each row's horizontal runs of ink,
joined to the runs they touch in the row above), which is fast enough on a 400 px
canvas that no image-processing library is needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Pixels at least this inky are what connects pieces. The faint edge of an
# anti-aliased stroke is left out of the connections, so that it cannot bridge a
# narrow gap between two digits; it stays in the digit's ink.
SOLID_INK = 0.5

# The thresholds below were chosen on MNIST test digits composed into numbers
# (bench/read_numbers.py), with pieces known to belong to one digit or to two.
# Rule 1: columns overlapping by this share of the narrower piece make one digit. 0.3
# mends more broken MNIST digits than 0.5 and still keeps apart 98.5% of digits whose
# boxes overlap but whose ink does not touch (a 7's bar over the next digit).
COLUMN_OVERLAP = 0.3
# Rule 2: a group shorter than this share of the tallest is part of a digit, not one of
# its own. Within a number people keep digits of about one height; a 5's or a 7's bar
# drawn apart is a stroke's width tall. The shortest whole MNIST digit is 0.42 of the
# tallest in a composed number.
MIN_DIGIT_HEIGHT = 0.4
# Rule 2: a group with ink in fewer than this share of its rows is a dotted line or
# specks stacked by rule 1. Every single piece has ink in all its rows; of whole MNIST
# digits in composed numbers, 3 in 12,000 fall under 0.6, against 20 of 37 fragments.
MIN_ROW_COVERAGE = 0.6

# More pieces than this is not handwriting: speckle, a texture. No grouping is tried.
MAX_PIECES = 64


@dataclass(frozen=True)
class Runs:
    """Horizontal runs of a mask, in reading order: run i covers row rows[i], starts[i]:ends[i]."""

    rows: np.ndarray
    starts: np.ndarray
    ends: np.ndarray


@dataclass
class Group:
    """A set of connected components and the bounding box of their solid ink."""

    components: list[int]
    top: int
    bottom: int  # exclusive
    left: int
    right: int  # exclusive

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return self.right - self.left

    def absorb(self, other: Group) -> None:
        """Add `other`'s components to this group and grow the box around them."""
        self.components += other.components
        self.top, self.bottom = min(self.top, other.top), max(self.bottom, other.bottom)
        self.left, self.right = min(self.left, other.left), max(self.right, other.right)

    def column_gap(self, other: Group) -> int:
        """Columns between the two boxes; 0 when their columns overlap."""
        return max(0, max(self.left, other.left) - min(self.right, other.right))

    def column_overlap(self, other: Group) -> float:
        """Shared columns as a share of the narrower group's width."""
        shared = min(self.right, other.right) - max(self.left, other.left)
        return max(0, shared) / min(self.width, other.width)


def split_digits(ink: np.ndarray) -> list[np.ndarray]:
    """The ink of each digit, left to right, each cropped to its box (other digits' ink removed).

    `ink` is preprocess.ink_map's float map (1.0 = ink). One digit comes back as `ink`
    itself, untouched, so a single digit is read exactly as it would be alone. No ink
    at all gives an empty list; ink too faint to be solid anywhere is one "digit".
    """
    if not ink.any():
        return []
    runs, component, groups = digit_groups(ink >= SOLID_INK)
    if len(groups) <= 1:
        return [ink]
    group_of = np.zeros(component.max() + 1, dtype=np.int32)
    for g, group in enumerate(groups):
        group_of[group.components] = g + 1
    labels = paint(runs, group_of[component], ink.shape)
    pieces = []
    for g, group in enumerate(groups):
        box = (slice(group.top, group.bottom), slice(group.left, group.right))
        # Other digits' solid ink is removed; faint, unlabelled edges (0) stay.
        mine = np.isin(labels[box], (0, g + 1))
        pieces.append(ink[box] * mine)
    return pieces


def digit_groups(solid: np.ndarray) -> tuple[Runs, np.ndarray, list[Group]]:
    """The runs of a boolean mask, each run's component, and the digits, left to right.

    With more than MAX_PIECES components, all ink is one group.
    """
    runs, component, boxes = components(solid)
    groups = [Group([c], *box) for c, box in enumerate(boxes)]
    if len(groups) > MAX_PIECES:
        whole = groups[0]
        for group in groups[1:]:
            whole.absorb(group)
        return runs, component, [whole]
    if groups:
        groups = _merge_overlapping(groups)
        coverage = [
            len(np.unique(runs.rows[np.isin(component, g.components)])) / g.height for g in groups
        ]
        groups = _attach_small(groups, coverage)
    return runs, component, sorted(groups, key=lambda g: (g.left + g.right) / 2)


def _merge_overlapping(groups: list[Group]) -> list[Group]:
    """Rule 1: merge groups whose columns overlap enough, until no two do."""
    merged = True
    while merged:
        merged = False
        groups.sort(key=lambda g: g.left)
        for i, a in enumerate(groups):
            for b in groups[i + 1 :]:
                if b.left >= a.right:  # sorted by left edge: no later group overlaps a
                    break
                if a.column_overlap(b) >= COLUMN_OVERLAP:
                    a.absorb(b)
                    groups.remove(b)
                    merged = True
                    break
            if merged:
                break
    return groups


def _attach_small(groups: list[Group], coverage: list[float]) -> list[Group]:
    """Rule 2: groups too short to be a digit, or too sparse (`coverage`: the share of
    their rows with ink), join the nearest digit across the columns."""
    tallest = max(g.height for g in groups)
    is_digit = [
        g.height >= MIN_DIGIT_HEIGHT * tallest and rows >= MIN_ROW_COVERAGE
        for g, rows in zip(groups, coverage, strict=True)
    ]
    digits = [g for g, keep in zip(groups, is_digit, strict=True) if keep]
    if not digits:  # nothing digit-like: all of it is one shape
        digits = [groups.pop(0)]
        is_digit = [False] * len(groups)
    for small in (g for g, keep in zip(groups, is_digit, strict=True) if not keep):
        # Nearest by column gap; among overlapping ones, the one whose middle is nearest.
        nearest = min(
            digits,
            key=lambda d: (
                d.column_gap(small),
                abs((d.left + d.right) - (small.left + small.right)),
            ),
        )
        nearest.absorb(small)
    return digits


def components(mask: np.ndarray) -> tuple[Runs, np.ndarray, list[tuple[int, int, int, int]]]:
    """8-connected components of a boolean mask: its runs, each run's component, their boxes.

    Components are numbered 0, 1, ... in reading order of their first pixel; boxes are
    (top, bottom, left, right), bottom and right exclusive.
    """
    height, width = mask.shape
    runs = _runs(mask)
    if len(runs.rows) == 0:
        return runs, np.zeros(0, dtype=np.int64), []
    root = _connect(*_touching_runs(runs, width), len(runs.rows))
    # Each root is its component's first run, so sorted roots number them in reading order.
    roots, component = np.unique(root, return_inverse=True)
    count = len(roots)
    top, bottom = np.full(count, height), np.zeros(count, dtype=np.int64)
    left, right = np.full(count, width), np.zeros(count, dtype=np.int64)
    np.minimum.at(top, component, runs.rows)
    np.maximum.at(bottom, component, runs.rows + 1)
    np.minimum.at(left, component, runs.starts)
    np.maximum.at(right, component, runs.ends)
    boxes = [tuple(int(edge) for edge in box) for box in zip(top, bottom, left, right, strict=True)]
    return runs, component, boxes


def paint(runs: Runs, values: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """An int32 image of `shape`: each run's pixels set to its value, 0 elsewhere.

    Each run adds its value at its start and takes it away just past its end; a running
    sum along each row fills the runs in. Runs in a row never share an edge pixel.
    """
    steps = np.zeros((shape[0], shape[1] + 1), dtype=np.int32)
    steps[runs.rows, runs.starts] = values
    steps[runs.rows, runs.ends] = -values
    return np.cumsum(steps, axis=1, dtype=np.int32)[:, :-1]


def _runs(mask: np.ndarray) -> Runs:
    """Each row's horizontal runs of True."""
    stride = mask.shape[1] + 2
    padded = np.zeros((mask.shape[0], stride), dtype=bool)
    padded[:, 1:-1] = mask
    flat = padded.ravel()
    # The False columns on both sides keep runs from wrapping onto the next row, so the
    # changes alternate: a run's first pixel, then the first pixel past its end.
    changes = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    rows, starts = np.divmod(changes[0::2], stride)
    ends = changes[1::2] - rows * stride
    return Runs(rows, starts - 1, ends - 1)  # in the mask's columns, without the padding


def _touching_runs(runs: Runs, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of run indices (below, above) in adjacent rows that touch, diagonals included.

    A run [s, e) in row r + 1 touches a run [s', e') in row r when e' >= s and s' <= e.
    Runs are in reading order, so those are a contiguous range of row r's runs, found
    by binary search on keys that put rows in order: row * stride + column.
    """
    rows, starts, ends = runs.rows, runs.starts, runs.ends
    stride = width + 2
    start_keys = rows * stride + starts
    end_keys = rows * stride + ends
    above = (rows - 1) * stride
    first = np.searchsorted(end_keys, above + starts, side="left")
    last = np.searchsorted(start_keys, above + ends, side="right")
    counts = np.maximum(last - first, 0)
    below = np.repeat(np.arange(len(rows)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return below, np.repeat(first, counts) + offsets


def _connect(a: np.ndarray, b: np.ndarray, count: int) -> np.ndarray:
    """The root of each of `count` nodes after joining every edge (a[i], b[i]).

    Union-find done in bulk: each round hooks the larger root of every edge under the
    smaller one, then compresses paths until every node points at a root. Rounds
    continue until each edge's ends share a root; a handful suffice for drawings.
    """
    parent = np.arange(count)
    while True:
        pa, pb = parent[a], parent[b]
        apart = pa != pb
        if not apart.any():
            return parent
        np.minimum.at(parent, np.maximum(pa, pb)[apart], np.minimum(pa, pb)[apart])
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
