"""The reading core: a drawing or a photo in, the page's answer out. No gradio, no torch.

Plain functions on numpy arrays and PIL images, with the model on onnxruntime, so the
page (app.py), the tests and the benchmarks all read drawings through the same code,
and none of them needs Gradio running to do it. Its modules, bottom up:

    canvas.py      the Sketchpad's canvas and brush sizes
    classifier.py  the ONNX model and the contract its metadata states; sessions, softmax
    preprocess.py  the MNIST recipe: ink, crop, fit to the digit box, centre by mass
    segment.py     a drawing's ink cut into the digits of a number
    number.py      every digit of a number read in one model call; its best readings
    answer.py      what the page shows: verdicts, the digit table, the model's view;
                   and the API's plain reading (reading_of)
    files.py       an image file opened for reading: bounded, upright, shrunk

    classifier = DigitClassifier.load(Path("demo/model.onnx"))
    scores, answer, view, table = read_drawing(classifier, canvas)   # the Draw tab
    scores, answer, view, table = read_photo(classifier, photo)      # the Upload tab

Inside the package, modules import each other relatively, so it works both as
`reading` (the Space runs `python app.py` in this folder) and as `demo.reading` (the
repository's tests, benchmarks and `lenet`, run from its root).
"""

from .answer import (
    DOT_MESSAGE,
    EMPTY_MESSAGE,
    TOP_CLASSES,
    read_drawing,
    read_image,
    read_photo,
    reading_of,
)
from .canvas import BRUSH_RADIUS, CANVAS_HEIGHT, CANVAS_WIDTH
from .classifier import Contract, DigitClassifier, ModelError, ort_session, softmax
from .files import MAX_SIDE, ImageTooLarge, open_image

__all__ = [
    "BRUSH_RADIUS",
    "CANVAS_HEIGHT",
    "CANVAS_WIDTH",
    "DOT_MESSAGE",
    "EMPTY_MESSAGE",
    "TOP_CLASSES",
    "Contract",
    "DigitClassifier",
    "ModelError",
    "ort_session",
    "read_drawing",
    "read_image",
    "read_photo",
    "reading_of",
    "open_image",
    "ImageTooLarge",
    "MAX_SIDE",
    "softmax",
]
