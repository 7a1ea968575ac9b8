"""Draw a digit, see what LeNet-5 thinks it is: the Gradio app of the Hugging Face Space.

    python demo/app.py                        # http://127.0.0.1:7860
    LENET_MODEL=path/to/model.onnx python demo/app.py

Runs on onnxruntime, numpy and PIL alone (no torch). The model file defaults to
model.onnx next to this file; the LENET_MODEL environment variable points elsewhere.
GRADIO_SERVER_NAME and GRADIO_SERVER_PORT choose the address, and CPU_CORES how many
requests run at once, as on Spaces. Requests the page never sends are refused by
guard.py before Gradio reads them; uploads and model views live in a folder of this
process's own, deleted when it stops (Ctrl-C or SIGTERM).

The prediction updates live, after each stroke, rather than on a button: the model
runs in well under a millisecond, so each update costs about one small PNG upload,
and seeing the guess change while drawing shows what the model responds to.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import io
import json
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# Before gradio is imported: no usage reporting or version lookups at start-up.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

import gradio as gr  # noqa: E402
import guard  # noqa: E402
import numpy as np  # noqa: E402
from canvas import BRUSH_RADIUS, CANVAS_SIZE  # noqa: E402
from classifier import DigitClassifier, ModelError  # noqa: E402
from number import read_number  # noqa: E402
from PIL import Image  # noqa: E402
from preprocess import ink_map, ink_to_model_input, to_model_input  # noqa: E402

DEMO_DIR = Path(__file__).resolve().parent
DEFAULT_MODEL = DEMO_DIR / "model.onnx"
MODEL_ENV = "LENET_MODEL"
EXAMPLES_DIR = DEMO_DIR / "examples"
PAGE_CSS = DEMO_DIR / "page.css"  # layout and accessibility fixes Gradio has no option for
PAGE_JS = DEMO_DIR / "page.js"

TOOLBAR_HEIGHT = 60  # px above an image for its label (the model view's box)
VIEW_SCALE = 10  # "what the model sees": 28x28 shown as 280x280 blocks of pixels
TOP_CLASSES = 3
# Ink smaller than two brush widths (in canvas pixels) is a tap, not a digit; see
# too_small_for_a_digit(). Ink is where ink_map() is over half strength.
MIN_DIGIT_EXTENT = 2 * (2 * BRUSH_RADIUS)
INK_LEVEL = 0.5
# A number's inputs are shown side by side, at the largest whole scale up to VIEW_SCALE
# that keeps the strip within STRIP_WIDTH px (the output column's width on a laptop),
# with a grey bar one model pixel wide between them, so the cuts show.
STRIP_WIDTH = 560
STRIP_GAP = 1
STRIP_GAP_LEVEL = 0.5

EMPTY_MESSAGE = "Draw a digit"
UPLOAD_MESSAGE = "Upload a photo of a digit"
DOT_MESSAGE = "Too small for a digit: keep drawing"
OPENING_MESSAGE = "Opening the example…"
READING_MESSAGE = "Reading…"
TURN_HINT = "Turn your phone upright to see the drawing square and the answer together."
UNREADABLE_MESSAGE = "Could not read that file as an image. Try a PNG or JPEG."
TOO_LARGE_MESSAGE = "That image is too large. Use one under {megapixels} megapixels."

# Serving limits: one request at a time per CPU core (the model itself is
# single-threaded; Spaces sets CPU_CORES, 2 on CPU Basic), a short bounded queue, small
# uploads, and images that decode to a bounded size (PIL refuses larger ones before
# decoding them).
CORES_ENV = "CPU_CORES"
MAX_QUEUE_SIZE = 16
MAX_FILE_SIZE = 5 * 1024 * 1024  # bytes
MAX_PIXELS = 4096 * 4096
# The Sketchpad has layers=False: the page draws on one layer and sends it as index 0.
SKETCH_LAYERS = 1
# Gradio keeps ~24 kB per session (a copy of the page's config, measured on 127.0.0.1)
# for 10,000 sessions by default, each new session hash a new one: 240 MB for one
# visitor who makes up hashes. The app keeps no per-session state, so 1,000 is plenty.
STATE_SESSIONS = 1000

SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "sans-serif"]
MONO_FONTS = ["ui-monospace", "monospace"]

log = logging.getLogger("demo")

# PIL warns about images over MAX_IMAGE_PIXELS and refuses, before decoding, those over
# twice that: so anything over MAX_PIXELS is refused (decode() turns it into a message).
Image.MAX_IMAGE_PIXELS = MAX_PIXELS // 2


def decode(component: gr.components.Component, payload: dict | None) -> np.ndarray | dict | None:
    """Gradio's own decoding of an image payload, with failures turned into short messages.

    The events run with preprocess=False so that a corrupt or oversized upload reaches
    this function, which can tell the user what went wrong, instead of failing inside
    Gradio with a generic error.
    """
    if payload is None:
        return None
    # print_exception=False: one log line per refused image, not Gradio's traceback.
    try:
        value = component.preprocess(component.data_model.model_validate(payload))
        if isinstance(value, Image.Image):
            # gr.Image leaves GIFs unconverted (to keep their frames), so as an array a
            # GIF would be palette indices read as grey levels. PIL decodes lazily: a
            # corrupt GIF fails here, inside the try.
            value = np.array(value.convert("RGBA"))
        return value
    except Image.DecompressionBombError:
        log.info("refused image: over %d pixels", MAX_PIXELS)
        message = TOO_LARGE_MESSAGE.format(megapixels=MAX_PIXELS // 1_000_000)
        raise gr.Error(message, print_exception=False) from None
    except (OSError, SyntaxError, ValueError) as error:  # PIL's errors for undecodable files
        log.info("refused image: unreadable: %s", error)
        raise gr.Error(UNREADABLE_MESSAGE, print_exception=False) from None


def too_small_for_a_digit(ink: np.ndarray) -> bool:
    """Whether a drawing's ink (from ink_map()) is too small to be a digit: a tap, not a stroke.

    A single tap leaves one dab of the brush, about 2 * BRUSH_RADIUS across. The model
    scales any ink up to MNIST's digit box, so a dot would come back as a guess (a 0 or
    a 9). A digit is drawn several brush widths tall; ink whose longer side is under
    MIN_DIGIT_EXTENT gets a prompt instead. The model's own "not sure" answer is separate.
    """
    rows, cols = np.nonzero(ink > INK_LEVEL)
    if rows.size == 0:
        return False  # no ink: the empty-canvas prompt, from classify()
    extent = max(rows.max() - rows.min(), cols.max() - cols.min()) + 1
    return bool(extent < MIN_DIGIT_EXTENT)


def show_message(message: str) -> str:
    """A browser-side event function: `message` as the answer, no model view and no digit
    table, at once."""
    return f'() => [{{label: {json.dumps(message)}}}, null, {json.dumps(message)}, ""]'


def classify(
    classifier: DigitClassifier, image: np.ndarray | None
) -> tuple[dict[str, float] | str, str, np.ndarray | None]:
    """Class probabilities, the answer in words, and the enlarged model input.

    `image` is a decoded drawing or photo (see preprocess.to_model_input); None is an
    empty canvas, answered with the "draw a digit" message and no view.
    """
    contract = classifier.contract
    x = None if image is None else to_model_input(image, contract.image_size, contract.digit_box)
    return classify_input(classifier, x)


def classify_input(
    classifier: DigitClassifier, x: np.ndarray | None
) -> tuple[dict[str, float] | str, str, np.ndarray | None]:
    """classify() from the model input on; None is a drawing with no ink."""
    if x is None:
        return EMPTY_MESSAGE, EMPTY_MESSAGE, None
    contract = classifier.contract
    probabilities = classifier.probabilities(x[np.newaxis])[0]
    scores = dict(zip(contract.labels, probabilities.tolist(), strict=True))
    answer = verdict(scores, contract.confidence_threshold)
    return scores, answer, model_view(x[np.newaxis])


def read_drawing(
    classifier: DigitClassifier, drawing: np.ndarray | None
) -> tuple[dict[str, float] | str, str, np.ndarray | None, str]:
    """The Draw tab's reading of a drawing: a number of up to number.MAX_DIGITS digits.

    Returns what classify() returns, then each digit's guesses as a Markdown table. A
    drawing of one digit is read exactly as classify() reads it, with no table; a tap
    gets DOT_MESSAGE. For several digits, the scores are the most probable readings of
    the whole number ("2026"), the answer names it, and the view shows the digits'
    inputs side by side.
    """
    if drawing is None:
        return *classify_input(classifier, None), ""
    ink = ink_map(drawing)
    if too_small_for_a_digit(ink):
        return DOT_MESSAGE, DOT_MESSAGE, None, ""
    contract = classifier.contract
    number = read_number(classifier, ink, TOP_CLASSES)
    if number is None:  # no ink, one digit, or too many pieces for a number
        x = ink_to_model_input(ink, contract.image_size, contract.digit_box)
        return *classify_input(classifier, x), ""
    threshold = contract.confidence_threshold
    sure = bool((number.probabilities.max(axis=1) >= threshold).all())
    answer = number_verdict(number.readings, sure)
    table = digit_table(number.probabilities, contract.labels, threshold)
    return number.readings, answer, model_view(number.inputs), table


def verdict(scores: dict[str, float], threshold: float) -> str:
    """The answer in words: the digit, or, below `threshold`, "not sure" and the two best guesses.

    The probabilities are calibrated, so the threshold means what it says: answers below
    it are wrong often enough that a flat answer would mislead.
    """
    best, second = sorted(scores, key=scores.__getitem__, reverse=True)[:2]
    if scores[best] >= threshold:
        return f"It's a {best}"
    return f"Not sure. Probably a {best}; could be a {second}"


def number_verdict(readings: dict[str, float], sure: bool) -> str:
    """The answer for a number: sure if every digit is (see verdict); else its two best readings."""
    best, second = list(readings)[:2]
    if sure:
        return f"It's {best}"
    return f"Not sure. Probably {best}; could be {second}"


def digit_table(probabilities: np.ndarray, labels: tuple[str, ...], threshold: float) -> str:
    """A Markdown table of each digit's answer (see verdict) and top guesses, left to right."""
    rows = ["| Digit | Answer | Top guesses |", "| --- | --- | --- |"]
    for position, row in enumerate(probabilities, start=1):
        scores = dict(zip(labels, row.tolist(), strict=True))
        top = sorted(scores, key=scores.__getitem__, reverse=True)[:TOP_CLASSES]
        guesses = ", ".join(f"{label} ({scores[label]:.1%})" for label in top)
        rows.append(f"| {position} | {verdict(scores, threshold)} | {guesses} |")
    return "\n".join(rows)


