"""Scribbles and letters through the demo: how many come back as a confident digit?

    python -m bench.scribbles                  # 270 shapes, 30 of each kind
    python -m bench.scribbles --per-kind 100

Shapes that are not digits drawn the way a visitor would on the Sketchpad: the letters
X, A, M, W, the sign #, a spiral, a smiley, random smooth strokes and a filled blob
(tests/support/scribbles.py). Prints, per kind, the share answered with confidence
(top probability at or over the model's threshold) as one shape, the same share and
the share cut into a number as the Draw tab reads them, and the digits given.

None of these kinds is used in training: the outlier exposure of lenet/outliers.py
trains on straight zigzags and overlaid digit pairs only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from bench import harness
from demo.reading import DigitClassifier
from tests.support.scribbles import (
    CANVAS,
    SHAPES,
    TARGET,
    confident_rate,
    draw_tab_rate,
    scribbles,
)


def scribble_rates(
    classifier: DigitClassifier, drawings: list[tuple[str, np.ndarray]]
) -> harness.Table:
    """Per kind: confident as one shape, confident and cut into a number on the Draw tab."""
    draw_tab = draw_tab_rate(classifier, drawings)
    columns = ["kind", "confident", "Draw tab: confident", "a number", "read as"]
    table = harness.Table("", columns)
    for kind, (rate, digits) in confident_rate(classifier, drawings).items():
        read = ", ".join(f"{d}x{n}" for d, n in enumerate(digits) if n)
        sure, cut = draw_tab[kind]
        flag = ["over the 10% target"] if kind == "all" and max(rate, sure) > TARGET else []
        table.add(
            kind, f"{100 * rate:.1f}%", f"{100 * sure:.1f}%", f"{100 * cut:.1f}%", read, *flag
        )
    return table


def contact_sheet(drawings: list[tuple[str, np.ndarray]], path: Path) -> None:
    """Four drawings of each kind, a column per kind, saved to `path`."""
    tile = CANVAS // 4
    sheet = Image.new("L", (tile * len(SHAPES), tile * 4), 255)
    for i, kind in enumerate(SHAPES):
        mine = [canvas for k, canvas in drawings if k == kind][:4]
        for j, canvas in enumerate(mine):
            sheet.paste(
                Image.fromarray(canvas).convert("L").resize((tile, tile)), (i * tile, j * tile)
            )
    sheet.save(path)


def main() -> None:
    parser = harness.parser(__doc__, "model", "seed", "per_kind")
    parser.add_argument("--save", type=Path, help="also write a contact sheet of the drawings here")
    args = parser.parse_args()
    classifier = harness.load_classifier(args.model)
    drawings = scribbles(args.per_kind, args.seed)
    threshold = classifier.contract.confidence_threshold
    print(f"{len(drawings)} scribbles; confident means top probability >= {threshold:.2f}")
    harness.show(scribble_rates(classifier, drawings))
    if args.save:
        contact_sheet(drawings, args.save)


if __name__ == "__main__":
    main()
