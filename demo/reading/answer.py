"""What the page answers for a drawing or a photo: the scores, the answer in words, the
model's view and, for a number, a table of its digits.

    scores, answer, view, table = read_drawing(classifier, canvas)   # the Draw tab
    scores, answer, view, table = read_photo(classifier, photo)      # the Upload tab
    scores, answer, view = read_image(classifier, photo)             # the same, no table

`scores` are the class probabilities ({"7": 0.98, ...}), or for a number its most
probable readings ({"2026": 0.93, ...}), or a prompt ("Draw a digit") when there is
nothing to guess; `view` is the model input enlarged (uint8), or None.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from .canvas import BRUSH_RADIUS
from .classifier import DigitClassifier
from .number import read_number
from .preprocess import ink_map, ink_to_model_input

TOP_CLASSES = 3
VIEW_SCALE = 10  # "what the model sees": 28x28 shown as 280x280 blocks of pixels
# Ink smaller than two brush widths (in canvas pixels) is a tap, not a digit; see
# too_small_for_a_digit(). Ink is where ink_map() is over half strength.
MIN_DIGIT_EXTENT = 2 * (2 * BRUSH_RADIUS)
INK_LEVEL = 0.5
# A number's inputs are shown side by side, at the largest whole scale up to VIEW_SCALE
# that keeps the strip within STRIP_WIDTH px (the output column's width on a laptop),
# with a grey bar one model pixel wide between them, so the cuts show.
STRIP_WIDTH = 560
STRIP_GAP = 1
STRIP_GAP_LEVEL = 0.5

EMPTY_MESSAGE = "Draw a digit"
DOT_MESSAGE = "Too small for a digit: keep drawing"

Scores = dict[str, float] | str
# scores, the answer in words, the model's view
Answer = tuple[Scores, str, np.ndarray | None]
# the same, and the table of a number's digits ("" for one digit)
DrawingAnswer = tuple[Scores, str, np.ndarray | None, str]


def read_image(classifier: DigitClassifier, image: np.ndarray | Image.Image | None) -> Answer:
    """A decoded photo or drawing of a digit or a number: its scores, the answer, the view.

    read_photo() without the table of a number's digits. `image` is what
    preprocess.ink_map takes; None is an empty canvas, answered with EMPTY_MESSAGE and
    no view. A single digit is read as one shape, exactly as before numbers were read.
    """
    return read_photo(classifier, image)[:3]


def read_photo(
    classifier: DigitClassifier, image: np.ndarray | Image.Image | None
) -> DrawingAnswer:
    """The Upload tab's reading of a photo or scan: a digit, or a number of up to
    number.MAX_DIGITS digits, cut and read as the Draw tab reads a drawing.

    Returns what read_drawing() returns. There is no tap to catch in a photo: ink of
    any size is read. None is an empty canvas (EMPTY_MESSAGE, no view).
    """
    if image is None:
        return *read_input(classifier, None), ""
    return read_ink(classifier, ink_map(image))


def read_input(classifier: DigitClassifier, x: np.ndarray | None) -> Answer:
    """read_image() from the model input on; None is a drawing with no ink."""
    if x is None:
        return EMPTY_MESSAGE, EMPTY_MESSAGE, None
    contract = classifier.contract
    probabilities = classifier.probabilities(x[np.newaxis])[0]
    scores = dict(zip(contract.labels, probabilities.tolist(), strict=True))
    answer = verdict(scores, contract.confidence_threshold)
    return scores, answer, model_view(x[np.newaxis])


def read_drawing(classifier: DigitClassifier, drawing: np.ndarray | None) -> DrawingAnswer:
    """The Draw tab's reading of a drawing: a number of up to number.MAX_DIGITS digits.

    Returns what read_image() returns, then each digit's guesses as a Markdown table. A
    drawing of one digit is read exactly as read_image() reads it, with no table; a tap
    gets DOT_MESSAGE. For several digits, the scores are the most probable readings of
    the whole number ("2026"), the answer names it, and the view shows the digits'
    inputs side by side.
    """
    if drawing is None:
        return *read_input(classifier, None), ""
    ink = ink_map(drawing)
    if too_small_for_a_digit(ink):
        return DOT_MESSAGE, DOT_MESSAGE, None, ""
    return read_ink(classifier, ink)


def read_ink(classifier: DigitClassifier, ink: np.ndarray) -> DrawingAnswer:
    """An ink map (preprocess.ink_map's) read as a number, or as one digit when it does
    not read as 2 to number.MAX_DIGITS digits: what read_drawing() returns."""
    contract = classifier.contract
    number = read_number(classifier, ink, TOP_CLASSES)
    if number is None:  # no ink, one digit, or too many pieces for a number
        x = ink_to_model_input(ink, contract.image_size, contract.digit_box)
        return *read_input(classifier, x), ""
    threshold = contract.confidence_threshold
    # Sure when the whole reading is as likely as a sure digit: every digit right at
    # once, the product of the digits' probabilities (a number is cut into digits, and
    # pieces of a scribble can each look like a digit).
    sure = next(iter(number.readings.values())) >= threshold
    answer = number_verdict(number.readings, sure)
    table = digit_table(number.probabilities, contract.labels, threshold)
    return number.readings, answer, model_view(number.inputs), table


def too_small_for_a_digit(ink: np.ndarray) -> bool:
    """Whether a drawing's ink (from ink_map()) is too small to be a digit: a tap, not a stroke.

    A single tap leaves one dab of the brush, about 2 * BRUSH_RADIUS across. The model
    scales any ink up to MNIST's digit box, so a dot would come back as a guess (a 0 or
    a 9). A digit is drawn several brush widths tall; ink whose longer side is under
    MIN_DIGIT_EXTENT gets a prompt instead. The model's own "not sure" answer is separate.
    """
    rows, cols = np.nonzero(ink > INK_LEVEL)
    if rows.size == 0:
        return False  # no ink: the empty-canvas prompt, from read_input()
    extent = max(rows.max() - rows.min(), cols.max() - cols.min()) + 1
    return bool(extent < MIN_DIGIT_EXTENT)


def verdict(scores: dict[str, float], threshold: float) -> str:
    """The answer in words: the digit, or, below `threshold`, "not sure" and the two best guesses.

    The probabilities are calibrated, so the threshold means what it says: answers below
    it are wrong often enough that a flat answer would mislead.
    """
    best, second = sorted(scores, key=scores.__getitem__, reverse=True)[:2]
    if scores[best] >= threshold:
        return f"It's a {best}"
    return f"Not sure. Probably a {best}; could be a {second}"


def number_verdict(readings: dict[str, float], sure: bool) -> str:
    """The answer for a number: the best reading if sure; else the two best readings."""
    best, second = list(readings)[:2]
    if sure:
        return f"It's {best}"
    return f"Not sure. Probably {best}; could be {second}"


def digit_table(probabilities: np.ndarray, labels: tuple[str, ...], threshold: float) -> str:
    """A Markdown table of each digit's answer (see verdict) and top guesses, left to right."""
    rows = ["| Digit | Answer | Top guesses |", "| --- | --- | --- |"]
    for position, row in enumerate(probabilities, start=1):
        scores = dict(zip(labels, row.tolist(), strict=True))
        top = sorted(scores, key=scores.__getitem__, reverse=True)[:TOP_CLASSES]
        guesses = ", ".join(f"{label} ({scores[label]:.1%})" for label in top)
        rows.append(f"| {position} | {verdict(scores, threshold)} | {guesses} |")
    return "\n".join(rows)