def model_view(inputs: np.ndarray) -> np.ndarray:
    """Model inputs (N, size, size) in [0, 1] as one uint8 image with sharp, enlarged pixels.

    One input is shown at VIEW_SCALE; several side by side, as large as STRIP_WIDTH allows.
    """
    count, size, _ = inputs.shape
    width = count * size + (count - 1) * STRIP_GAP
    scale = VIEW_SCALE if count == 1 else max(1, min(VIEW_SCALE, STRIP_WIDTH // width))
    row = np.full((size, width), STRIP_GAP_LEVEL, dtype=np.float32)
    for i, x in enumerate(inputs):
        row[:, i * (size + STRIP_GAP) : i * (size + STRIP_GAP) + size] = x
    view = np.kron(row, np.ones((scale, scale), dtype=np.float32))  # sharp pixels
    return (view * 255).round().astype(np.uint8)


class ViewFiles:
    """The enlarged model input as PNG files, written atomically, for Gradio to serve.

    Gradio 6.31 saves an image returned as an array by rewriting its content-addressed
    cache file in place on every request, so two concurrent requests with the same
    output can stream a half-rewritten file (h11: "Too little data for declared
    Content-Length"; seen by bench/demo_load.py at 16 clients). A file returned by path
    is instead copied into the cache under a temporary name and renamed, so the app
    hands Gradio a path. Files older than MAX_AGE_S are deleted as new ones are written:
    Gradio has copied them long before.
    """

    MAX_AGE_S = 600

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="lenet-views-"))
        atexit.register(shutil.rmtree, self.folder, ignore_errors=True)
        self.last_sweep = time.monotonic()

    def save(self, view: np.ndarray) -> str:
        buffer = io.BytesIO()
        Image.fromarray(view).save(buffer, format="png")
        data = buffer.getvalue()
        path = self.folder / f"{hashlib.sha256(data).hexdigest()[:32]}.png"
        if not path.exists():
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        if time.monotonic() - self.last_sweep > 60:
            self.last_sweep = time.monotonic()
            cutoff = time.time() - self.MAX_AGE_S
            for old in self.folder.glob("*.png"):
                if old.stat().st_mtime < cutoff:
                    old.unlink(missing_ok=True)
        return str(path)


