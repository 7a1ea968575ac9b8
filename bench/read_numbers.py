"""Whole numbers through the demo: MNIST test digits written side by side on its canvas.

    python -m bench.read_numbers --data-dir ../shared/mnist              # 1,000 numbers per row
    python -m bench.read_numbers --data-dir ../shared/mnist --numbers 300

Numbers of 2 to 6 MNIST *test* digits composed on the canvas, 3-digit numbers whose
digits overlap, and the same digits drawn alone (tests/support/numbers.py), each read
by the Draw tab's own code (read_drawing); then numbers of 2 to 8 pen digits written
with the app's own 30 px brush; then the server's work for a 6-digit number (PNG
decode, reading, model-view PNG), one thread.
"""

from __future__ import annotations

import io
import time

import numpy as np
from PIL import Image

from bench import harness
from demo.reading import BRUSH_RADIUS, DigitClassifier, read_drawing
from tests.support.numbers import (
    TARGET_DIGIT_DROP,
    TARGET_EXACT,
    Row,
    brush_rows,
    compose,
    evaluate_numbers,
)

TIMED_LENGTH = 6
TIMED_ROUNDS = 300
TARGET_P50_MS = 20.0  # server work for a 6-digit number


def number_rows(rows: dict[str, Row]) -> harness.Table:
    """Each kind of number: how many, read exactly, the right digit count, per digit."""
    single = rows["single digits"].digit_accuracy
    columns = ["numbers", "n", "read exactly", "digit count", "per digit"]
    table = harness.Table("", columns)
    for name, row in rows.items():
        flags = []
        length = int(name[0]) if name[0].isdigit() else None
        if length in TARGET_EXACT and row.exact / row.numbers < TARGET_EXACT[length]:
            flags.append(f"under the {TARGET_EXACT[length]:.1%} target")
        if name == "all" and row.digit_accuracy < single - TARGET_DIGIT_DROP:
            flags.append("per digit: over 0.5 points under single digits")
        table.add(
            name,
            row.numbers,
            harness.percent(row.exact, row.numbers),
            harness.percent(row.count_right, row.numbers),
            f"{100 * row.digit_accuracy:.2f}%",
            *flags,
        )
    return table


def pen_rows(rows: dict[int, Row]) -> harness.Table:
    """Numbers of pen digits written with the app's brush, by length."""
    title = f"numbers of pen digits written with the app's {2 * BRUSH_RADIUS} px brush"
    table = harness.Table(title, ["digits", "n", "read exactly", "per digit"])
    for length, row in rows.items():
        exact = harness.percent(row.exact, row.numbers)
        table.add(length, row.numbers, exact, f"{100 * row.digit_accuracy:.2f}%")
    return table


def server_work(
    classifier: DigitClassifier, images: np.ndarray, labels: np.ndarray, rounds: int, seed: int = 1
) -> harness.Table:
    """p50 and p99 of each stage for `rounds` numbers of TIMED_LENGTH digits, as served.

    The canvas arrives as a PNG (the Sketchpad's composite); the model view leaves as one.
    """
    rng = np.random.default_rng(seed)
    pngs = []
    for _ in range(rounds):
        indices = rng.choice(len(images), size=TIMED_LENGTH, replace=False).tolist()
        buffer = io.BytesIO()
        Image.fromarray(compose(images, labels, indices, rng).canvas).save(buffer, format="png")
        pngs.append(buffer.getvalue())
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
    title = f"server work for a {TIMED_LENGTH}-digit number, one thread, {rounds} numbers"
    table = harness.Table(title, ["stage", "p50 ms", "p99 ms"])
    for name, samples in stages.items():
        p50, p99 = harness.p50_p99_ms(samples)
        over = name == "total" and p50 > TARGET_P50_MS
        table.add(
            name, f"{p50:.2f}", f"{p99:.2f}", *([f"over the {TARGET_P50_MS:g} ms target"] * over)
        )
    return table


def main() -> None:
    args = harness.parser(__doc__, "data_dir", "model", "seed", "numbers").parse_args()
    images, labels = harness.mnist_test(args.data_dir)
    classifier = harness.load_classifier(args.model)
    print(f"{args.model.name}: {classifier.describe()}")
    started = time.perf_counter()
    rows = evaluate_numbers(classifier, images, labels, args.numbers, args.seed)
    drawings = sum(row.numbers for row in rows.values())
    print(f"{drawings:,} drawings in {time.perf_counter() - started:.0f} s")
    pens = brush_rows(classifier, max(1, args.numbers // 10), args.seed)
    harness.show(
        number_rows(rows),
        pen_rows(pens),
        server_work(classifier, images, labels, TIMED_ROUNDS),
    )


if __name__ == "__main__":
    main()
