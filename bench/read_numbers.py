"""Whole numbers through the demo: pen numbers written as people write them, and MNIST
test digits composed side by side, on its canvas.

    python -m bench.read_numbers --data-dir ../shared/mnist               # 1,000 per row
    python -m bench.read_numbers --data-dir ../shared/mnist --numbers 200
    python -m bench.read_numbers --development --numbers 100              # the tuning rows

Numbers of 2 to 6 digits of one writer from the pen set, written with the app's brush
on its canvas, apart and close (touching allowed); then numbers of 2 to 6 MNIST *test*
digits, 3-digit numbers whose digits overlap, and the same digits drawn alone
(tests/support/numbers.py); each read by the Draw tab's own code (read_drawing). Then
the server's work for a 6-digit pen number written close (PNG decode, reading,
model-view PNG), one thread. `--development` prints instead the rows the segmentation's
settings were chosen on: lenet/drawn.py's pen-stroke digits written the same way, and
MNIST *training* digits composed and touching.
"""

from __future__ import annotations

import io
import time

import numpy as np
from PIL import Image

from bench import harness
from demo.reading import DigitClassifier, read_drawing
from lenet.cli import die
from lenet.mnist_files import DataError, read_split
from tests.support.numbers import (
    LENGTHS,
    OVERLAPS,
    SPACINGS,
    TARGET_DIGIT_DROP,
    TARGET_EXACT,
    TARGET_PEN_APART_DIGIT,
    TARGET_PEN_CLOSE,
    TARGET_TOUCHING_EXACT,
    Row,
    compose,
    drawn_numbers,
    evaluate_numbers,
    evaluate_pen,
    pen_numbers,
    read,
)
from tests.support.pen import DEFAULT_PEN, load_pen

TIMED_LENGTH = 6
TIMED_ROUNDS = 300
TARGET_P50_MS = 20.0  # server work for a 6-digit number
TOUCHING = "touching: 3 digits, inks touch"
TRAINED_ON = 55_000  # the training images the model learns from; the rest calibrate it


def row_cells(row: Row) -> list[str]:
    """How many, read exactly, the right digit count, per digit, per digit where the count
    is right (the model's share of the errors), inks touching."""
    return [
        str(row.numbers),
        harness.percent(row.exact, row.numbers),
        harness.percent(row.count_right, row.numbers),
        f"{100 * row.digit_accuracy:.2f}%",
        f"{100 * row.counted_accuracy:.2f}%",
        harness.percent(row.touching, row.numbers, 0),
    ]


COLUMNS = ["n", "exact", "count right", "per digit", "per digit, count right", "inks touch"]


def pen_table(rows: dict[tuple[str, int], Row], title: str) -> harness.Table:
    """Pen numbers by spacing and length, with issue 19's targets flagged."""
    table = harness.Table(title, ["numbers", *COLUMNS])
    for (spacing, length), row in rows.items():
        flags = []
        if spacing == "apart" and row.digit_accuracy < TARGET_PEN_APART_DIGIT:
            flags.append(f"per digit under the {TARGET_PEN_APART_DIGIT:.0%} target")
        if spacing == "close" and length == 3:
            if row.digit_accuracy < TARGET_PEN_CLOSE["per digit"]:
                flags.append(f"per digit under the {TARGET_PEN_CLOSE['per digit']:.0%} target")
            if row.exact / row.numbers < TARGET_PEN_CLOSE["exact"]:
                flags.append(f"exact under the {TARGET_PEN_CLOSE['exact']:.0%} target")
        table.add(f"{spacing}, {length} digits", *row_cells(row), *flags)
    return table


def number_table(rows: dict[str, Row], title: str) -> harness.Table:
    """Each kind of MNIST number, with the targets flagged."""
    single = rows["single digits"].digit_accuracy
    table = harness.Table(title, ["numbers", *COLUMNS])
    for name, row in rows.items():
        flags = []
        length = int(name[0]) if name[0].isdigit() else None
        if length in TARGET_EXACT and row.exact / row.numbers < TARGET_EXACT[length]:
            flags.append(f"under the {TARGET_EXACT[length]:.1%} target")
        if name == TOUCHING and row.numbers and row.exact / row.numbers < TARGET_TOUCHING_EXACT:
            flags.append(f"under the {TARGET_TOUCHING_EXACT:.0%} target")
        if name == "all" and row.digit_accuracy < single - TARGET_DIGIT_DROP:
            flags.append("per digit: over 0.5 points under single digits")
        table.add(name, *row_cells(row), *flags)
    return table


