"""Draw the demo's example drawings from the pen strokes of strokes.py.

    python demo/make_examples.py        # writes demo/examples/<digit or number>.png

Each digit is drawn in the middle of the canvas, as tall as its height allows; the
number is written across it. A test checks that the committed examples are exactly
what this writes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

# `python make_examples.py` in this folder makes its modules top-level; tests import
# demo.make_examples.
if __package__:
    from .reading.canvas import BRUSH_RADIUS, CANVAS_HEIGHT, CANVAS_WIDTH
    from .strokes import DIGIT_STROKES, Stroke, centred, number_strokes, render_strokes
else:
    from reading.canvas import BRUSH_RADIUS, CANVAS_HEIGHT, CANVAS_WIDTH
    from strokes import DIGIT_STROKES, Stroke, centred, number_strokes, render_strokes

EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"
EXAMPLE_DIGITS = "2358"  # the browser test draws 0, 1, 4, 7 by hand; examples show others
EXAMPLE_NUMBER = "2026"
NUMBER_HEIGHT = 0.5  # of the canvas's height: the number's digits
NUMBER_GAP = 0.06  # of the canvas's height: paper between its digits


def example_strokes(name: str, canvas: tuple[int, int], width: int) -> list[Stroke]:
    """The strokes of the example `name` (a digit, or EXAMPLE_NUMBER) on a `canvas`
    (width, height) drawn with strokes `width` px wide, in normalised coordinates."""
    if len(name) == 1:
        return centred(DIGIT_STROKES[name], canvas)
    height = canvas[1]
    return number_strokes(name, canvas, NUMBER_HEIGHT * height, NUMBER_GAP * height, width)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=EXAMPLES_DIR, help="default: %(default)s")
    parser.add_argument(
        "--width",
        type=int,
        default=CANVAS_WIDTH,
        help="image width in px (default: %(default)s)",
    )
    parser.add_argument(
        "--height",
        type=int,
        default=CANVAS_HEIGHT,
        help="image height in px (default: %(default)s)",
    )
    parser.add_argument(
        "--stroke",
        type=int,
        default=2 * BRUSH_RADIUS,
        help="stroke width in px, the brush's (default: %(default)s)",
    )
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    canvas = (args.width, args.height)
    for name in [*EXAMPLE_DIGITS, EXAMPLE_NUMBER]:
        path = args.out_dir / f"{name}.png"
        strokes = example_strokes(name, canvas, args.stroke)
        render_strokes(strokes, canvas, args.stroke).save(path, optimize=True)
        print(path)


if __name__ == "__main__":
    main()