def concurrency_limit() -> int:
    """Requests run at once: one per core, CPU_CORES as Spaces sets it, else those we may use."""
    value = os.environ.get(CORES_ENV, "")
    if value.isdigit() and int(value) > 0:
        return int(value)
    if value:
        log.warning("%s is %r, not a whole number of cores; using the CPU count", CORES_ENV, value)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def build_app(classifier: DigitClassifier) -> gr.Blocks:
    """The page: a Sketchpad and an upload tab, the top-3 prediction and the 28x28 input."""
    # Every hour, delete cached uploads older than an hour, so drawings don't pile up.
    with gr.Blocks(title="LeNet-5 digit recognizer", delete_cache=(3600, 3600)) as app:
        page = layout(classifier)
        predict, predict_upload = predictors(classifier, page)
        listen(page, predict, predict_upload)
    return app


@dataclass
class Page:
    """The components the listeners read and write."""

    draw_tab: gr.Tab
    sketch: gr.Sketchpad
    upload_tab: gr.Tab
    upload: gr.Image
    answer: gr.Markdown
    label: gr.Label
    seen: gr.Image
    digits: gr.Markdown
    examples: gr.Examples

    @property
    def outputs(self) -> list[gr.components.Component]:
        """What a prediction fills: the Label, the model view, the answer in words, and the
        table of a number's digits."""
        return [self.label, self.seen, self.answer, self.digits]