def model_view(inputs: np.ndarray) -> np.ndarray:
    """Model inputs (N, size, size) in [0, 1] as one uint8 image with sharp, enlarged pixels.

    One input is shown at VIEW_SCALE; several side by side, as large as STRIP_WIDTH allows.
    """
    count, size, _ = inputs.shape
    width = count * size + (count - 1) * STRIP_GAP
    scale = VIEW_SCALE if count == 1 else max(1, min(VIEW_SCALE, STRIP_WIDTH // width))
    row = np.full((size, width), STRIP_GAP_LEVEL, dtype=np.float32)
    for i, x in enumerate(inputs):
        row[:, i * (size + STRIP_GAP) : i * (size + STRIP_GAP) + size] = x
    view = np.kron(row, np.ones((scale, scale), dtype=np.float32))  # sharp pixels
    return (view * 255).round().astype(np.uint8)


def reading_of(classifier: DigitClassifier, image: np.ndarray | None) -> dict:
    """What the API's /read (and the MCP tool) answers for an image: plain JSON values.

    The image is read as the Draw tab reads a drawing (a number of up to
    number.MAX_DIGITS digits, or one digit), but without the tap check, which is in
    canvas pixels and would misjudge a small photo or a 28x28 scan. Returns

        {"number": "2026" (None when there is no ink), "not_sure": bool,
         "answer": "It's 2026",
         "digits": [[{"digit": "2", "probability": 0.99}, {"digit": "7", ...}, ...], ...]}

    where each digit has its TOP_CLASSES best guesses with their calibrated
    probabilities, best first (a list: JSON objects with digits as keys lose their order
    in JavaScript), and `not_sure` is set when any digit is under the model's threshold.
    """
    ink = None if image is None else ink_map(image)
    contract = classifier.contract
    number = None if ink is None else read_number(classifier, ink, TOP_CLASSES)
    if number is not None:
        probabilities = number.probabilities
    else:
        x = (
            None
            if ink is None
            else ink_to_model_input(ink, contract.image_size, contract.digit_box)
        )
        if x is None:
            return {"number": None, "not_sure": True, "answer": EMPTY_MESSAGE, "digits": []}
        probabilities = classifier.probabilities(x[np.newaxis])
    digits = []
    for row in probabilities:
        top = np.argsort(row)[::-1][:TOP_CLASSES]
        digits.append(
            [{"digit": contract.labels[i], "probability": float(f"{row[i]:.3g}")} for i in top]
        )
    sure = bool((probabilities.max(axis=1) >= contract.confidence_threshold).all())
    if number is not None:
        best, answer = next(iter(number.readings)), number_verdict(number.readings, sure)
    else:
        scores = dict(zip(contract.labels, probabilities[0].tolist(), strict=True))
        best, answer = digits[0][0]["digit"], verdict(scores, contract.confidence_threshold)
    return {"number": best, "not_sure": not sure, "answer": answer, "digits": digits}
