"""Read a whole number: split the ink into digits, read them all in one batch, rank the readings.

    reading = read_number(classifier, ink_map(image), top=3)
    reading.readings        # {"2026": 0.93, "2028": 0.04, "2726": 0.01}, most probable first

Each digit (segment.py) goes through the same MNIST recipe as a lone digit
(preprocess.ink_to_model_input), and all of them through the model in one
onnxruntime call. Drawings that are not a number of 2 to MAX_DIGITS digits (no ink,
one digit, more pieces than that) are left to the single-digit reading.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .classifier import DigitClassifier
from .preprocess import ink_to_model_input
from .segment import split_digits

# The most digits read as a number: a date or a phone number written without separators.
# More digits than this is more likely a scribble, and is read as one shape.
MAX_DIGITS = 8


@dataclass(frozen=True)
class NumberReading:
    """A drawing read as a number, digit by digit, left to right."""

    inputs: np.ndarray  # float32 (digits, size, size): what the model saw of each digit
    probabilities: np.ndarray  # (digits, labels): each digit's class probabilities
    readings: dict[str, float]  # the most probable readings of the whole number, best first


def read_number(classifier: DigitClassifier, ink: np.ndarray, top: int) -> NumberReading | None:
    """`ink` (preprocess.ink_map's) read as a number, with its `top` best readings.

    None unless the ink splits into 2 to MAX_DIGITS digits.
    """
    pieces = split_digits(ink)
    if not 2 <= len(pieces) <= MAX_DIGITS:
        return None
    contract = classifier.contract
    # Every piece holds solid ink (segment.py), so none comes back as None.
    inputs = np.stack(
        [ink_to_model_input(piece, contract.image_size, contract.digit_box) for piece in pieces]
    )
    probabilities = classifier.probabilities(inputs)  # one batch for the whole number
    readings = top_readings(probabilities, contract.labels, top)
    return NumberReading(inputs, probabilities, readings)


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
