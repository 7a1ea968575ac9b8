"""The demo's preprocessing on real digits: MNIST test digits drawn on a Sketchpad canvas.

Each digit is enlarged, placed at a random position and scale on a canvas of the
app's size, and delivered the way the Sketchpad delivers a drawing (black ink, no
anti-aliasing; as an opaque composite or as a transparent layer). The demo's
preprocessing then has to give the model back what MNIST gave it: accuracy must
stay within a point of the same model's accuracy on the plain 28x28 images.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from demo.reading.answer import VIEW_SCALE, read_image
from demo.reading.canvas import BRUSH_RADIUS, CANVAS_HEIGHT, CANVAS_WIDTH
from demo.reading.classifier import DigitClassifier
from demo.reading.preprocess import to_model_input
from demo.strokes import DIGIT_STROKES, centred, render_strokes
from tests.support.images import mnist_test_set
from tests.support.paths import MODEL_PATH

IMAGES = 2000
ALLOWED_DROP = 0.01  # one accuracy point
DIGIT_SCALES = (0.25, 0.95)  # a digit's 28x28 frame spans this fraction of the canvas height
CANVAS = (CANVAS_WIDTH, CANVAS_HEIGHT)


@pytest.fixture(scope="module")
def classifier() -> DigitClassifier:
    return DigitClassifier.load(MODEL_PATH)


def on_canvas(image: np.ndarray, rng: np.random.Generator, transparent: bool) -> np.ndarray:
    """A 28x28 MNIST digit enlarged onto the app's RGBA canvas as black ink."""
    side = int(rng.uniform(*DIGIT_SCALES) * CANVAS_HEIGHT)
    enlarged = Image.fromarray(image).resize((side, side), Image.Resampling.BILINEAR)
    ink = np.asarray(enlarged) >= 128  # the Sketchpad's strokes are not anti-aliased
    top = rng.integers(0, CANVAS_HEIGHT - side + 1)
    left = rng.integers(0, CANVAS_WIDTH - side + 1)
    canvas = np.zeros((CANVAS_HEIGHT, CANVAS_WIDTH, 4), np.uint8)
    if transparent:  # a layer: black ink, transparent elsewhere
        canvas[top : top + side, left : left + side, 3] = ink * 255
    else:  # the composite: opaque white with black ink
        canvas[..., :] = 255
        canvas[top : top + side, left : left + side, :3][ink] = 0
    return canvas


def test_accuracy_on_canvas_stays_within_a_point_of_mnist(classifier, mnist_dir):
    images, labels = mnist_test_set(mnist_dir, IMAGES)
    rng = np.random.default_rng(0)
    size, box = classifier.contract.image_size, classifier.contract.digit_box
    plain = classifier.probabilities(images / 255.0).argmax(axis=1)
    drawn = np.stack(
        [
            to_model_input(on_canvas(image, rng, i % 2 == 1), size, box)
            for i, image in enumerate(images)
        ]
    )
    canvas = classifier.probabilities(drawn).argmax(axis=1)
    plain_accuracy = float(np.mean(plain == labels))
    canvas_accuracy = float(np.mean(canvas == labels))
    print(
        f"\n{IMAGES} MNIST test digits: plain {plain_accuracy:.2%}, on canvas {canvas_accuracy:.2%}"
    )
    assert plain_accuracy > 0.95  # the model is a trained one
    assert canvas_accuracy >= plain_accuracy - ALLOWED_DROP, (plain_accuracy, canvas_accuracy)


@pytest.mark.parametrize("width", [4, 2 * BRUSH_RADIUS, 45], ids=["pen", "brush", "marker"])
def test_drawn_digits_are_recognized(classifier, width):
    """The example strokes, drawn thin, with the app's brush and thick (a sixth of the
    digit's height), in the middle of the canvas, are read right."""
    for digit, strokes in DIGIT_STROKES.items():
        drawing = render_strokes(centred(strokes, CANVAS), CANVAS, width)
        scores, _answer, view = read_image(classifier, np.asarray(drawing))
        assert max(scores, key=scores.get) == digit, (digit, scores)
        size = classifier.contract.image_size
        assert view.shape == (size * VIEW_SCALE, size * VIEW_SCALE)
