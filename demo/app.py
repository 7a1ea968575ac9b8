"""Draw a digit, see what LeNet-5 thinks it is: the Gradio app of the Hugging Face Space.

    python demo/app.py                        # http://127.0.0.1:7860
    LENET_MODEL=path/to/model.onnx python demo/app.py

This file is the page: layout, events and launch, with Gradio's public API. The
reading (image in, answer out) is reading/, which never imports gradio; what the app
needs beyond Gradio's public API is gradio_compat.py; the process is serving.py's.
LENET_MODEL names another model file; GRADIO_SERVER_NAME, GRADIO_SERVER_PORT and
CPU_CORES are read as on Spaces. The answer updates after each stroke, not on a
button: the model takes well under a millisecond, and the guess changing while you
draw shows what the model responds to. The API documents one endpoint, /read (an
image in, the reading as JSON out), which is also the Space's one MCP tool.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from pathlib import Path

# Before gradio is imported: no usage reporting or version lookups at start-up.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

import gradio as gr  # noqa: E402  (after the line above, on purpose)

# `python app.py` (the Space) makes this folder's modules top-level; tests import demo.app.
if __package__:
    from . import gradio_compat, reading, serving
else:
    import gradio_compat
    import reading
    import serving

DEMO_DIR = Path(__file__).resolve().parent
DEFAULT_MODEL = DEMO_DIR / "model.onnx"
MODEL_ENV = "LENET_MODEL"
EXAMPLES_DIR = DEMO_DIR / "examples"

TOOLBAR_HEIGHT = 60  # px above an image for its label (the model view's box)
# The Sketchpad has layers=False: the page draws on one layer and sends it as index 0.
SKETCH_LAYERS = 1
UPLOAD_MESSAGE = "Upload a photo of a digit or a number"
OPENING_MESSAGE = "Opening the example…"
READING_MESSAGE = "Reading…"
TURN_HINT = "Turn your phone upright to see the drawing area and the answer together."
# What a prediction fills: the Label, the model view, the answer in words, the digit table.
BLANK = (reading.EMPTY_MESSAGE, None, reading.EMPTY_MESSAGE, "")
SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "sans-serif"]
MONO_FONTS = ["ui-monospace", "monospace"]

log = logging.getLogger("demo")


def show_message(message: str) -> str:
    """A browser-side event function: `message` as the answer, no model view and no digit
    table, at once."""
    return f'() => [{{label: {json.dumps(message)}}}, null, {json.dumps(message)}, ""]'


def build_app(classifier: reading.DigitClassifier) -> gr.Blocks:
    """The page: a Sketchpad and an upload tab, the top-3 prediction and the 28x28 input.

    On a wide screen the tabs sit left of the prediction and the model view; on a phone
    the columns stack, so the prediction comes straight under the drawing area and the
    examples after it (page.css sizes the area to fit the screen).
    """
    width, height, radius = reading.CANVAS_WIDTH, reading.CANVAS_HEIGHT, reading.BRUSH_RADIUS
    view_height = classifier.contract.image_size * reading.answer.VIEW_SCALE + TOOLBAR_HEIGHT
    # Every hour, delete cached uploads older than an hour, so drawings don't pile up.
    with gr.Blocks(title="LeNet-5 digit recognizer", delete_cache=(3600, 3600)) as app:
        gr.Markdown(f"# Draw a digit or a number\n{classifier.describe()}", elem_id="intro")
        gr.Markdown(TURN_HINT, elem_id="turn-hint")  # page.css shows it on a sideways phone
        with gr.Row(equal_height=False, elem_id="layout"):
            with gr.Column():
                with gr.Tab("Draw") as draw_tab:
                    sketch = gr.Sketchpad(
                        canvas_size=(width, height),
                        brush=gr.Brush(default_size=radius, colors=["#000000"], color_mode="fixed"),
                        layers=False,
                        transforms=(),
                        type="numpy",
                        show_label=False,  # the tab names it; page.js names the canvas
                        elem_id="canvas",  # page.css makes the canvas element the drawing area
                    )
                with gr.Tab("Upload") as upload_tab:
                    upload = gr.Image(
                        label="A photo or scan of a digit or a number, dark on light or light "
                        "on dark",
                        sources=["upload", "clipboard"],
                        type="pil",  # gradio_compat.decode converts it: GIFs come unconverted
                        image_mode="RGBA",
                        elem_id="upload",
                    )
            with gr.Column():
                # The answer in words is the headline; the Label below it keeps the class
                # probabilities (the API's contract) and shows them as bars.
                answer = gr.Markdown(reading.EMPTY_MESSAGE, elem_id="answer")
                label = gr.Label(
                    value=reading.EMPTY_MESSAGE,
                    num_top_classes=reading.TOP_CLASSES,
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
                    height=view_height,
                    elem_id="seen",
                )
                # Each digit of a number, in the strip's order; empty for one digit, and
                # then hidden by page.css.
                digits = gr.Markdown(label="Each digit", elem_id="digits")
        # Below both columns, so that on a phone they come after the prediction.
        paths = sorted(EXAMPLES_DIR.glob("*.png"))
        examples = gr.Examples(
            examples=[[str(path)] for path in paths],
            inputs=sketch,
            label="Example drawings: open one in the drawing area",
            example_labels=[f"Example {path.stem}" for path in paths],
            cache_examples=False,
        )
        # The API's plain endpoint, /read, and the Space's one MCP tool: an image in,
        # the reading as JSON out. Its components are never shown; the page does not call it.
        read_image = gr.Image(label="image", type="filepath", visible=False)
        reading_json = gr.JSON(label="reading", visible=False)
        views = gradio_compat.ViewFiles()
        images = gradio_compat.ImageInputs(app, serving.MAX_PIXELS)
        clears = gradio_compat.Clears()

        def predict(payload: dict | None, request: gr.Request) -> tuple:
            """Read the Sketchpad's drawing, after a stroke: a digit or a number."""
            return read_drawing(payload, request.session_hash, after_a_stroke=True)

        def predict_again(payload: dict | None, request: gr.Request) -> tuple:
            """Read the Sketchpad's drawing again: an example loaded, the tab opened."""
            return read_drawing(payload, request.session_hash, after_a_stroke=False)

        def read_drawing(payload: dict | None, session: str | None, after_a_stroke: bool):
            image = images.read(sketch, payload)
            drawing = clears.key(image)
            # The page can send a drawing again after Clear: its answer would land on
            # the empty canvas (gradio_compat.Clears).
            if after_a_stroke and clears.stale(session, drawing):
                return tuple(gr.skip() for _ in BLANK)
            clears.seen(session, drawing)
            scores, words, view, table = reading.read_drawing(classifier, image)
            return scores, views.save(view), words, table

        def predict_upload(payload: dict | None) -> tuple:
            """Read an uploaded photo or scan: digit or number."""
            if payload is None:
                return UPLOAD_MESSAGE, None, UPLOAD_MESSAGE, ""

            def read_upload(image) -> tuple:
                scores, words, view, table = reading.read_photo(classifier, image)
                return scores, views.save(view), words, table

            return images.answer(upload, payload, read_upload)

        def read(image: dict | None) -> dict:
            """Read the handwritten digit, or number of up to 8 digits, in an image.

            LeNet-5, trained on MNIST, reads each digit after the image is prepared the
            way MNIST's digits were (ink found, cropped, fitted to 20x20, centred). Digits
            are read left to right; touching digits are cut where they read best. A photo
            needs plain, evenly lit paper.

            Args:
                image: The image: a public http(s) URL, or base64 data ("data:image/png;base64,..."); at most 5 MB and 16 megapixels. A drawing, photo or scan of digits, dark on light or light on dark.

            Returns:
                A JSON object: "number", the digits read left to right (null if there is no ink); "not_sure", true when any digit is below the model's calibrated threshold; "answer", the reading in words; "digits", each digit's three best guesses with their probabilities, best first.
            """  # noqa: E501  (Gradio reads each argument's description from one line)
            return images.answer(
                read_image, image, lambda value: reading.reading_of(classifier, value)
            )

        outputs = [label, seen, answer, digits]
        listener = {
            "outputs": outputs,
            "preprocess": False,  # gradio_compat.ImageInputs decodes, with readable errors
            "trigger_mode": "always_last",
            "show_progress": "hidden",
            "concurrency_limit": serving.concurrency_limit(),
            "concurrency_id": "model",
        }
        at_once = {"queue": False, "show_progress": "hidden", "api_visibility": "private"}
        # The Sketchpad's and the Upload tab's events stay callable (gradio_client's
        # api_name="/predict"), but the API page and MCP show /read alone.
        api = {"api_visibility": "undocumented"}
        gr.on(
            [],
            read,
            inputs=read_image,
            outputs=reading_json,
            api_name="read",
            preprocess=False,
            show_progress="hidden",
            concurrency_limit=serving.concurrency_limit(),
            concurrency_id="model",
        )
        drawn = sketch.change(predict, inputs=sketch, api_name="predict", **api, **listener)

        def clear(request: gr.Request) -> tuple:
            clears.clear(request.session_hash)
            return BLANK

        # Clear blanks the outputs through the queue, at once (a group of its own, no
        # limit), so its answer comes down the session's one event stream after any
        # answer sent before it; an answer computed after it for the drawing before is
        # dropped by predict (Clears). Answered outside the queue, the blank could arrive
        # before a stale answer already on its way, which would then stay.
        sketch.clear(
            clear,
            outputs=outputs,
            show_progress="hidden",
            api_visibility="private",
            concurrency_limit=None,
            concurrency_id="clear",
        )
        # `input` is the visitor's upload or removal, once; `change` fired twice for a
        # corrupt file (two error toasts). A failed upload shows one error and leaves no
        # stale answer: the file, the prediction and the model view are all cleared.
        uploaded = upload.input(
            predict_upload, inputs=upload, api_name="predict_upload", **api, **listener
        )
        uploaded.failure(
            lambda: (UPLOAD_MESSAGE, None, UPLOAD_MESSAGE, "", None),
            outputs=[*outputs, upload],
            **at_once,
        )
        # An example click answers at once, in the browser: loading the example takes a
        # second or more. (The Dataset's `select` fires with its `click`; a listener on
        # `click` itself would wait for Gradio's own example-loading call to return.)
        examples.dataset.select(None, js=show_message(OPENING_MESSAGE), outputs=outputs)
        example_read = gradio_compat.example_loaded(examples).then(
            predict_again, inputs=sketch, api_visibility="private", **listener
        )
        # The prediction and the model view belong to the visible tab. Opening a tab
        # blanks them at once (in the browser), then reads the open tab's image again.
        reading_now = {"js": show_message(READING_MESSAGE), "outputs": outputs}
        drawing_read = draw_tab.select(None, **reading_now).then(
            predict_again, inputs=sketch, api_visibility="private", **listener
        )
        upload_read = upload_tab.select(None, **reading_now).then(
            predict_upload, inputs=upload, api_visibility="private", **listener
        )
        # It also cancels answers still on their way for the other tab, and shows the
        # examples (drawings) with the Draw tab only.
        draw_tab.select(
            lambda: gr.Dataset(visible=True),
            outputs=examples.dataset,
            cancels=[uploaded, upload_read],
            **at_once,
        )
        upload_tab.select(
            lambda: gr.Dataset(visible=False),
            outputs=examples.dataset,
            cancels=[drawn, example_read, drawing_read],
            **at_once,
        )
    return app


