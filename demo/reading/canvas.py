"""The Sketchpad's canvas and brush, chosen together: the page draws with them, the
reading judges a tap by them, and the tests and benchmarks draw as the page does.

The canvas is shown at 1:1 (it is not scaled up to fill its box), so 400 px gives room
to draw. A digit drawn across about two thirds of it (~270 px tall) with the 30 px brush
(the Sketchpad draws strokes twice the radius wide) comes out, scaled to MNIST's 20 px
box, with strokes ~2 px wide: MNIST's median. preprocess.py corrects strokes that still
come out too thin or too thick (a digit drawn very small or very large).
"""

CANVAS_SIZE = 400  # px, square
BRUSH_RADIUS = 15  # px
