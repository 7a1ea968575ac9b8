"""The app in a real browser: headless Chromium, driven by Playwright, on a desktop.

The strokes are the same polylines that make the example images (demo/strokes.py),
moved through point by point with the mouse button down, as a person draws. Each
mouse move takes ~0.15 s with software WebGL, so strokes have a few dozen points.
Screenshots go to runs/demo-browser/ (ignored by git). Phones are in test_demo_phone.py,
accessibility in test_demo_accessibility.py.
"""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from demo.app import OPENING_MESSAGE, UPLOAD_MESSAGE
from demo.gradio_compat import UNREADABLE_MESSAGE
from demo.reading.answer import EMPTY_MESSAGE, STRIP_GAP, VIEW_SCALE
from demo.reading.canvas import BRUSH_RADIUS, CANVAS_HEIGHT, CANVAS_WIDTH
from demo.strokes import number_strokes
from tests.support.images import MNIST_BOX, centre_of_mass, ink_extent
from tests.support.page import (
    DESKTOP,
    PREDICTION_TIMEOUT_MS,
    draw,
    drawable_square,
    expect_brush_selected,
    expect_prediction,
    on_page,
    open_page,
)
from tests.support.paths import DEMO_DIR, SCREENSHOT_DIR

pytestmark = pytest.mark.slow  # headless Chromium drawing on the page: minutes on 2 cores

DRAWN_DIGITS = "0123456789"
# Numbers drawn with the mouse: their height and the gap between digits, in canvas px.
# Six digits across the canvas, as tall as they fit with a little paper between them;
# three digits whose inks overlap by two thirds of a stroke, so all three touch (one
# piece of ink). Every other point of each stroke is moved through, to keep the test short.
DRAWN_NUMBERS = {"204619": (110, 12), "358": (160, -10)}
NUMBER_STEP = 2
MIN_TARGET = 24  # px: WCAG 2.2's minimum target size (2.5.8)
EXAMPLE_FEEDBACK_MS = 200  # an example click shows that something is happening by then

# Where strokes that start outside the drawing area begin, in px from its edge: the
# issue's "8 px above" and "30 px to its left".
OUTSIDE_ABOVE = 8
OUTSIDE_LEFT = 30
GRID = 5  # points per side of the drawing area checked for what a touch there would reach

LAYOUTS = {"desktop": DESKTOP, "narrow": {"viewport": {"width": 1000, "height": 1000}}}
PHONES = ["iPhone 13", "Pixel 7"]

# Which element a touch or click at each point would reach: the drawing canvas or not.
HITS_CANVAS_JS = """(points) => {
  const canvas = document.querySelector("#canvas .pixi-target canvas");
  return points.map(([x, y]) => document.elementFromPoint(x, y) === canvas);
}"""
# Time from an example click to the label's first answer, measured in the page.
RECORD_EXAMPLE_FEEDBACK_JS = """(message) => {
  const answer = document.getElementById("answer");
  let clicked;
  document.addEventListener("click", () => { clicked = performance.now(); },
                            {capture: true, once: true});
  new MutationObserver((_, observer) => {
    if (clicked !== undefined && answer.textContent.trim() === message) {
      window.feedbackMs = performance.now() - clicked;
      observer.disconnect();
    }
  }).observe(answer, {subtree: true, childList: true, characterData: true});
}"""


@pytest.fixture
def page(browser, app_url):
    with open_page(browser, app_url) as page:
        yield page


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


def overlaps(a: dict, b: tuple[float, float, float, float]) -> bool:
    """Whether a bounding box (Playwright's dict) and a (left, top, width, height) overlap."""
    left, top, width, height = b
    return (
        a["x"] < left + width
        and left < a["x"] + a["width"]
        and a["y"] < top + height
        and top < a["y"] + a["height"]
    )


def photo_of(digit: str, path) -> str:
    """A phone-photo-like JPEG of an example digit: dark ink on off-white paper."""
    ink = np.asarray(Image.open(DEMO_DIR / "examples" / f"{digit}.png").convert("L")) < 128
    photo = np.where(ink[..., np.newaxis], [30, 30, 40], [225, 220, 210]).astype(np.uint8)
    Image.fromarray(photo).save(path, quality=85)
    return str(path)


