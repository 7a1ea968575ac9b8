"""Real handwriting from outside MNIST, read through the demo's own pipeline.

    python -m bench.handwriting                        # ../shared/handwriting/usps-test.txt.gz
    python -m bench.handwriting --usps path/to/usps-test.txt.gz --model demo/model.onnx

The 2,000 USPS test digits (envelopes scanned by the US Postal Service; see the data's
README) as drawings and as scans, the two ways a visitor's digits reach the demo, and
as low-resolution drawings, which have no target (tests/support/handwriting.py). Prints
overall and per-class accuracy, the most frequent confusions, the expected calibration
error, and the share of answers given with confidence (top probability at or over the
model's "not sure" threshold) with their accuracy.

USPS is for evaluation only: nothing in this repository trains or tunes on it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bench import harness
from demo.reading import DigitClassifier
from lenet.cli import die
from tests.support.handwriting import DEFAULT_USPS, FORMS, TARGET_FORMS, load_usps, read, summary

TARGET_OVERALL, TARGET_CLASS = 0.985, 0.95


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


def main() -> None:
    parser = harness.parser(__doc__, "model")
    parser.add_argument("--usps", type=Path, default=DEFAULT_USPS, help="usps-test.txt.gz")
    args = parser.parse_args()
    if not args.usps.is_file():
        die(f"no USPS file at {args.usps} (pass --usps)")
    inks, labels = load_usps(args.usps)
    classifier = harness.load_classifier(args.model)
    threshold = classifier.contract.confidence_threshold
    print(f"{args.model.name}: {classifier.describe()}")
    print(f"{len(labels):,} USPS digits; 'not sure' below a top probability of {threshold:.3f}")
    harness.show(handwriting(classifier, inks, labels))


if __name__ == "__main__":
    main()
