"""The demo's per-request work on a Sketchpad-sized drawing: decode, preprocess, inference.

    python -m bench.demo_request

Runs the reading core (no torch, no gradio) on the demo's example drawings, 400x400
RGBA PNGs like the Sketchpad's composite, and prints p50/p99 of each stage and how the
total splits between them. Then the whole of what /predict does with a drawing
(decode, then read_drawing: the dot check, segmentation into digits, the MNIST
recipe, the model), timed the same way.
"""

from __future__ import annotations

import io
import time

import numpy as np
from PIL import Image

from bench import harness
from demo.reading import DigitClassifier, read_drawing
from demo.reading.preprocess import to_model_input
from tests.support.paths import EXAMPLES_DIR

ROUNDS = 1000


def decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def stages(classifier: DigitClassifier, pngs: list[bytes], rounds: int) -> harness.Table:
    """p50/p99 of decoding, preprocessing and inference, and each one's share of the total."""
    contract = classifier.contract
    times: dict[str, list[float]] = {"decode PNG": [], "preprocess": [], "inference": []}
    for i in range(harness.WARM_UP + rounds):
        t0 = time.perf_counter()
        canvas = decode(pngs[i % len(pngs)])
        t1 = time.perf_counter()
        x = to_model_input(canvas, contract.image_size, contract.digit_box)
        t2 = time.perf_counter()
        classifier.probabilities(x[np.newaxis])
        t3 = time.perf_counter()
        if i >= harness.WARM_UP:
            for name, seconds in zip(times, (t1 - t0, t2 - t1, t3 - t2), strict=True):
                times[name].append(seconds)
    totals = [sum(parts) for parts in zip(*times.values(), strict=True)]
    total_p50, _ = harness.p50_p99_ms(totals)
    size = Image.open(io.BytesIO(pngs[0])).size
    title = f"{rounds} requests on {len(pngs)} drawings of {size[0]}x{size[1]} px, one thread"
    table = harness.Table(title, ["stage", "p50 ms", "p99 ms", "share of p50"])
    for name, samples in [*times.items(), ("total", totals)]:
        p50, p99 = harness.p50_p99_ms(samples)
        table.add(name, f"{p50:.3f}", f"{p99:.3f}", f"{100 * p50 / total_p50:.0f}%")
    return table


def served(classifier: DigitClassifier, pngs: list[bytes], rounds: int) -> harness.Table:
    """p50/p99 of all that /predict does with a drawing: decode, then read_drawing."""
    seconds = harness.timed(lambda png: read_drawing(classifier, decode(png)), pngs, rounds)
    p50, p99 = harness.p50_p99_ms(seconds)
    table = harness.Table("", ["as /predict serves it", "p50 ms", "p99 ms"])
    table.add("decode + read_drawing", f"{p50:.3f}", f"{p99:.3f}")
    return table


def main() -> None:
    args = harness.parser(__doc__, "model").parse_args()
    classifier = harness.load_classifier(args.model)
    pngs = [path.read_bytes() for path in sorted(EXAMPLES_DIR.glob("*.png"))]
    harness.show(stages(classifier, pngs, ROUNDS), served(classifier, pngs, ROUNDS))


if __name__ == "__main__":
    main()