def layout(classifier: DigitClassifier) -> Page:
    """The components, inside the Blocks being built.

    On a wide screen the tabs sit left of the prediction and the model view; on a phone
    the columns stack, so the prediction comes straight under the drawing square and the
    examples after it (page.css sizes the square to fit the screen).
    """
    gr.Markdown(f"# Draw a digit or a number\n{classifier.describe()}", elem_id="intro")
    gr.Markdown(TURN_HINT, elem_id="turn-hint")  # page.css shows it on a sideways phone
    with gr.Row(equal_height=False, elem_id="layout"):
        with gr.Column():
            with gr.Tab("Draw") as draw_tab:
                sketch = gr.Sketchpad(
                    canvas_size=(CANVAS_SIZE, CANVAS_SIZE),
                    brush=gr.Brush(
                        default_size=BRUSH_RADIUS, colors=["#000000"], color_mode="fixed"
                    ),
                    layers=False,
                    transforms=(),
                    type="numpy",
                    show_label=False,  # the tab names it; page.js names the canvas
                    elem_id="canvas",  # page.css makes the canvas element the square
                )
            with gr.Tab("Upload") as upload_tab:
                upload = gr.Image(
                    label="A photo or scan of one digit, dark on light or light on dark",
                    sources=["upload", "clipboard"],
                    type="pil",  # decode() converts it: GIFs come unconverted
                    image_mode="RGBA",
                    elem_id="upload",
                )
        with gr.Column():
            # The answer in words is the headline; the Label below it keeps the class
            # probabilities (the API's contract) and shows them as bars.
            answer = gr.Markdown(EMPTY_MESSAGE, elem_id="answer")
            label = gr.Label(
                value=EMPTY_MESSAGE,
                num_top_classes=TOP_CLASSES,
                label="Prediction",
                show_heading=False,
                elem_id="prediction",
            )
            seen = gr.Image(
                label="What the model sees (28x28)",
                alt_text="The 28x28 image the model reads, enlarged",
                format="png",  # lossless: the pixels are the point
                interactive=False,
                buttons=[],
                height=classifier.contract.image_size * VIEW_SCALE + TOOLBAR_HEIGHT,
                elem_id="seen",
            )
            # Each digit of a number, in the strip's order; empty for one digit, and then
            # hidden by page.css.
            digits = gr.Markdown(label="Each digit", elem_id="digits")
    # Below both columns, so that on a phone they come after the prediction.
    example_paths = sorted(EXAMPLES_DIR.glob("*.png"))
    examples = gr.Examples(
        examples=[[str(path)] for path in example_paths],
        inputs=sketch,
        label="Example drawings: open one in the drawing square",
        example_labels=[f"Example {path.stem}" for path in example_paths],
        cache_examples=False,
    )
    return Page(draw_tab, sketch, upload_tab, upload, answer, label, seen, digits, examples)