@pytest.mark.parametrize("layout", [*LAYOUTS, *PHONES])
def test_the_drawing_area_is_the_canvas_with_its_tools_around_it(browser, app_url, devices, layout):
    with open_page(browser, app_url, **LAYOUTS.get(layout, devices.get(layout))) as page:
        left, top, width, height = drawable_square(page)
        block = page.locator("#canvas").bounding_box()
        # The canvas's proportions, a strip twice as wide as it is tall.
        assert height == pytest.approx(width * CANVAS_HEIGHT / CANVAS_WIDTH, abs=1)
        if layout == "desktop":  # room for the whole canvas: shown 1:1
            assert width == pytest.approx(CANVAS_WIDTH, abs=4)
        # Inside its column and centred in it, not clipped or pushed aside.
        assert block["x"] <= left and left + width <= block["x"] + block["width"]
        assert block["y"] <= top and top + height <= block["y"] + block["height"]
        assert abs((left + width / 2) - (block["x"] + block["width"] / 2)) <= 2

        # Every point of the area reaches the canvas (no tool over it); a stroke or a
        # swipe that starts outside it does not start on the canvas (the page has it).
        inside = [
            (left + 2 + (width - 4) * i / (GRID - 1), top + 2 + (height - 4) * j / (GRID - 1))
            for i in range(GRID)
            for j in range(GRID)
        ]
        outside = [
            (left + width / 2, top - OUTSIDE_ABOVE),
            (left - OUTSIDE_LEFT, top + height / 2),
            (left + width / 2, top + height + OUTSIDE_ABOVE),
            (left + width + OUTSIDE_ABOVE, top + height / 2),
        ]
        assert all(page.evaluate(HITS_CANVAS_JS, inside))
        assert not any(page.evaluate(HITS_CANVAS_JS, outside))

        # Toolbar buttons: big enough to hit, and none over the area.
        buttons = [b for b in page.locator("#canvas button").all() if b.is_visible()]
        assert len(buttons) >= 5  # brush, eraser, undo, redo, clear at least
        for button in buttons:
            box = button.bounding_box()
            name = button.get_attribute("aria-label")
            assert box["width"] >= MIN_TARGET and box["height"] >= MIN_TARGET, name
            assert not overlaps(box, (left, top, width, height)), name

        # The brush is selected without a click: no "select the draw tool" prompt.
        expect_brush_selected(page)
        expect_prediction(page, EMPTY_MESSAGE)
        page.screenshot(path=SCREENSHOT_DIR / f"layout-{layout.replace(' ', '-')}.png")


def test_digits_drawn_with_the_mouse_are_recognized(page):
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


def draw_number(page: Page, text: str, height: int, gap: int) -> None:
    """Write `text` across the drawing area with the mouse, digit by digit: `height` and
    `gap` in canvas px, for the app's brush."""
    expect_brush_selected(page)
    canvas = (CANVAS_WIDTH, CANVAS_HEIGHT)
    for stroke in number_strokes(text, canvas, height, gap, 2 * BRUSH_RADIUS):
        kept = [*stroke[:-1:NUMBER_STEP], stroke[-1]]
        points = [on_page(page, x, y) for x, y in kept]
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*point)
        page.mouse.up()


def test_numbers_drawn_with_the_mouse_are_read(page):
    for text, (height, gap) in DRAWN_NUMBERS.items():
        draw_number(page, text, height, gap)
        # Sure or not, the number comes first: "It's 2026" or "Not sure. Probably 2026; ...".
        answer = re.compile(rf"(It's|Probably) {text}\b")
        expect(page.locator("#answer")).to_have_text(answer, timeout=PREDICTION_TIMEOUT_MS)
        rows = page.locator("#digits tbody tr")
        expect(rows).to_have_count(len(text))
        for digit, row in zip(text, rows.all(), strict=True):
            expect(row).to_contain_text(re.compile(rf"(It's a|Probably a) {digit}\b"))
        view = model_view(page)  # the digits' inputs side by side
        scale = view.shape[0] // 28
        assert view.shape == (28 * scale, (len(text) * (28 + STRIP_GAP) - STRIP_GAP) * scale)
        page.screenshot(path=SCREENSHOT_DIR / f"number-{text}.png", full_page=True)
        page.locator('#canvas button[aria-label="Clear canvas"]').click()
        expect_prediction(page, EMPTY_MESSAGE)
        # Without a number the table's block is gone, gap and all (page.css).
        expect(page.locator("#digits")).to_have_css("display", "none")


def test_an_example_answers_at_once_and_is_recognized(page):
    page.evaluate(RECORD_EXAMPLE_FEEDBACK_JS, OPENING_MESSAGE)
    page.get_by_role("button", name="Example 3").click()
    page.wait_for_function("window.feedbackMs !== undefined", timeout=PREDICTION_TIMEOUT_MS)
    feedback_ms = page.evaluate("window.feedbackMs")
    (SCREENSHOT_DIR / "example-feedback.json").write_text(json.dumps({"ms": feedback_ms}))
    assert feedback_ms <= EXAMPLE_FEEDBACK_MS
    expect_prediction(page, "3")


