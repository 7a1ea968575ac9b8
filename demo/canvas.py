"""The Sketchpad's canvas and brush, chosen together; here, without gradio, so that the
benchmarks and tests can draw as the page does without importing the app.

The canvas is shown at 1:1 (it is not scaled up to fill its box), so 400 px gives room
to draw. A digit drawn across about two thirds of it (~270 px tall) with the 30 px brush
(the Sketchpad draws strokes twice the radius wide) comes out, scaled to MNIST's 20 px
box, with strokes ~2 px wide: MNIST's median. preprocess.py corrects strokes that still
come out too thin or too thick (a digit drawn very small or very large).
"""

CANVAS_SIZE = 400  # px, square
BRUSH_RADIUS = 15  # px