# scores, model view, answer, the table of a number's digits
Prediction = tuple[dict[str, float] | str, str | None, str, str]


def predictors(
    classifier: DigitClassifier, page: Page
) -> tuple[Callable[[dict | None], Prediction], Callable[[dict | None], Prediction]]:
    """(predict, predict_upload): what the Draw and Upload tabs' events run."""
    views = ViewFiles()

    def respond(
        scores: dict[str, float] | str, answer: str, view: np.ndarray | None, table: str = ""
    ) -> Prediction:
        return scores, None if view is None else views.save(view), answer, table

    def predict(payload: dict | None) -> Prediction:
        """Read the Sketchpad's drawing (a dict with background, layers, composite): a digit
        or a number."""
        value = decode(page.sketch, guard.composite_only(payload))
        return respond(*read_drawing(classifier, None if value is None else value["composite"]))

    def predict_upload(payload: dict | None) -> Prediction:
        """Classify an uploaded photo or scan of one digit."""
        if payload is None:
            return UPLOAD_MESSAGE, None, UPLOAD_MESSAGE, ""
        return respond(*classify(classifier, decode(page.upload, payload)))

    return predict, predict_upload


def listen(page: Page, predict: Callable, predict_upload: Callable) -> None:
    """The events: a stroke, Clear, an upload, an example, a tab opened."""
    sketch, upload, examples, outputs = page.sketch, page.upload, page.examples, page.outputs
    listener = {
        "outputs": outputs,
        "preprocess": False,  # decode() does it, with readable errors
        "trigger_mode": "always_last",
        "show_progress": "hidden",
        "concurrency_limit": concurrency_limit(),
        "concurrency_id": "model",
    }
    drawn = sketch.change(predict, inputs=sketch, api_name="predict", **listener)
    # Clear resets the outputs at once and cancels a prediction still running for the
    # last stroke, which would otherwise land after it and leave a stale label.
    sketch.clear(
        lambda: (EMPTY_MESSAGE, None, EMPTY_MESSAGE, ""),
        outputs=outputs,
        cancels=[drawn],
        queue=False,
        show_progress="hidden",
        api_visibility="private",
    )
    # `input` is the visitor's upload or removal, once; `change` fired twice for a
    # corrupt file (two error toasts). A failed upload shows one error and leaves no
    # stale answer: the file, the prediction and the model view are all cleared.
    uploaded = upload.input(predict_upload, inputs=upload, api_name="predict_upload", **listener)
    uploaded.failure(
        lambda: (UPLOAD_MESSAGE, None, UPLOAD_MESSAGE, "", None),
        outputs=[*outputs, upload],
        queue=False,
        show_progress="hidden",
        api_visibility="private",
    )

    # An example click answers at once, in the browser: loading the example takes a
    # second or more. (The Dataset's `select` fires with its `click`; a listener on
    # `click` itself would wait for Gradio's own example-loading call to return.)
    # Loading an example into the Sketchpad does not fire its change event.
    examples.dataset.select(None, js=show_message(OPENING_MESSAGE), outputs=outputs)
    example_read = examples.load_input_event.then(
        predict, inputs=sketch, api_visibility="private", **listener
    )

    # The prediction and the model view belong to the visible tab. Opening a tab
    # blanks them at once (in the browser), then reads the open tab's image again.
    drawing_read = page.draw_tab.select(
        None, js=show_message(READING_MESSAGE), outputs=outputs
    ).then(predict, inputs=sketch, api_visibility="private", **listener)
    upload_read = page.upload_tab.select(
        None, js=show_message(READING_MESSAGE), outputs=outputs
    ).then(predict_upload, inputs=upload, api_visibility="private", **listener)
    # It also cancels answers still on their way for the other tab, and shows the
    # examples (drawings) with the Draw tab only.
    page.draw_tab.select(
        lambda: gr.Dataset(visible=True),
        outputs=examples.dataset,
        cancels=[uploaded, upload_read],
        queue=False,
        show_progress="hidden",
        api_visibility="private",
    )
    page.upload_tab.select(
        lambda: gr.Dataset(visible=False),
        outputs=examples.dataset,
        cancels=[drawn, example_read, drawing_read],
        queue=False,
        show_progress="hidden",
        api_visibility="private",
    )