def test_the_prediction_follows_the_visible_tab(page, tmp_path):
    draw(page, "1")
    expect_prediction(page, "1")

    page.get_by_role("tab", name="Upload").click()
    expect_prediction(page, UPLOAD_MESSAGE)
    expect(page.locator("#seen img")).to_have_count(0)
    expect(page.locator(".gallery-item")).to_have_count(0)  # the examples are drawings

    page.locator("#upload input[type=file]").set_input_files(photo_of("5", tmp_path / "5.jpg"))
    expect_prediction(page, "5")
    page.screenshot(path=SCREENSHOT_DIR / "uploaded.png")
    for button in page.locator("#upload button").all():  # full screen, remove, upload, paste
        if not button.is_visible():
            continue
        box = button.bounding_box()
        name = button.get_attribute("aria-label")
        assert box["width"] >= MIN_TARGET and box["height"] >= MIN_TARGET, name

    page.get_by_role("tab", name="Draw").click()
    expect_prediction(page, "1")
    expect(page.locator(".gallery-item")).to_have_count(5)
    page.get_by_role("tab", name="Upload").click()
    expect_prediction(page, "5")


def test_a_corrupt_upload_gives_one_message_and_clears_the_answer(page, tmp_path):
    page.get_by_role("tab", name="Upload").click()
    page.locator("#upload input[type=file]").set_input_files(photo_of("8", tmp_path / "8.jpg"))
    expect_prediction(page, "8")

    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes((DEMO_DIR / "examples" / "2.png").read_bytes()[:40] + bytes(200))
    page.locator("#upload input[type=file]").set_input_files(str(corrupt))
    expect(page.get_by_test_id("toast-text")).to_have_text(
        [UNREADABLE_MESSAGE], timeout=PREDICTION_TIMEOUT_MS
    )
    expect_prediction(page, UPLOAD_MESSAGE)
    expect(page.locator("#seen img")).to_have_count(0)
    expect(page.locator("#upload img")).to_have_count(0)  # the drop zone is back, whole
    page.screenshot(path=SCREENSHOT_DIR / "corrupt-upload.png")
    # Still one message once both of Gradio's change events would have answered.
    page.wait_for_timeout(2_000)
    expect(page.get_by_test_id("toast-text")).to_have_count(1)


# Clear right after an answer: in the page, the answer's changes are timed and Clear is
# clicked from the page itself as soon as the finished drawing is answered.
CLEARS = 10
CLEAR_WITHIN_MS = 300
STALE_WAIT_MS = 3000  # an answer for the drawing before Clear came ~1.9 s later (issue 20)
RECORD_ANSWERS_JS = """() => {
  const answer = document.getElementById("answer");
  window.lastAnswerAt = performance.now();
  new MutationObserver(() => { window.lastAnswerAt = performance.now(); })
    .observe(answer, {subtree: true, childList: true, characterData: true});
}"""
CLEAR_ON_ANSWER_JS = """() => {
  const answer = document.getElementById("answer");
  const clear = document.querySelector('#canvas button[aria-label="Clear canvas"]');
  const read = () => /(It's|Probably) a \\d/.test(answer.textContent);
  window.clearedAfterMs = undefined;
  const fire = () => { window.clearedAfterMs = performance.now() - window.lastAnswerAt;
                       clear.click(); };
  if (read()) { fire(); return; }
  new MutationObserver((_, observer) => {
    if (read()) { observer.disconnect(); fire(); }
  }).observe(answer, {subtree: true, childList: true, characterData: true});
}"""


def test_clear_right_after_an_answer_stays_clear(page):
    page.evaluate(RECORD_ANSWERS_JS)
    delays = []
    for attempt in range(CLEARS):
        draw(page, "4")  # two strokes: the first one's answer may still be on its way
        page.evaluate(CLEAR_ON_ANSWER_JS)
        page.wait_for_function("window.clearedAfterMs !== undefined", timeout=PREDICTION_TIMEOUT_MS)
        delays.append(page.evaluate("window.clearedAfterMs"))
        page.wait_for_timeout(STALE_WAIT_MS)
        assert page.locator("#answer").text_content().strip() == EMPTY_MESSAGE, attempt
        expect(page.locator("#seen img")).to_have_count(0)
        expect_brush_selected(page)
    (SCREENSHOT_DIR / "clear-delays.json").write_text(json.dumps({"ms": delays}))
    assert max(delays) <= CLEAR_WITHIN_MS, delays
