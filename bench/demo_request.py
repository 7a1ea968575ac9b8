"""The demo's per-request work on a Sketchpad-sized drawing: decode, preprocess, inference.

    python bench/demo_request.py

Runs the demo's own code (demo/preprocess.py and demo/classifier.py, no torch)
on its example drawings, 400x400 RGBA PNGs like the Sketchpad's composite, and
prints p50/p99 of each stage and how the total splits between them. Then the whole
of what /predict does with a drawing (decode, then app.read_drawing: the dot check,
segmentation into digits, the MNIST recipe, the model), timed the same way.
"""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

DEMO = Path(__file__).resolve().parents[1] / "demo"
sys.path.insert(0, str(DEMO))

from classifier import DigitClassifier  # noqa: E402
from preprocess import to_model_input  # noqa: E402

ROUNDS = 1000


def main() -> None:
    classifier = DigitClassifier.load(DEMO / "model.onnx")
    contract = classifier.contract
    pngs = [path.read_bytes() for path in sorted((DEMO / "examples").glob("*.png"))]
    stages: dict[str, list[float]] = {"decode PNG": [], "preprocess": [], "inference": []}
    for i in range(ROUNDS + 50):
        png = pngs[i % len(pngs)]
        t0 = time.perf_counter()
        canvas = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))
        t1 = time.perf_counter()
        x = to_model_input(canvas, contract.image_size, contract.digit_box)
        t2 = time.perf_counter()
        classifier.probabilities(x[np.newaxis])
        t3 = time.perf_counter()
        if i >= 50:  # the first rounds warm caches up
            for name, seconds in zip(stages, (t1 - t0, t2 - t1, t3 - t2), strict=True):
                stages[name].append(seconds)
    size = Image.open(io.BytesIO(pngs[0])).size
    totals = [sum(parts) for parts in zip(*stages.values(), strict=True)]
    total_p50 = float(np.median(totals))
    print(f"{ROUNDS} requests on {len(pngs)} drawings of {size[0]}x{size[1]} px, one thread")
    print(f"{'stage':<12} {'p50 ms':>8} {'p99 ms':>8} {'share of p50':>13}")
    for name, samples in [*stages.items(), ("total", totals)]:
        p50, p99 = float(np.median(samples)), float(np.percentile(samples, 99))
        print(f"{name:<12} {1e3 * p50:>8.3f} {1e3 * p99:>8.3f} {100 * p50 / total_p50:>12.0f}%")

    from app import read_drawing  # imports gradio, so only here

    served = []
    for i in range(ROUNDS + 50):
        png = pngs[i % len(pngs)]
        t0 = time.perf_counter()
        read_drawing(classifier, np.asarray(Image.open(io.BytesIO(png)).convert("RGBA")))
        if i >= 50:
            served.append(time.perf_counter() - t0)
    p50, p99 = float(np.median(served)), float(np.percentile(served, 99))
    print(
        f"as /predict serves it (decode + app.read_drawing): p50 {1e3 * p50:.3f} ms, "
        f"p99 {1e3 * p99:.3f} ms"
    )


if __name__ == "__main__":
    main()
