"""Real handwriting from outside MNIST, read through the demo's own pipeline.

    python -m bench.handwriting                        # ../shared/handwriting: pen set and USPS
    python -m bench.handwriting --usps path/to/usps-test.txt.gz --model demo/model.onnx

The 7,494 digits of the pen set (30 writers' pen trajectories, drawn again with the
app's brush on its canvas and read by the Draw tab's own code: tests/support/pen.py),
then the 2,000 USPS test digits (envelopes scanned by the US Postal Service; see the data's
README) as drawings and as scans, the two ways a visitor's digits reach the demo, and
as low-resolution drawings, which have no target (tests/support/handwriting.py). Prints
overall and per-class accuracy, the most frequent confusions, the expected calibration
error, and the share of answers given with confidence (top probability at or over the
model's "not sure" threshold) with their accuracy.

For the pen set, also the share of all answers that are confident and wrong. Both sets
are for evaluation only: nothing in this repository trains or tunes on them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from bench import harness
from demo.reading import DigitClassifier
from lenet.cli import die
from tests.support.handwriting import DEFAULT_USPS, FORMS, TARGET_FORMS, load_usps, read, summary
from tests.support.pen import (
    DEFAULT_PEN,
    PenDigit,
    PenReading,
    canvases,
    correct,
    load_pen,
    pen_summary,
    read_pen,
)

TARGET_OVERALL, TARGET_CLASS = 0.985, 0.95
# Issue 18's targets for the pen set, drawn as the page draws: overall, every class, and
# the share of all answers that are confident and wrong.
PEN_OVERALL, PEN_CLASS, PEN_CONFIDENT_WRONG = 0.98, 0.95, 0.01


def pen(reading: PenReading) -> harness.Table:
    """The pen set as the Draw tab read it: accuracy, confident answers, ECE, a row; per
    class and the confusions as notes."""
    result = pen_summary(reading)
    table = harness.Table(
        f"pen set: {result['digits']:,} digits, 30 writers, drawn with the app's brush",
        ["set", "accuracy", "weakest", "ECE", "confident", "of which right", "confident wrong"],
    )
    met = (
        result["accuracy"] >= PEN_OVERALL
        and min(result["per_class"]) >= PEN_CLASS
        and result["confident_wrong"] <= PEN_CONFIDENT_WRONG
    )
    weakest = int(np.argmin(result["per_class"]))
    table.add(
        "pen",
        f"{100 * result['accuracy']:.2f}%",
        f"{weakest}: {100 * result['per_class'][weakest]:.1f}%",
        f"{100 * result['ece']:.2f}%",
        f"{100 * result['confident_share']:.1f}%",
        f"{100 * result['selective_accuracy']:.2f}%",
        f"{100 * result['confident_wrong']:.2f}%",
        *([] if met else ["under the 98% / 95% per class / 1% confident-wrong target"]),
    )
    per_class = "  ".join(f"{c}:{100 * a:.1f}" for c, a in enumerate(result["per_class"]))
    confusions = ", ".join(f"{t}->{p} x{n}" for t, p, n in result["confusions"][:10])
    table.notes += [f"per class  {per_class}", f"confusions {confusions}"]
    return table


def handwriting(classifier: DigitClassifier, inks: np.ndarray, labels: np.ndarray) -> harness.Table:
    """Each form's accuracy, per class, confusions, ECE and confident share, a row each."""
    threshold = classifier.contract.confidence_threshold
    table = harness.Table("", ["form", "accuracy", "ECE", "confident", "of which right"])
    for name, form in FORMS.items():
        result = summary(read(classifier, inks, form), labels, threshold)
        met = result["accuracy"] >= TARGET_OVERALL and min(result["per_class"]) >= TARGET_CLASS
        flag = [] if met or name not in TARGET_FORMS else ["under the 98.5% / 95% per class target"]
        table.add(
            name,
            f"{100 * result['accuracy']:.2f}%",
            f"{100 * result['ece']:.2f}%",
            f"{100 * result['confident_share']:.1f}%",
            f"{100 * result['selective_accuracy']:.2f}%",
            *flag,
        )
        per_class = "  ".join(f"{c}:{100 * a:.1f}" for c, a in enumerate(result["per_class"]))
        confusions = ", ".join(f"{t}->{p} x{n}" for t, p, n in result["confusions"][:8])
        table.notes += [f"{name}: per class  {per_class}", f"{name}: confusions {confusions}"]
    return table


