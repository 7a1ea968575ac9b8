"""Draw the demo's example digits from the pen strokes of strokes.py.

    python demo/make_examples.py        # writes demo/examples/<digit>.png

A test checks that the committed examples are exactly what this writes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from reading.canvas import BRUSH_RADIUS, CANVAS_SIZE
from strokes import DIGIT_STROKES, render_strokes

EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"
EXAMPLE_DIGITS = "2358"  # the browser test draws 0, 1, 4, 7 by hand; examples show others


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=EXAMPLES_DIR, help="default: %(default)s")
    parser.add_argument(
        "--size", type=int, default=CANVAS_SIZE, help="image side in px (default: %(default)s)"
    )
    parser.add_argument(
        "--width",
        type=int,
        default=2 * BRUSH_RADIUS,
        help="stroke width in px, the brush's (default: %(default)s)",
    )
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for digit in EXAMPLE_DIGITS:
        path = args.out_dir / f"{digit}.png"
        render_strokes(DIGIT_STROKES[digit], args.size, args.width).save(path, optimize=True)
        print(path)


if __name__ == "__main__":
    main()
