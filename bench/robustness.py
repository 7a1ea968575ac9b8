"""Hand-drawn robustness: the shipped model through the demo's full preprocessing path.

    python -m bench.robustness --data-dir ../shared/mnist           # all 10,000 test digits
    python -m bench.robustness --data-dir ../shared/mnist --images 2000

MNIST test digits are drawn on a Sketchpad-sized canvas the way the Sketchpad
delivers a drawing (opaque white, hard-edged black ink), under conditions that
mimic a mouse or a finger: thin and thick strokes, small rotations, and a digit pushed
into a corner (tests/support/robustness.py). Each canvas goes through the reading
core's preprocessing and the ONNX model, as in the app. Prints the accuracy per
condition and its change against plain MNIST.
"""

from __future__ import annotations

import numpy as np

from bench import harness
from demo.reading import DigitClassifier
from tests.support.robustness import STRESS, TARGET_DROP, evaluate


def robustness(
    classifier: DigitClassifier, images: np.ndarray, labels: np.ndarray
) -> harness.Table:
    """Accuracy per drawing condition, against plain MNIST, flagged past TARGET_DROP."""
    results = evaluate(classifier, images, labels)
    plain = next(iter(results.values()))
    table = harness.Table("", ["condition", "accuracy", "vs plain"])
    for name, value in results.items():
        over = plain - value > TARGET_DROP and name not in STRESS
        flag = ["over the 1.5-point target"] if over else []
        table.add(name, f"{100 * value:.2f}%", f"{100 * (value - plain):+.2f}", *flag)
    return table


def main() -> None:
    args = harness.parser(__doc__, "data_dir", "model", "images").parse_args()
    images, labels = harness.mnist_test(args.data_dir, args.images)
    classifier = harness.load_classifier(args.model)
    print(f"{args.model.name}: {classifier.describe()}; {len(images):,} MNIST test digits")
    harness.show(robustness(classifier, images, labels))


if __name__ == "__main__":
    main()