SHEET_ROWS = 3  # digits of each class in each half of the contact sheet
TILE = 96  # px


def contact_sheet(
    digits: list[PenDigit], now: PenReading, before: PenReading | None, path: Path
) -> None:
    """Pen digits as drawn, a column per class: on top, digits read right now that
    `before` read wrong (or, without `before`, those read right with the least
    confidence); below, digits still read wrong, each with what it was read as."""
    right = correct(now)
    confidence = now.probabilities.max(1)
    if before is not None:
        top = right & ~correct(before)
        order = np.argsort(-confidence)  # the surest of the mended first
    else:
        top = right
        order = np.argsort(confidence)
    chosen: dict[int, tuple[str, int]] = {}  # digit index -> (caption, tile position)
    for label in range(10):
        mended = [i for i in order if top[i] and now.labels[i] == label][:SHEET_ROWS]
        missed = [i for i in np.argsort(confidence)[::-1] if not right[i]]
        missed = [i for i in missed if now.labels[i] == label][:SHEET_ROWS]
        for row, i in enumerate(mended):
            chosen[int(i)] = (f"{label}", row * 10 + label)
        for row, i in enumerate(missed):
            chosen[int(i)] = (
                f"{label} as {now.readings[i] or '-'}",
                (SHEET_ROWS + row) * 10 + label,
            )
    sheet = Image.new("L", (TILE * 10, TILE * 2 * SHEET_ROWS + 8), 255)
    draw = ImageDraw.Draw(sheet)
    for i, canvas in enumerate(canvases(digits)):
        if i not in chosen:
            continue
        caption, position = chosen[i]
        row, column = divmod(position, 10)
        x, y = column * TILE, row * TILE + (8 if row >= SHEET_ROWS else 0)
        sheet.paste(Image.fromarray(canvas).convert("L").resize((TILE, TILE)), (x, y))
        draw.rectangle((x, y, x + TILE - 1, y + TILE - 1), outline=160)
        draw.text((x + 4, y + 2), caption, fill=0)
    draw.line((0, TILE * SHEET_ROWS + 3, TILE * 10, TILE * SHEET_ROWS + 3), fill=0, width=2)
    sheet.save(path)


def main() -> None:
    parser = harness.parser(__doc__, "model")
    parser.add_argument("--usps", type=Path, default=DEFAULT_USPS, help="usps-test.txt.gz")
    parser.add_argument(
        "--pen", type=Path, default=DEFAULT_PEN, help="pen-digits-30-writers.unipen.gz"
    )
    parser.add_argument("--save", type=Path, help="also write a contact sheet of pen digits here")
    parser.add_argument(
        "--before", type=Path, help="with --save: a previous model, to show what is now read right"
    )
    args = parser.parse_args()
    for path, flag in ((args.usps, "--usps"), (args.pen, "--pen")):
        if not path.is_file():
            die(f"no file at {path} (pass {flag})")
    inks, labels = load_usps(args.usps)
    digits = load_pen(args.pen)
    classifier = harness.load_classifier(args.model)
    threshold = classifier.contract.confidence_threshold
    print(f"{args.model.name}: {classifier.describe()}")
    print(f"'not sure' below a top probability of {threshold:.3f}")
    usps = handwriting(classifier, inks, labels)
    usps.title = f"USPS: {len(labels):,} digits"
    reading = read_pen(classifier, digits)
    harness.show(pen(reading), usps)
    if args.save:
        before = read_pen(harness.load_classifier(args.before), digits) if args.before else None
        contact_sheet(digits, reading, before, args.save)


if __name__ == "__main__":
    main()