def server_work(classifier: DigitClassifier, pngs: list[bytes], title: str) -> harness.Table:
    """p50 and p99 of each stage for each drawing in `pngs`, as served: the canvas arrives
    as a PNG (the Sketchpad's composite); the model view leaves as one."""
    stages: dict[str, list[float]] = {"decode PNG": [], "read": [], "view PNG": []}
    warm_up = 20
    for i, png in enumerate([*pngs[:warm_up], *pngs]):
        t0 = time.perf_counter()
        canvas = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))
        t1 = time.perf_counter()
        _scores, _answer, view, _table = read_drawing(classifier, canvas)
        t2 = time.perf_counter()
        Image.fromarray(view).save(io.BytesIO(), format="png")
        t3 = time.perf_counter()
        if i >= warm_up:
            for name, seconds in zip(stages, (t1 - t0, t2 - t1, t3 - t2), strict=True):
                stages[name].append(seconds)
    stages["total"] = [sum(parts) for parts in zip(*stages.values(), strict=True)]
    table = harness.Table(title, ["stage", "p50 ms", "p99 ms"])
    for name, samples in stages.items():
        p50, p99 = harness.p50_p99_ms(samples)
        over = name == "total" and p50 > TARGET_P50_MS
        table.add(
            name, f"{p50:.2f}", f"{p99:.2f}", *([f"over the {TARGET_P50_MS:g} ms target"] * over)
        )
    return table


def png(canvas: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(canvas).save(buffer, format="png")
    return buffer.getvalue()


def development(classifier: DigitClassifier, data_dir, per_row: int, seed: int) -> None:
    """The rows the segmentation's settings were chosen on (never the pen set, never
    MNIST's test digits)."""
    rows = {}
    for spacing in SPACINGS:
        for length in LENGTHS:
            row = rows[spacing, length] = Row()
            for number in drawn_numbers(length, per_row, spacing, seed):
                row.add(number.text, read(classifier, number.canvas), number.touching)
    try:
        images, labels = read_split(data_dir, train=True)
        images, labels = images[:TRAINED_ON], labels[:TRAINED_ON]
    except DataError as error:
        die(f"{error}; pass --data-dir pointing at a folder that holds MNIST/raw")
    rng = np.random.default_rng(seed)
    touching = Row()
    while touching.numbers < per_row:
        indices = rng.choice(len(images), size=3, replace=False).tolist()
        number = compose(images, labels, indices, rng, gaps=OVERLAPS)
        if number.touching:
            touching.add(number.text, read(classifier, number.canvas), True)
    table = pen_table(rows, "development: lenet/drawn.py's digits written with the app's brush")
    table.rows = [row[: len(table.columns)] for row in table.rows]  # no targets here
    mnist = harness.Table("development: MNIST training digits, 3, inks touch", COLUMNS)
    mnist.add(*row_cells(touching))
    harness.show(table, mnist)


def main() -> None:
    parser = harness.parser(__doc__, "data_dir", "model", "seed", "numbers")
    parser.add_argument(
        "--development", action="store_true", help="the rows the settings were chosen on"
    )
    args = parser.parse_args()
    classifier = harness.load_classifier(args.model)
    print(f"{args.model.name}: {classifier.describe()}")
    if args.development:
        development(classifier, args.data_dir, args.numbers, args.seed)
        return
    if not DEFAULT_PEN.is_file():
        die(f"no pen set at {DEFAULT_PEN}")
    images, labels = harness.mnist_test(args.data_dir)
    digits = load_pen(DEFAULT_PEN)
    started = time.perf_counter()
    pens = evaluate_pen(classifier, digits, args.numbers, args.seed)
    print(f"{args.numbers * len(pens):,} pen numbers in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    rows = evaluate_numbers(classifier, images, labels, args.numbers, args.seed)
    drawings = sum(row.numbers for row in rows.values())
    print(f"{drawings:,} MNIST drawings in {time.perf_counter() - started:.0f} s")
    timed = [n.canvas for n in pen_numbers(digits, TIMED_LENGTH, TIMED_ROUNDS, "close", 1)]
    harness.show(
        pen_table(pens, "pen numbers: one writer each, the app's brush and canvas"),
        number_table(rows, "MNIST test digits composed on the canvas"),
        server_work(
            classifier,
            [png(canvas) for canvas in timed],
            f"server work for a {TIMED_LENGTH}-digit pen number written close, one thread, "
            f"{TIMED_ROUNDS} numbers",
        ),
    )


if __name__ == "__main__":
    main()
