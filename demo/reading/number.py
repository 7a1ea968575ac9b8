"""Read a whole number: cut the ink into candidate digits, read them all in one batch,
take the best path through the cuts, rank the readings.

    reading = read_number(classifier, ink_map(image), top=3)
    reading.readings        # {"2026": 0.93, "2028": 0.04, "2726": 0.01}, most probable first

Recognition-driven segmentation (LeCun et al. 1998, sections VII-VIII: heuristic
over-segmentation, then the recognizer scores every candidate and a path search picks
the segmentation). segment.py proposes the candidates: the pieces of ink apart from
each other by paper, and within each piece the cuts through touching digits. Every
candidate goes through the same MNIST recipe as a lone digit
(preprocess.ink_to_model_input), and all of them through the model in one onnxruntime
call. Each candidate then costs

    -log p(its best class) + DIGIT_COST + WIDE_COST * max(0, width / height - WIDEST)

where p are the model's calibrated probabilities and height is the number's; each cut
a path goes through adds CUT_COST per stroke width of ink it crosses. The path of least
cost through each piece's cuts (dynamic programming over the cuts, left to right) is
the reading. A model that says "not sure" to a half digit or to two digits joined (the
outliers of lenet/outliers.py) makes the first term decide; the width and cut terms
keep a model that does not from reading two touching digits as one.

Drawings that are not a number of 2 to MAX_DIGITS digits (no ink, one digit, more
pieces than that) are left to the single-digit reading.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .classifier import DigitClassifier
from .preprocess import ink_to_model_input
from .segment import Lattice, over_segment

# The most digits read as a number: a date or a phone number written without separators.
# More digits than this is more likely a scribble, and is read as one shape.
MAX_DIGITS = 8

# The path's costs, in nats (natural log units of the model's probabilities). Chosen on
# development numbers only: lenet/drawn.py's pen-stroke digits written with the app's
# brush, and MNIST *training* digits composed touching (tests/support/numbers.py's
# development sets); never on the pen set or MNIST's test digits that the benchmarks
# report.
DIGIT_COST = 0.2  # each digit read: a path of more digits must be that much likelier
WIDEST = 0.7  # of the number's height: a digit wider than this ...
WIDE_COST = 1.0  # ... costs this much per height of extra width
CUT_COST = 0.2  # per stroke a cut crosses ...
CUT_FREE = 0.8  # ... beyond this many
# A probability is never taken as less than this: one unreadable candidate costs at
# most -log(PROBABILITY_FLOOR), however sure the model is that it is no digit.
PROBABILITY_FLOOR = 1e-4


@dataclass(frozen=True)
class NumberReading:
    """A drawing read as a number, digit by digit, left to right."""

    inputs: np.ndarray  # float32 (digits, size, size): what the model saw of each digit
    probabilities: np.ndarray  # (digits, labels): each digit's class probabilities
    # The most probable readings of the whole number, best first: each the chance that
    # the cutting is right (`cutting`) times the chance that every digit is.
    readings: dict[str, float]
    cutting: float  # the chosen cutting's share of all the ways to cut (see best_path)


def read_number(classifier: DigitClassifier, ink: np.ndarray, top: int) -> NumberReading | None:
    """`ink` (preprocess.ink_map's) read as a number, with its `top` best readings.

    None unless the best path reads 2 to MAX_DIGITS digits.
    """
    lattice = over_segment(ink)
    if len(lattice.pieces) < 2 or len(lattice.segments) > MAX_DIGITS:
        return None
    contract = classifier.contract
    inputs = [
        ink_to_model_input(p.ink, contract.image_size, contract.digit_box) for p in lattice.pieces
    ]
    # Every candidate holds solid ink (segment.py), so none comes back as None.
    batch = np.stack(inputs)
    probabilities = classifier.probabilities(batch)  # one call for every candidate
    path, share = best_path(lattice, piece_costs(lattice, probabilities))
    if not 2 <= len(path) <= MAX_DIGITS:
        return None
    chosen = probabilities[path]
    # A reading is right when the cutting is and every digit is.
    readings = {text: share * p for text, p in top_readings(chosen, contract.labels, top).items()}
    return NumberReading(batch[path], chosen, readings, share)


def piece_costs(lattice: Lattice, probabilities: np.ndarray) -> np.ndarray:
    """Each candidate digit's cost (see the module doc): its reading, the digit, its width."""
    best = np.maximum(probabilities.max(axis=1), PROBABILITY_FLOOR)
    widths = np.array([piece.width for piece in lattice.pieces], dtype=np.float64)
    wide = np.maximum(0.0, widths / lattice.height - WIDEST)
    return -np.log(best) + DIGIT_COST + WIDE_COST * wide


def best_path(lattice: Lattice, costs: np.ndarray) -> tuple[list[int], float]:
    """The candidates, left to right, of the cheapest way to read every group (within
    each group, a run of candidates from its first segment to its last, each cut between
    two of them adding cut_cost), and how likely that way is among all of them.

    The costs are nats, so each path's weight is exp(-cost); the path's share of the sum
    over all paths (LeCun et al.'s forward algorithm: a log-sum-exp where the best path
    takes a minimum) says whether the cutting was clear or a near thing.
    """
    by_group: dict[int, list[int]] = {}
    for index, piece in enumerate(lattice.pieces):
        by_group.setdefault(piece.group, []).append(index)
    path: list[int] = []
    log_share = 0.0
    for group, count in enumerate(lattice.segments):
        # cheapest[k]: the cost of reading segments 0..k-1; came[k]: the last candidate;
        # every[k]: -log of the summed weight of every way to read them.
        cheapest = [0.0] + [math.inf] * count
        every = [0.0] + [math.inf] * count
        came = [-1] * (count + 1)
        ending = sorted(by_group.get(group, []), key=lambda i: lattice.pieces[i].last)
        for index in ending:
            piece = lattice.pieces[index]
            cut = cut_cost(lattice.crossed[group][piece.first - 1]) if piece.first else 0.0
            step = cut + costs[index]
            if cheapest[piece.first] + step < cheapest[piece.last]:
                cheapest[piece.last], came[piece.last] = cheapest[piece.first] + step, index
            every[piece.last] = -np.logaddexp(-every[piece.last], -(every[piece.first] + step))
        chosen, end = [], count
        while end > 0:
            chosen.append(came[end])
            end = lattice.pieces[came[end]].first
        path += chosen[::-1]
        log_share += every[count] - cheapest[count]
    return path, math.exp(log_share)


def cut_cost(crossed: float) -> float:
    """What a cut through `crossed` strokes costs a path: each stroke past the one where
    two touching digits meet (CUT_FREE); a cut through a loop crosses two."""
    return CUT_COST * max(0.0, crossed - CUT_FREE)


def top_readings(probabilities: np.ndarray, labels: tuple[str, ...], top: int) -> dict[str, float]:
    """The `top` most probable strings, each row of `probabilities` read as one digit.

    A beam of `top` prefixes, each extended by its digit's `top` best labels, is exact:
    a prefix outside the beam already has `top` better prefixes, and each of those
    with the same ending beats it.
    """
    beam = [("", 1.0)]
    for row in probabilities:
        best = np.argsort(row)[::-1][:top]
        extended = [(text + labels[i], p * float(row[i])) for text, p in beam for i in best]
        beam = sorted(extended, key=lambda item: item[1], reverse=True)[:top]
    return dict(beam)
