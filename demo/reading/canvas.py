"""The Sketchpad's canvas and brush, chosen together: the page draws with them, the
reading judges a tap by them, and the tests and benchmarks draw as the page does.

The canvas is a strip twice as wide as it is tall, so that a number fits across it the
way people write one on a form: six digits side by side come out about 110 px tall
(digits are about two thirds as wide as they are tall, with a third of a digit between
them). The brush is chosen for those digits: its 14 px stroke is an eighth of such a
digit's height, close to MNIST's median stroke (1.9 px of a 20 px digit, a tenth), so
the loops of a 6, 8, 9 or 0 stay open. A digit drawn alone across most of the height
(~250 px) then has strokes a twentieth of its height; preprocess.py thickens those into
MNIST's band. The 30 px brush of the square 400 px canvas before it closed the loops
of five digits and more.

On a desktop the canvas is shown at 1:1 (600 px is the column's width at 1280 px);
on a phone it is scaled to the screen's width, brush and all.
"""

CANVAS_WIDTH = 600  # px
CANVAS_HEIGHT = 300  # px
BRUSH_RADIUS = 7  # px: the Sketchpad draws strokes twice the radius wide
