"""The app in a real browser: headless Chromium, driven by Playwright, draws with the mouse.

The strokes are the same polylines that make the example images (make_examples.py),
moved through point by point with the mouse button down, as a person draws. Each
mouse move takes ~0.15 s with software WebGL, so strokes have a few dozen points.
Screenshots go to runs/demo-browser/ (ignored by git).
"""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest
from demo_helpers import (
    DEMO_DIR,
    MNIST_BOX,
    SCREENSHOT_DIR,
    centre_of_mass,
    ink_extent,
    running_app,
)
from PIL import Image
from playwright.sync_api import Page, expect, sync_playwright

# isort: split
# The demo's modules, importable once demo_helpers has put demo/ on sys.path.
from app import CANVAS_SIZE, EMPTY_MESSAGE, VIEW_SCALE
from make_examples import DIGIT_STROKES

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DRAWN_DIGITS = "0123456789"
PREDICTION_TIMEOUT_MS = 20_000

# The drawable square in page pixels: the PixiJS image container's bounds are relative
# to the editor's canvas element.
DRAWABLE_SQUARE_JS = """() => {
  const bounds = window.editor.image_container.getBounds();
  const canvas = document.querySelector("#canvas .pixi-target canvas").getBoundingClientRect();
  return [canvas.x + bounds.x, canvas.y + bounds.y, bounds.width, bounds.height];
}"""


@pytest.fixture(scope="module")
def app_url():
    with running_app() as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("chromium is not installed (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextmanager
def open_page(browser, app_url: str, width: int = 1280) -> Iterator[Page]:
    """The app in a fresh page; afterwards, fail if it fetched anything from elsewhere."""
    page = browser.new_page(viewport={"width": width, "height": 1000})
    outside = []
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith((app_url, "data:", "blob:"))
            else outside.append(request.url)
        ),
    )
    page.goto(app_url)
    page.wait_for_selector("#canvas .pixi-target canvas")
    yield page
    page.close()
    assert not outside, f"the page fetched from outside the app: {outside}"


@pytest.fixture
def page(browser, app_url):
    with open_page(browser, app_url) as page:
        yield page


def drawable_square(page: Page) -> tuple[float, float, float, float]:
    return tuple(page.evaluate(DRAWABLE_SQUARE_JS))


def expect_brush_selected(page: Page) -> None:
    """The brush tool is on (the app selects it after load and after Clear)."""
    brush = page.locator("#canvas button.quite-round").first
    expect(brush).to_have_class(re.compile(r"\bhighlight\b"), timeout=PREDICTION_TIMEOUT_MS)
    expect(page.locator("#canvas .empty")).to_have_count(0)


def draw(page: Page, digit: str) -> None:
    expect_brush_selected(page)
    left, top, width, height = drawable_square(page)
    for stroke in DIGIT_STROKES[digit]:
        points = [(left + x * width, top + y * height) for x, y in stroke]
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*point)
        page.mouse.up()


def expect_prediction(page: Page, text: str) -> None:
    """The answer reads `text` (the empty-canvas prompt), or names the digit `text` first.

    A digit counts as read whether or not the model is sure: "It's a 4" or "Not sure.
    Probably a 4; could be a 9".
    """
    answer = re.compile(rf"(It's|Probably) a {text}\b") if text.isdigit() else re.compile(text)
    expect(page.locator("#answer")).to_have_text(answer, timeout=PREDICTION_TIMEOUT_MS)


def model_view(page: Page) -> np.ndarray:
    """The "what the model sees" image, fetched as the browser shows it, as 0..1 floats."""
    source = page.locator("#seen img").get_attribute("src")
    image = Image.open(io.BytesIO(page.request.get(source).body())).convert("L")
    return np.asarray(image, dtype=np.float32) / 255


def assert_sharp_centred_digit(view: np.ndarray) -> None:
    size = view.shape[0] // VIEW_SCALE
    blocks = view.reshape(size, VIEW_SCALE, size, VIEW_SCALE)
    # Sharp pixels: each 28x28 pixel is a uniform VIEW_SCALE x VIEW_SCALE block.
    assert np.ptp(blocks, axis=(1, 3)).max() < 0.01
    pixels = blocks[:, 0, :, 0]
    assert max(ink_extent(pixels)) == MNIST_BOX
    row, col = centre_of_mass(pixels)
    assert abs(row - size / 2) <= 0.5 and abs(col - size / 2) <= 0.5


@pytest.mark.parametrize("width", [1280, 1000, 420], ids=["desktop", "narrow", "phone"])
def test_the_canvas_is_square_centred_and_ready_to_draw(browser, app_url, width):
    with open_page(browser, app_url, width) as page:
        left, top, side, height = drawable_square(page)
        block = page.locator("#canvas").bounding_box()
        assert height == pytest.approx(side, abs=1)
        if width == 1280:  # room for the whole canvas: shown 1:1
            assert side == pytest.approx(CANVAS_SIZE, abs=4)
        # Inside its column and centred in it, not clipped or pushed aside.
        assert block["x"] <= left and left + side <= block["x"] + block["width"]
        assert block["y"] <= top and top + height <= block["y"] + block["height"]
        assert abs((left + side / 2) - (block["x"] + block["width"] / 2)) <= 2
        # The brush is selected without a click: no "select the draw tool" prompt.
        expect_brush_selected(page)
        expect_prediction(page, EMPTY_MESSAGE)


def test_digits_drawn_with_the_mouse_are_recognized(page):
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    for digit in DRAWN_DIGITS:
        draw(page, digit)
        expect_prediction(page, digit)
        assert_sharp_centred_digit(model_view(page))
        page.screenshot(path=SCREENSHOT_DIR / f"drawn-{digit}.png")
        page.locator('#canvas button[aria-label="Clear canvas"]').click()
        expect_prediction(page, EMPTY_MESSAGE)
        # Clear leaves the brush selected, ready for the next digit.
        expect_brush_selected(page)
    page.screenshot(path=SCREENSHOT_DIR / "cleared.png")


def test_an_example_opens_in_the_canvas_and_is_recognized(page):
    page.locator(".gallery-item").nth(1).click()  # the examples are 2, 3, 5, 8
    expect_prediction(page, "3")


def test_an_uploaded_photo_is_recognized(page, tmp_path):
    ink = np.asarray(Image.open(DEMO_DIR / "examples" / "5.png").convert("L")) < 128
    photo = np.where(ink[..., np.newaxis], [30, 30, 40], [225, 220, 210]).astype(np.uint8)
    path = tmp_path / "photo.jpg"
    Image.fromarray(photo).save(path, quality=85)
    page.get_by_role("tab", name="Upload").click()
    page.locator("#upload input[type=file]").set_input_files(str(path))
    expect_prediction(page, "5")
    page.screenshot(path=SCREENSHOT_DIR / "uploaded.png")
