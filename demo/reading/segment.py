"""Over-segment a drawing's ink into candidate digits, left to right (number.py reads
them and picks the best path through them).

    lattice = over_segment(ink_map(image))   # groups, their cuts, every candidate digit

A digit is one or more connected pieces of ink. A person draws a 4 or a 7 in two
strokes, a 5 with its top bar apart, a 0 whose loop does not quite close; MNIST has
broken strokes, and specks and dotted lines left over from the forms it was cut from.
So the pieces are found first (8-connected components of the solid ink), then grouped
by two rules, with the column gaps as the guide:

1. Pieces whose columns overlap by at least COLUMN_OVERLAP of the narrower one's width
   are one group: the two strokes of a 4 or of a broken 0 sit one above or inside the
   other, while digits written side by side leave a gap between their columns.
2. A group much shorter than the tallest one (a detached bar, a dot, a stray mark), or
   one with ink in only some of its rows (a dotted line), is not a digit of its own:
   it joins the group nearest to it across the columns.

Digits that touch are one group. So each group wide enough to hold two digits is cut
through its ink (_cuts: seams that cross few strokes, found at the thin places and the
valleys of the outline), and every run of up to MAX_SPAN consecutive segments between
the cuts is a candidate digit (LeCun et al. 1998, section VII: heuristic
over-segmentation). The model scores them all; number.py takes the best path.

numpy only: components are labelled run by run (each row's horizontal runs of ink,
joined to the runs they touch in the row above), which is fast enough on the canvas
that no image-processing library is needed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from .preprocess import stroke_width

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
# More groups than this is not a number (number.MAX_DIGITS is 8): no cuts are tried.
MAX_GROUPS = 8

# Cuts through touching digits (see _cuts).
SEAM_ROWS = 40  # seams are found on each group's ink reduced to this many rows
SEAM_STEP = 0.05  # a diagonal step's cost, against 1 for each stroke entered
INK_COST = 0.1  # per stroke width a seam runs inside ink
VALLEY_TOLERANCE = 0.05  # stroke widths: seam costs this close are one valley
MAX_CUT_STROKES = 3.0  # a cut crosses at most this many strokes
ANCHOR_ROWS = (0.3, 0.5, 0.7)  # of the group's height: the rows where cuts are sought
MIN_CUT_GAP = 0.08  # of the number's height (or a stroke width if wider): between cuts
MAX_CUTS = 12  # per group
HOLE_COST = 1.0  # added to a cut through a loop (a hole in the ink), in strokes
CUTS_PER_HEIGHT = 3.0  # a group gets at most this many cuts per number height of width
SPLIT_WIDTH = 0.7  # groups narrower than this share of the number's height are not cut
MAX_SPAN = 3  # a candidate digit is at most this many consecutive segments
MAX_PIECE_WIDTH = (
    1.4  # of the number's height: a wider candidate (not a whole group) is not a digit
)


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


@dataclass(frozen=True)
class Piece:
    """A candidate digit: segments first..last-1 of group `group`, its ink (cropped to the
    box of its solid ink, other digits' ink removed; a lone digit's is the whole drawing)
    and that box in the drawing: (top, bottom, left, right), bottom and right exclusive."""

    group: int
    first: int
    last: int  # exclusive
    ink: np.ndarray
    box: tuple[int, int, int, int]

    @property
    def height(self) -> int:
        return self.box[1] - self.box[0]

    @property
    def width(self) -> int:
        return self.box[3] - self.box[2]


@dataclass(frozen=True)
class Lattice:
    """The ways to read a drawing as digits: its groups (pieces of ink apart from each
    other by paper), left to right, each cut into `segments[g]` segments; candidate
    digits are runs of consecutive segments of one group. `crossed[g][k]` is the ink
    that group g's cut k crosses, in stroke widths; `height` is the tallest group's."""

    segments: tuple[int, ...]
    pieces: tuple[Piece, ...]
    crossed: tuple[tuple[float, ...], ...]
    height: int


def over_segment(ink: np.ndarray) -> Lattice:
    """The candidate digits of a drawing's ink, left to right (see the module doc).

    `ink` is preprocess.ink_map's float map (1.0 = ink). A group with no cut is one
    candidate; a drawing of one group and no cut is one candidate whose ink is `ink`
    itself, untouched, so that a single digit is read exactly as it would be alone.
    """
    if not ink.any():
        return Lattice((), (), (), 0)
    solid = ink >= SOLID_INK
    runs, component, groups = digit_groups(solid)
    if len(groups) > MAX_GROUPS or not groups:  # not a number, or no solid ink: one shape
        whole = Piece(0, 0, 1, ink, (0, ink.shape[0], 0, ink.shape[1]))
        return Lattice((1,), (whole,), ((),), ink.shape[0])
    labels = None
    if len(groups) > 1:
        group_of = np.zeros(component.max() + 1, dtype=np.int32)
        for g, group in enumerate(groups):
            group_of[group.components] = g + 1
        labels = paint(runs, group_of[component], ink.shape)
    height = max(group.height for group in groups)
    inks = []
    for g, group in enumerate(groups):
        box = (slice(group.top, group.bottom), slice(group.left, group.right))
        # Other groups' solid ink is removed; faint, unlabelled edges (0) stay.
        if labels is None:
            inks.append(ink[box])
        else:
            mine = labels[box]
            inks.append(ink[box] * ((mine == 0) | (mine == g + 1)))
    wide = [g for g, group in enumerate(groups) if group.width >= SPLIT_WIDTH * height]
    cuts = dict(zip(wide, _cuts([inks[g] for g in wide], height), strict=True))
    segments, pieces, crossed = [], [], []
    for g, (group, mine) in enumerate(zip(groups, inks, strict=True)):
        group_cuts, group_crossed = cuts.get(g, ([], []))
        whole = ink if len(groups) == 1 else mine
        segments.append(len(group_cuts) + 1)
        crossed.append(tuple(group_crossed))
        pieces += _pieces(g, (group.top, group.left), mine, whole, group_cuts, height)
    return Lattice(tuple(segments), tuple(pieces), tuple(crossed), height)


def _pieces(
    group: int,
    origin: tuple[int, int],
    ink: np.ndarray,
    whole: np.ndarray,
    cuts: list[np.ndarray],
    height: int,
) -> list[Piece]:
    """The candidate digits of one group (its ink's top left at `origin` in the drawing):
    runs of up to MAX_SPAN consecutive segments between its cuts, narrow and tall enough
    to be a digit; the whole group (`whole`) always."""
    count = len(cuts) + 1
    rows, cols = ink.shape
    y, x = origin
    pieces = [Piece(group, 0, count, whole, (y, y + rows, x, x + cols))]
    if not cuts:
        return pieces
    # Each pixel's segment: how many cuts lie left of it in its row (a step up at each
    # cut's column, summed along the row).
    steps = np.zeros((rows, cols + 1), dtype=np.int8)
    for cut in cuts:
        np.add.at(steps, (np.arange(rows), cut), 1)
    segment = np.cumsum(steps[:, :cols], axis=1, dtype=np.int8)
    # Where each segment has solid ink, by row and by column: a run's box is their union.
    ink_rows, ink_cols = np.nonzero(ink >= SOLID_INK)
    owner = segment[ink_rows, ink_cols]
    in_rows = np.zeros((count, rows), dtype=bool)
    in_cols = np.zeros((count, cols), dtype=bool)
    in_rows[owner, ink_rows] = True
    in_cols[owner, ink_cols] = True
    for first in range(count):
        for last in range(first + 1, min(count, first + MAX_SPAN) + 1):
            if (first, last) == (0, count):
                continue
            rows_inked = np.flatnonzero(in_rows[first:last].any(axis=0))
            cols_inked = np.flatnonzero(in_cols[first:last].any(axis=0))
            if rows_inked.size == 0:
                continue
            top, bottom = rows_inked[0], rows_inked[-1] + 1
            left, right = cols_inked[0], cols_inked[-1] + 1
            if right - left > MAX_PIECE_WIDTH * height:
                break  # wider still with more segments
            if bottom - top < MIN_DIGIT_HEIGHT * height:
                continue
            box = (slice(top, bottom), slice(left, right))
            within = segment[box]
            piece_ink = ink[box] * ((within >= first) & (within < last))
            placed = (y + top, y + bottom, x + left, x + right)
            pieces.append(Piece(group, first, last, piece_ink, placed))
    return pieces


def _cuts(inks: list[np.ndarray], height: int) -> list[tuple[list[np.ndarray], list[float]]]:
    """Cuts through each group's ink, left to right, and what each costs: the strokes it
    crosses. A cut is, for each row of its group's ink, the first column right of it.

    Each group's ink is reduced to SEAM_ROWS rows (keeping its proportions), and the
    groups are laid side by side, a wall between them, so that one pass finds the seams
    of all of them: the cheapest top-to-bottom path (each row's column at most one from
    the last row's) through every pixel, by one pass down and one pass up. A seam pays 1
    each time it enters a stroke, and INK_COST per stroke width it runs inside ink: where
    two digits touch along a stretch (two loops side by side), the cut runs down the
    contact and crosses one stroke, where a cut through a 0 crosses two. Along
    ANCHOR_ROWS, the valleys of their cost are the thin places, the dips of the outline
    and the paper between pieces. In each group, the cheapest seams that cross at most
    MAX_CUT_STROKES strokes are kept, MIN_CUT_GAP apart.
    """
    if not inks:
        return []
    smalls = [_reduce(ink, SEAM_ROWS) for ink in inks]
    strokes = [stroke_width(ink) for ink in inks]
    starts = np.cumsum([0] + [small.shape[1] + 1 for small in smalls])
    ink = np.zeros((SEAM_ROWS, starts[-1]), dtype=np.float32)
    node = np.full((SEAM_ROWS, starts[-1]), np.inf, dtype=np.float32)  # walls stay inf
    for full, small, stroke, start in zip(inks, smalls, strokes, starts, strict=False):
        # A reduced pixel of ink is this many stroke widths of ink along a seam.
        along = full.shape[0] / SEAM_ROWS / max(stroke, 1.0)
        ink[:, start : start + small.shape[1]] = small
        node[:, start : start + small.shape[1]] = INK_COST * along * small
    down_total, down_moves = _seams(ink, node, leaving=False)
    up_total, up_moves = _seams(ink[::-1], node[::-1], leaving=True)
    up_total, up_moves = up_total[::-1], up_moves[::-1]
    # The cheapest seam through each pixel: down to it plus up to it, less its own cost.
    with np.errstate(invalid="ignore"):
        through = down_total + up_total - node
    # The valleys along each anchor row, in every group at once; each traced up and down.
    seams: list[list[np.ndarray]] = [[] for _ in inks]
    costs: list[list[np.ndarray]] = [[] for _ in inks]
    for share in ANCHOR_ROWS:
        row = min(SEAM_ROWS - 1, int(share * SEAM_ROWS))
        found = []
        for g, (small, start) in enumerate(zip(smalls, starts, strict=False)):
            profile = through[row, start : start + small.shape[1]]  # strokes crossed
            valleys = _valleys(profile)
            found.append(valleys[profile[valleys] <= MAX_CUT_STROKES] + start)
            costs[g].append(through[row, found[-1]])
        ends = np.concatenate(found)
        traced = np.concatenate(
            [_trace(down_moves[: row + 1], ends)[:-1], _trace(up_moves[row:][::-1], ends)[::-1]]
        )
        taken = np.cumsum([0] + [len(valleys) for valleys in found])
        for g, start in enumerate(starts[:-1]):
            seams[g].append(traced[:, taken[g] : taken[g + 1]] - start)
    return [
        _group_cuts(full, small, stroke, height, np.concatenate(paths, 1), np.concatenate(cost))
        for full, small, stroke, paths, cost in zip(
            inks, smalls, strokes, seams, costs, strict=True
        )
    ]


def _group_cuts(
    ink: np.ndarray,
    small: np.ndarray,
    stroke: float,
    height: int,
    paths: np.ndarray,
    crossed: np.ndarray,
) -> tuple[list[np.ndarray], list[float]]:
    """One group's cuts (see _cuts), from its candidate seams: `paths` (SEAM_ROWS, n)
    columns of its reduced ink `small`, crossing `crossed` strokes each."""
    rows, cols = ink.shape
    width = small.shape[1]
    if stroke == 0.0 or not crossed.size:
        return [], []
    # A cut through a hole in the ink (paper enclosed by it) cuts a loop: a 0, the loops
    # of an 8, the top of a closed 4. Two digits touch where the paper around them meets.
    hole = _holes(small < SOLID_INK)
    if hole.any():
        looped = hole[np.arange(SEAM_ROWS)[:, np.newaxis], paths].any(axis=0)
        crossed = crossed + HOLE_COST * looped
    middles = (paths.mean(axis=0) + 0.5) * cols / width
    apart = max(MIN_CUT_GAP * height, stroke)
    most = min(MAX_CUTS, math.ceil(CUTS_PER_HEIGHT * cols / height))
    kept: list[int] = []
    for k in np.argsort(crossed, kind="stable"):
        if not stroke <= middles[k] <= cols - stroke:
            continue  # no ink left on one side
        if all(abs(middles[k] - middles[other]) >= apart for other in kept):
            kept.append(int(k))
            if len(kept) == most:
                break
    kept.sort(key=lambda k: middles[k])
    # Full-resolution columns: each row's reduced row, at the middle of its column.
    scale = rows / SEAM_ROWS  # px of the group per reduced row (and column)
    reduced_row = np.minimum((np.arange(rows) / scale).astype(np.int64), SEAM_ROWS - 1)
    full = np.round((paths[reduced_row][:, kept] + 0.5) * cols / width).astype(np.int64)
    full = np.maximum.accumulate(np.clip(full, 0, cols), axis=1)  # cuts never cross
    return [full[:, i] for i in range(len(kept))], [float(crossed[k]) for k in kept]


def _holes(paper: np.ndarray) -> np.ndarray:
    """Where `paper` (a boolean map: True where there is no solid ink) is enclosed by ink:
    the paper not connected to the map's border."""
    framed = np.pad(paper, 1, constant_values=True)
    runs, component, _ = components(framed)
    outside = component[0]  # the first run is the top border's
    enclosed = (component != outside).astype(np.int32)
    return paint(runs, enclosed, framed.shape)[1:-1, 1:-1] > 0


def _reduce(ink: np.ndarray, rows: int) -> np.ndarray:
    """`ink` resized to `rows` rows, its proportions kept: each pixel the mean of its area."""
    cols = max(1, round(ink.shape[1] * rows / ink.shape[0]))
    resized = Image.fromarray(ink.astype(np.float32)).resize((cols, rows), Image.Resampling.BOX)
    return np.asarray(resized, dtype=np.float32)


def _seams(ink: np.ndarray, node: np.ndarray, leaving: bool) -> tuple[np.ndarray, np.ndarray]:
    """For every pixel, the cost of the cheapest seam from the top row down to it, and
    its step (-1, 0, 1: the column it came from in the row above, relative to its own).

    A seam pays `node` at each pixel, SEAM_STEP for a diagonal step, and for each step
    the ink it enters (`ink`'s rise from the pixel before), or with `leaving` the ink it
    leaves (its fall): the pass up from the bottom counts, as the pass down does, the
    strokes that a seam going down would enter. Entering the top row counts as entering
    from paper.
    """
    rows, cols = ink.shape
    # What each step costs besides the pixel's own: from the column to the left, above,
    # to the right. Known before the pass, so it is computed for all rows at once.
    before = np.pad(ink[:-1], ((0, 0), (1, 1)))  # the row above, with paper at its ends
    steps = []
    for shift, extra in ((0, SEAM_STEP), (1, 0.0), (2, SEAM_STEP)):
        change = ink[1:] - before[:, shift : shift + cols]
        steps.append(np.maximum(-change if leaving else change, 0.0) + extra)
    total = np.empty((rows, cols), dtype=np.float64)
    total[0] = node[0] + (0.0 if leaving else ink[0])
    moves = np.zeros((rows, cols), dtype=np.int8)
    previous = np.full(cols + 2, np.inf)
    from_left, from_above, from_right = steps
    for row in range(1, rows):
        previous[1:-1] = total[row - 1]
        left = previous[:-2] + from_left[row - 1]
        straight = previous[1:-1] + from_above[row - 1]
        right = previous[2:] + from_right[row - 1]
        best = np.minimum(straight, np.minimum(left, right))
        # Ties go straight, then left.
        moves[row] = np.where(straight <= best, 0, np.where(left <= best, -1, 1))
        total[row] = node[row] + best
    return total, moves


def _trace(moves: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The seams ending at columns `ends`: (rows, len(ends)) columns, top to bottom."""
    path = np.empty((moves.shape[0], len(ends)), dtype=np.int64)
    column = ends.copy()
    for row in range(moves.shape[0] - 1, -1, -1):
        path[row] = column
        column = column + moves[row, column]
    return path


def _valleys(profile: np.ndarray) -> np.ndarray:
    """The middle of each valley of `profile`: a run of points whose steps are at most
    VALLEY_TOLERANCE, entered going down (or at the start) and left going up (or at the
    end)."""
    steps = np.diff(profile)
    flat = np.abs(steps) <= VALLEY_TOLERANCE
    starts = np.flatnonzero(np.concatenate([[True], ~flat]))  # first points of runs
    ends = np.flatnonzero(np.concatenate([~flat, [True]]))  # their last points
    into = np.concatenate([[-1.0], steps])[starts]  # the step into each run (start: down)
    out = np.concatenate([steps, [1.0]])[ends]  # the step out of it (end: up)
    return (starts + ends)[(into < 0) & (out > 0)] // 2


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