def private_temp_dir() -> Path:
    """A folder of this process's own for Gradio's uploads and cache, deleted at exit.

    Gradio puts uploads in GRADIO_TEMP_DIR (default: <temp>/gradio), shared with any
    other Gradio app on the machine, and leaves them behind when it stops. Pointing it at
    a fresh subfolder lets the app delete everything it received, and nothing else.
    Call before any component is built: each reads the folder when it is created.
    """
    root = os.environ.get("GRADIO_TEMP_DIR") or tempfile.gettempdir()
    folder = Path(tempfile.mkdtemp(prefix="lenet-demo-", dir=root)).absolute()
    os.environ["GRADIO_TEMP_DIR"] = str(folder)
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def stop_on_sigterm() -> None:
    """Make SIGTERM (how Spaces and Docker stop a container) leave the way Ctrl-C does.

    Python's default for SIGTERM ends the process at once, so no exit handler runs and
    uploads and model views stay on disk. As a KeyboardInterrupt, it reaches Gradio's
    wait loop, which closes the server, and then the atexit handlers delete the files.
    """

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def check_address(host: str, port: int) -> str | None:
    """Why `host:port` cannot be listened on, or None if it can.

    Gradio reports a busy port with a traceback; checking first gives one line.
    """
    try:
        family, kind, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
            probe.bind(address)
    except OSError as error:
        return error.strerror or str(error)
    return None


def main() -> None:
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    log.setLevel(logging.INFO)
    model_path = Path(os.environ.get(MODEL_ENV, DEFAULT_MODEL))
    host = os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1")
    port = int(os.environ.get("GRADIO_SERVER_PORT", "7860"))  # Gradio's import checked it
    try:
        classifier = DigitClassifier.load(model_path)
    except ModelError as error:
        sys.exit(f"error: {error}")
    problem = check_address(host, port)
    if problem:
        sys.exit(f"error: cannot listen on {host}:{port}: {problem} (set GRADIO_SERVER_PORT)")
    stop_on_sigterm()
    private_temp_dir()
    app = build_app(classifier)
    guard.bound_blob_storage(app)
    policy = guard.Policy.for_app(app, layers=SKETCH_LAYERS, max_file_size=MAX_FILE_SIZE)
    app.queue(max_size=MAX_QUEUE_SIZE)
    # A signal during start-up, before Gradio's own wait loop, still exits quietly.
    with contextlib.suppress(KeyboardInterrupt):
        app.launch(
            server_name=host,
            server_port=port,
            max_file_size=MAX_FILE_SIZE,
            allowed_paths=[],
            ssr_mode=False,
            js=PAGE_JS.read_text(),
            css_paths=[PAGE_CSS],
            # System fonts: the default theme would fetch Google Fonts from the visitor's browser.
            theme=gr.themes.Default(font=SYSTEM_FONTS, font_mono=MONO_FONTS),
            state_session_capacity=STATE_SESSIONS,
            app_kwargs={"middleware": [guard.middleware(policy)]},
        )


if __name__ == "__main__":
    main()
