"""Shared by the browser tests: the app's page in headless Chromium, drawn on with the
mouse or with touch, measured, and checked with axe-core.

Chromium is Debian's (Playwright cannot download its own here). Touch goes through the
Chrome DevTools Protocol's Input.dispatchTouchEvent, the same path as a touch screen's
events, so the page scrolls or draws exactly as it decides to for a real finger.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Browser, CDPSession, Page, expect

from demo.strokes import DIGIT_STROKES, centred

from .paths import REPO, SCREENSHOT_DIR

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
PREDICTION_TIMEOUT_MS = 20_000
DESKTOP = {"viewport": {"width": 1280, "height": 1000}}

# axe-core, installed by `make test` (npm, the version pinned in the Makefile) into this
# ignored folder and injected into the page under test.
AXE_JS = REPO / ".axe" / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("critical", "serious")

# The drawing area in page pixels: the PixiJS image container's bounds are relative
# to the editor's canvas element.
DRAWABLE_SQUARE_JS = """() => {
  const bounds = window.editor.image_container.getBounds();
  const canvas = document.querySelector("#canvas .pixi-target canvas").getBoundingClientRect();
  return [canvas.x + bounds.x, canvas.y + bounds.y, bounds.width, bounds.height];
}"""

Box = tuple[float, float, float, float]  # left, top, width, height in CSS pixels


@contextmanager
def open_page(browser: Browser, app_url: str, **context: object) -> Iterator[Page]:
    """The app in a fresh browser context (a device, a colour scheme); afterwards, fail if
    the page fetched anything from outside the app. Screenshots and reports go to
    SCREENSHOT_DIR."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    browser_context = browser.new_context(**(context or DESKTOP))
    page = browser_context.new_page()
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
    browser_context.close()
    assert not outside, f"the page fetched from outside the app: {outside}"


def drawable_square(page: Page) -> Box:
    """The drawing area (the whole canvas: a square before issue 19, now a strip) as
    (left, top, width, height) in page pixels."""
    return tuple(page.evaluate(DRAWABLE_SQUARE_JS))


def on_page(page: Page, x: float, y: float) -> tuple[float, float]:
    """A point in normalised canvas coordinates (0..1 across and down) in page pixels."""
    left, top, width, height = drawable_square(page)
    return left + x * width, top + y * height


def expect_brush_selected(page: Page) -> None:
    """The brush tool is on (the app selects it after load and after Clear)."""
    brush = page.locator("#canvas button.quite-round").first
    expect(brush).to_have_class(re.compile(r"\bhighlight\b"), timeout=PREDICTION_TIMEOUT_MS)
    expect(page.locator("#canvas .empty")).to_have_count(0)


def expect_prediction(page: Page, text: str) -> None:
    """The answer reads `text` (a prompt or message), or names the digit `text` first.

    A digit counts as read whether or not the model is sure: "It's a 4" or "Not sure.
    Probably a 4; could be a 9".
    """
    if text.isdigit():
        wanted = re.compile(rf"(It's|Probably) a {text}\b")
    else:
        wanted = re.compile(re.escape(text))
    expect(page.locator("#answer")).to_have_text(wanted, timeout=PREDICTION_TIMEOUT_MS)


def stroke_points(page: Page, digit: str, step: int = 1) -> list[list[tuple[float, float]]]:
    """The digit's strokes (demo.strokes.DIGIT_STROKES) in page pixels, drawn in the middle
    of the drawing area as tall as it is, every `step`-th point of each (and its last),
    for slow devices."""
    _, _, width, height = drawable_square(page)
    strokes = []
    for stroke in centred(DIGIT_STROKES[digit], (round(width), round(height))):
        kept = stroke[::step] if (len(stroke) - 1) % step == 0 else [*stroke[::step], stroke[-1]]
        strokes.append([on_page(page, x, y) for x, y in kept])
    return strokes


def draw(page: Page, digit: str) -> None:
    """Draw the digit with the mouse, point by point with the button down."""
    expect_brush_selected(page)
    mouse_strokes(page, stroke_points(page, digit))


def mouse_strokes(page: Page, strokes: list[list[tuple[float, float]]]) -> None:
    """Each stroke (points in page coordinates) drawn with the mouse button down."""
    for points in strokes:
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*point)
        page.mouse.up()


def touch(cdp: CDPSession, points: list[tuple[float, float]], rest_s: float = 0) -> None:
    """One finger down at the first point, through the others, then up. With `rest_s`,
    the finger rests at the last point that long before it lifts, so a swipe ends
    without a fling (the page stops scrolling when the finger lifts)."""

    def send(kind: str, at: list[tuple[float, float]]) -> None:
        touch_points = [{"x": x, "y": y} for x, y in at]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": touch_points})

    send("touchStart", points[:1])
    for point in points[1:]:
        send("touchMove", [point])
    if rest_s:
        time.sleep(rest_s)
        send("touchMove", points[-1:])
    send("touchEnd", [])


def run_axe(page: Page) -> list[dict]:
    """axe-core's violations on the page as it is now (all rules, WCAG and best practice)."""
    if not AXE_JS.is_file():
        raise FileNotFoundError(f"{AXE_JS} is missing: `make test` installs axe-core with npm")
    page.add_script_tag(path=str(AXE_JS))
    return page.evaluate(
        """async () => (await axe.run(document)).violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            targets: v.nodes.map(n => n.target.join(" ")),
        }))"""
    )


def serious(violations: list[dict]) -> list[dict]:
    return [violation for violation in violations if violation["impact"] in SERIOUS]
