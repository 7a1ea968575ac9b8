"""Pen strokes of the ten digits, and drawing them as the Sketchpad draws: no MNIST involved.

    render_strokes(DIGIT_STROKES["4"], size=400, width=30)          # a PIL image of a 4
    render_strokes(number_strokes("2026", 400, 85, 10, 30), 400, 30)  # a number
    canvas = (600, 300)                                               # width, height
    render_strokes(centred(DIGIT_STROKES["4"], canvas), canvas, 14)   # a 4 in its middle

Each digit is a list of strokes, each stroke a polyline in normalised canvas
coordinates (x right, y down, 0..1 across the canvas's width and down its height),
drawn the way a person draws it. DIGIT_STROKES are drawn in a unit square. The example
drawings (make_examples.py), the tests (the browser tests replay them with the mouse)
and the benchmarks share this one definition of what a drawn digit looks like.
"""

from __future__ import annotations

import math

from PIL import Image, ImageDraw

Point = tuple[float, float]
Stroke = list[Point]
Size = int | tuple[int, int]  # a square canvas's side, or (width, height) in px


def _width_height(size: Size) -> tuple[int, int]:
    return (size, size) if isinstance(size, int) else size


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int) -> Stroke:
    """Points on an ellipse from angle `start` to `end` (degrees; 0 = right, 90 = down)."""
    angles = (math.radians(start + (end - start) * i / (n - 1)) for i in range(n))
    return [(cx + rx * math.cos(a), cy + ry * math.sin(a)) for a in angles]


def _line(a: Point, b: Point, n: int) -> Stroke:
    """`n` evenly spaced points from `a` to `b` (the mouse moves through each one)."""
    return [
        (a[0] + (b[0] - a[0]) * i / (n - 1), a[1] + (b[1] - a[1]) * i / (n - 1)) for i in range(n)
    ]


def _figure_eight(n: int) -> Stroke:
    """One continuous stroke: a 1:2 Lissajous curve, which is a figure eight."""
    ts = (2 * math.pi * i / (n - 1) for i in range(n))
    return [(0.5 + 0.16 * math.sin(2 * t), 0.5 - 0.31 * math.cos(t)) for t in ts]


DIGIT_STROKES: dict[str, list[Stroke]] = {
    "0": [_arc(0.5, 0.5, 0.19, 0.3, -90, -450, 36)],
    "1": [_line((0.53, 0.2), (0.49, 0.8), 12)],
    "2": [
        _arc(0.5, 0.36, 0.18, 0.16, 200, 380, 16)
        + _line((0.67, 0.42), (0.3, 0.79), 10)[1:]
        + _line((0.3, 0.79), (0.74, 0.79), 8)[1:]
    ],
    "3": [
        _arc(0.48, 0.34, 0.16, 0.14, -160, 90, 18) + _arc(0.48, 0.64, 0.18, 0.16, -90, 160, 20)[1:]
    ],
    "4": [
        _line((0.56, 0.2), (0.27, 0.6), 10) + _line((0.27, 0.6), (0.76, 0.6), 10)[1:],
        _line((0.6, 0.36), (0.6, 0.82), 10),
    ],
    "5": [
        _line((0.7, 0.22), (0.37, 0.22), 8)
        + _line((0.37, 0.22), (0.34, 0.47), 6)[1:]
        + _arc(0.49, 0.62, 0.19, 0.17, -125, 150, 20)
    ],
    "6": [
        _arc(0.72, 0.62, 0.38, 0.44, -110, -180, 12)
        + _arc(0.52, 0.63, 0.18, 0.17, 180, -170, 24)[1:]
    ],
    "7": [_line((0.28, 0.22), (0.73, 0.22), 10) + _line((0.73, 0.22), (0.43, 0.82), 14)[1:]],
    "8": [_figure_eight(48)],
    "9": [_arc(0.48, 0.36, 0.16, 0.15, 0, -360, 28) + _line((0.64, 0.36), (0.6, 0.82), 10)[1:]],
}


def number_strokes(text: str, size: Size, height: float, gap: float, width: int) -> list[Stroke]:
    """The digits of `text` written side by side, centred on a `size` canvas.

    Each digit's strokes are scaled so that its points span `height` px from top to
    bottom, and placed so that `gap` px of paper separate one digit's ink from the next
    (strokes `width` px wide). Returns strokes in normalised canvas coordinates;
    ValueError if they do not fit on the canvas.
    """
    canvas_width, canvas_height = _width_height(size)
    placed: list[list[Stroke]] = []
    right = 0.0  # px: where the previous digit's ink ends
    for digit in text:
        strokes = DIGIT_STROKES[digit]
        xs = [x for stroke in strokes for x, _ in stroke]
        ys = [y for stroke in strokes for _, y in stroke]
        scale = height / (max(ys) - min(ys))
        # Shift so the ink (points plus half a stroke) starts `gap` px after the last one.
        shift = (right + gap if placed else 0.0) + width / 2 - min(xs) * scale
        placed.append([[(shift + x * scale, (y - min(ys)) * scale) for x, y in s] for s in strokes])
        right = shift + max(xs) * scale + width / 2
    if right > canvas_width or height > canvas_height:
        raise ValueError(
            f"{text!r} at {height} px tall is {right:.0f} px wide: over {canvas_width} px"
        )
    left, top = (canvas_width - right) / 2, (canvas_height - height) / 2
    return [
        [((left + x) / canvas_width, (top + y) / canvas_height) for x, y in stroke]
        for strokes in placed
        for stroke in strokes
    ]


def centred(strokes: list[Stroke], size: Size) -> list[Stroke]:
    """Strokes drawn in a unit square (DIGIT_STROKES), moved into the middle square of a
    `size` canvas (its height square on a wide canvas), in its normalised coordinates."""
    canvas_width, canvas_height = _width_height(size)
    side = min(canvas_width, canvas_height)
    left, top = (canvas_width - side) / 2, (canvas_height - side) / 2
    return [
        [((left + x * side) / canvas_width, (top + y * side) / canvas_height) for x, y in stroke]
        for stroke in strokes
    ]


def render_strokes(strokes: list[Stroke], size: Size, width: int) -> Image.Image:
    """Black strokes `width` px wide with round ends on a white `size` canvas ("L" image).

    Not anti-aliased, like the Sketchpad's own strokes.
    """
    canvas_width, canvas_height = _width_height(size)
    image = Image.new("L", (canvas_width, canvas_height), 255)
    draw = ImageDraw.Draw(image)
    radius = width / 2
    for stroke in strokes:
        points = [(x * canvas_width, y * canvas_height) for x, y in stroke]
        draw.line(points, fill=0, width=width, joint="curve")
        for x, y in (points[0], points[-1]):
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=0)
    return image
