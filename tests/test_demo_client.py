"""The running app through gradio_client: a drawn digit and number, bad inputs, file routes.

Uses the app the session starts (conftest's demo_app), shared with the browser tests.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image, ImageDraw

from demo.gradio_compat import TOO_LARGE_MESSAGE, UNREADABLE_MESSAGE
from demo.reading.answer import DOT_MESSAGE, EMPTY_MESSAGE, MIN_DIGIT_EXTENT, STRIP_GAP
from demo.reading.canvas import BRUSH_RADIUS, CANVAS_HEIGHT, CANVAS_WIDTH
from demo.serving import MAX_FILE_SIZE, MAX_PIXELS
from demo.strokes import number_strokes, render_strokes
from tests.support.app import sketch_of, sketchpad_value
from tests.support.paths import DEMO_DIR, MODEL_PATH


@pytest.fixture(scope="module")
def client(app_url) -> Client:
    return Client(app_url, verbose=False)


def top_label(result) -> str:
    label, _view, _answer, _digits = result
    return label["label"]


def assert_answers_a_good_request(client: Client) -> None:
    result = client.predict(sketch_of(DEMO_DIR / "examples" / "5.png"), api_name="/predict")
    assert top_label(result) == "5"


def test_a_drawn_digit_is_recognized(client):
    label, view, answer, digits = client.predict(
        sketch_of(DEMO_DIR / "examples" / "2.png"), api_name="/predict"
    )
    assert label["label"] == "2" and answer == "It's a 2" and digits == ""
    assert len(label["confidences"]) == 3  # the top three
    assert label["confidences"][0]["confidence"] > 0.9
    seen = np.asarray(Image.open(view))
    assert seen.shape[:2] == (280, 280) and seen.max() == 255  # the enlarged 28x28 input


def test_a_drawn_number_is_read(client, tmp_path):
    path = tmp_path / "2026.png"
    brush, canvas = 2 * BRUSH_RADIUS, (CANVAS_WIDTH, CANVAS_HEIGHT)
    render_strokes(number_strokes("2026", canvas, 120, 12, brush), canvas, brush).save(path)
    label, view, answer, digits = client.predict(sketch_of(path), api_name="/predict")
    # The Label holds the three best readings of the whole number, best first.
    assert label["label"] == "2026"
    assert label["confidences"][0]["label"] == "2026" and len(label["confidences"]) == 3
    assert answer == "It's 2026" or answer.startswith("Not sure. Probably 2026;")
    # One table row per digit, left to right; the view shows the four inputs in a row.
    rows = digits.splitlines()[2:]
    assert [row.split("|")[1].strip() for row in rows] == ["1", "2", "3", "4"]
    seen = np.asarray(Image.open(view).convert("L"))
    scale = seen.shape[0] // 28
    assert seen.shape == (28 * scale, (4 * (28 + STRIP_GAP) - STRIP_GAP) * scale)


def photo_of(example: str, path: Path) -> Path:
    """An example drawing as a phone photo: dark blue ink on cream paper, saved as JPEG."""
    ink = np.asarray(Image.open(DEMO_DIR / "examples" / f"{example}.png").convert("L")) < 128
    photo = np.where(ink[..., np.newaxis], [40, 50, 110], [235, 228, 205]).astype(np.uint8)
    Image.fromarray(photo).save(path, quality=85)
    return path


def test_an_uploaded_photo_is_recognized(client, tmp_path):
    label, _view, _answer, digits = client.predict(
        handle_file(str(photo_of("8", tmp_path / "8.jpg"))), api_name="/predict_upload"
    )
    assert label["label"] == "8" and digits == ""  # one digit: no table


def test_an_uploaded_photo_of_a_number_is_read(client, tmp_path):
    label, view, answer, digits = client.predict(
        handle_file(str(photo_of("2026", tmp_path / "2026.jpg"))), api_name="/predict_upload"
    )
    assert label["label"] == "2026" and len(label["confidences"]) == 3
    assert answer == "It's 2026" or answer.startswith("Not sure. Probably 2026;")
    assert [row.split("|")[1].strip() for row in digits.splitlines()[2:]] == ["1", "2", "3", "4"]
    seen = np.asarray(Image.open(view).convert("L"))
    assert seen.shape[1] > seen.shape[0]  # the four inputs side by side


def test_an_uploaded_gif_is_recognized(client, tmp_path):
    # A GIF is palette indices; Gradio hands them over unconverted, as it keeps GIF frames.
    digit = Image.open(DEMO_DIR / "examples" / "8.png").convert("L")
    path = tmp_path / "digit.gif"
    digit.convert("P").save(path)
    assert Image.open(path).mode == "P"
    label, *_ = client.predict(handle_file(str(path)), api_name="/predict_upload")
    assert label["label"] == "8"


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory) -> dict[str, Path]:
    """Files that are not a readable digit, by name."""
    folder = tmp_path_factory.mktemp("bad-inputs")
    files = {}
    png = folder / "corrupt.png"
    good = (DEMO_DIR / "examples" / "2.png").read_bytes()
    png.write_bytes(good[:40] + bytes(200))  # a PNG header, then zeros
    files["corrupt bytes"] = png
    text = folder / "notes.txt"
    text.write_text("this is not an image\n")
    files["non-image file"] = text
    side = int(np.sqrt(MAX_PIXELS)) + 1000
    files["huge image"] = folder / "huge.png"
    Image.new("L", (side, side), 255).save(files["huge image"])
    for name, image in {
        "1x1": Image.new("RGB", (1, 1), "white"),
        "all black": Image.new("RGB", (400, 400), "black"),
        "all white": Image.new("RGB", (400, 400), "white"),
        "transparent": Image.new("RGBA", (400, 400), (0, 0, 0, 0)),
    }.items():
        files[name] = folder / f"{name.replace(' ', '-')}.png"
        image.save(files[name])
    return files


EXPECTED_MESSAGES = {
    "corrupt bytes": UNREADABLE_MESSAGE,
    "non-image file": UNREADABLE_MESSAGE,
    "huge image": TOO_LARGE_MESSAGE.format(megapixels=MAX_PIXELS // 1_000_000),
    "1x1": EMPTY_MESSAGE,
    "all black": EMPTY_MESSAGE,
    "all white": EMPTY_MESSAGE,
    "transparent": EMPTY_MESSAGE,
}


@pytest.mark.parametrize("case", list(EXPECTED_MESSAGES))
@pytest.mark.parametrize("endpoint", ["/predict", "/predict_upload"])
def test_bad_input_gets_a_clear_message_and_the_server_carries_on(
    client, bad_inputs, case, endpoint
):
    path = bad_inputs[case]
    value = sketch_of(path) if endpoint == "/predict" else handle_file(str(path))
    expected = EXPECTED_MESSAGES[case]
    if expected == EMPTY_MESSAGE:  # not an error: the friendly prompt, and no guess
        label, view, answer, _digits = client.predict(value, api_name=endpoint)
        assert label["label"] == EMPTY_MESSAGE and not label.get("confidences")
        assert view is None and answer == EMPTY_MESSAGE
    else:
        with pytest.raises(AppError) as error:
            client.predict(value, api_name=endpoint)
        assert str(error.value) == expected
    assert_answers_a_good_request(client)


def test_each_refused_image_is_one_log_line_not_a_traceback(demo_app, client, bad_inputs):
    refusals = demo_app.log().count("refused image")
    for case in ("corrupt bytes", "huge image"):
        with pytest.raises(AppError):
            client.predict(handle_file(str(bad_inputs[case])), api_name="/predict_upload")
    log = demo_app.log()
    assert log.count("refused image") == refusals + 2
    assert "Traceback" not in log


def test_a_tap_gets_a_prompt_not_a_guess(client, tmp_path):
    # What one tap leaves on the canvas: a single dab of the app's brush.
    canvas = (CANVAS_WIDTH, CANVAS_HEIGHT)
    tap = Image.new("RGBA", canvas, "white")
    x, y = CANVAS_WIDTH // 2, CANVAS_HEIGHT // 2
    r = BRUSH_RADIUS
    ImageDraw.Draw(tap).ellipse((x - r, y - r, x + r, y + r), fill="black")
    tap.save(tmp_path / "tap.png")
    label, view, answer, _digits = client.predict(
        sketch_of(tmp_path / "tap.png"), api_name="/predict"
    )
    assert label["label"] == DOT_MESSAGE and not label.get("confidences")
    assert view is None and answer == DOT_MESSAGE

    # A digit drawn small, but bigger than a dot, is still read.
    small = Image.new("RGBA", canvas, "white")
    side = 2 * MIN_DIGIT_EXTENT
    digit = Image.open(DEMO_DIR / "examples" / "2.png").convert("RGBA")
    digit = digit.crop(
        ((CANVAS_WIDTH - CANVAS_HEIGHT) // 2, 0, (CANVAS_WIDTH + CANVAS_HEIGHT) // 2, CANVAS_HEIGHT)
    )
    small.paste(digit.resize((side, side)), (x - side // 2, y - side // 2))
    small.save(tmp_path / "small.png")
    label, view, *_ = client.predict(sketch_of(tmp_path / "small.png"), api_name="/predict")
    assert label["label"] != DOT_MESSAGE and label.get("confidences")
    assert view is not None


def test_a_file_over_the_upload_limit_is_refused(client, tmp_path):
    path = tmp_path / "big.png"
    path.write_bytes(bytes(MAX_FILE_SIZE + 1))
    with pytest.raises(ValueError, match="exceeds the maximum file size"):
        client.predict(sketch_of(path), api_name="/predict")
    assert_answers_a_good_request(client)


def test_an_empty_canvas_gets_the_prompt(client):
    label, view, answer, _digits = client.predict(sketchpad_value(), api_name="/predict")
    assert label["label"] == EMPTY_MESSAGE and view is None and answer == EMPTY_MESSAGE


@pytest.mark.parametrize(
    "path",
    [DEMO_DIR / "app.py", MODEL_PATH, DEMO_DIR / "examples" / "2.png", Path("/etc/passwd")],
    ids=lambda path: path.name,
)
def test_files_outside_the_cache_are_not_served(app_url, path):
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(f"{app_url}gradio_api/file={path}", timeout=10)
    assert error.value.code in (403, 404)