def main() -> None:
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    log.setLevel(logging.INFO)
    model_path = Path(os.environ.get(MODEL_ENV, DEFAULT_MODEL))
    host = os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1")
    port = int(os.environ.get("GRADIO_SERVER_PORT", "7860"))  # Gradio's import checked it
    problem = gradio_compat.check_gradio_version()
    if problem:
        sys.exit(f"error: {problem}")
    try:
        classifier = reading.DigitClassifier.load(model_path)
    except reading.ModelError as error:
        sys.exit(f"error: {error}")
    problem = serving.check_address(host, port)
    if problem:
        sys.exit(f"error: cannot listen on {host}:{port}: {problem} (set GRADIO_SERVER_PORT)")
    serving.stop_on_sigterm()
    serving.private_temp_dir()
    app = build_app(classifier)
    guard = gradio_compat.protect(app, SKETCH_LAYERS, serving.MAX_FILE_SIZE)
    app.queue(max_size=serving.MAX_QUEUE_SIZE)
    # A signal during start-up, before Gradio's own wait loop, still exits quietly.
    with contextlib.suppress(KeyboardInterrupt):
        app.launch(
            server_name=host,
            server_port=port,
            max_file_size=serving.MAX_FILE_SIZE,
            allowed_paths=[],
            ssr_mode=False,
            js=gradio_compat.PAGE_JS.read_text(),
            css_paths=[gradio_compat.PAGE_CSS],
            # System fonts: the default theme would fetch Google Fonts from the visitor's browser.
            theme=gr.themes.Default(font=SYSTEM_FONTS, font_mono=MONO_FONTS),
            state_session_capacity=serving.STATE_SESSIONS,
            mcp_server=True,  # /gradio_api/mcp: the /read endpoint as the Space's one tool
            **guard,
        )


if __name__ == "__main__":
    main()
