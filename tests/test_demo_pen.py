"""Real pen trajectories replayed on the page: with the mouse on a desktop, and with a finger
on an emulated iPhone 13, as visitors draw.

The digits are a fixed random sample of the pen set (30 writers, tests/support/pen.py),
each placed on the canvas at a random size and place as the pen benchmark places them,
and drawn through the trajectory's own points (a pen reports one every 100 ms; the
Sketchpad joins them with straight lines, as it joins a mouse's or finger's events). The
page's answer is read after the last stroke and compared with the label, and with the
reading core's answer for the same strokes drawn offline, so a difference between the
page and the benchmark's drawing would show.
"""

from __future__ import annotations

import re
import time

import numpy as np
import pytest
from playwright.sync_api import Page

from demo.reading import EMPTY_MESSAGE, DigitClassifier, read_drawing
from tests.support.page import (
    drawable_square,
    expect_brush_selected,
    mouse_strokes,
    open_page,
    touch,
)
from tests.support.paths import MODEL_PATH, SCREENSHOT_DIR
from tests.support.pen import CANVAS, DEFAULT_PEN, PenDigit, draw_on_canvas, load_pen, place

pytestmark = pytest.mark.slow  # headless Chromium drawing on the page: minutes on 2 cores

SAMPLE_SEED = 18
DESKTOP_DIGITS = 20
PHONE_DIGITS = 6  # each touch event takes a good fraction of a second on a phone here
SETTLED_S = 1.5  # the answer has not changed for this long after the last stroke
SETTLE_TIMEOUT_S = 30
ANSWER = re.compile(r"(?:It's a|Probably a) (\d)\b")


@pytest.fixture(scope="module")
def sample() -> list[tuple[PenDigit, list[np.ndarray]]]:
    """Pen digits, one of each class first, then at random, placed on the canvas."""
    if not DEFAULT_PEN.is_file():
        pytest.fail(f"the pen set is not at {DEFAULT_PEN} (see ../shared/handwriting)")
    digits = load_pen(DEFAULT_PEN)
    rng = np.random.default_rng(SAMPLE_SEED)
    order = rng.permutation(len(digits))
    chosen = [next(i for i in order if digits[i].label == label) for label in range(10)]
    chosen += [i for i in order if i not in chosen][: DESKTOP_DIGITS - len(chosen)]
    return [(digits[i], place(digits[i].strokes, rng)) for i in chosen]


@pytest.fixture(scope="module")
def classifier() -> DigitClassifier:
    return DigitClassifier.load(MODEL_PATH)  # the model the app serves


def offline_reading(classifier: DigitClassifier, strokes: list[np.ndarray]) -> str:
    """What the reading core answers for the strokes drawn off the page: the digit, or ''."""
    _, answer, _, _ = read_drawing(classifier, draw_on_canvas(strokes, CANVAS))
    match = ANSWER.search(answer)
    return match.group(1) if match else ""


def settled_reading(page: Page) -> str:
    """The digit the page names once its answer has stopped changing after the last
    stroke ("It's a 4", "Not sure. Probably a 4; ..."), or the answer itself if it names
    none (a number, when the strokes were cut into two digits)."""
    answer = page.locator("#answer")
    last, since = answer.inner_text(), time.monotonic()
    deadline = since + SETTLE_TIMEOUT_S
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = answer.inner_text()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= SETTLED_S and now != EMPTY_MESSAGE:
            match = ANSWER.search(now)
            return match.group(1) if match else now
    raise AssertionError(f"the answer did not settle: {last!r}")


def on_page(page: Page, strokes: list[np.ndarray]) -> list[list[tuple[float, float]]]:
    """Canvas pixels (CANVAS: width, height) to page pixels of the drawing area."""
    left, top, width, height = drawable_square(page)
    return [
        [(left + x * width / CANVAS[0], top + y * height / CANVAS[1]) for x, y in stroke]
        for stroke in strokes
    ]


def clear(page: Page) -> None:
    page.locator('#canvas button[aria-label="Clear canvas"]').click()
    expect_brush_selected(page)


def test_pen_digits_replayed_with_the_mouse_are_read(browser, app_url, sample, classifier):
    page_right, agree = 0, 0
    with open_page(browser, app_url) as page:
        for n, (digit, strokes) in enumerate(sample):
            expect_brush_selected(page)
            mouse_strokes(page, on_page(page, strokes))
            read = settled_reading(page)
            page_right += read == str(digit.label)
            agree += read == offline_reading(classifier, strokes)
            if read != str(digit.label):
                page.screenshot(path=SCREENSHOT_DIR / f"pen-{n}-{digit.label}.png")
            clear(page)
    # The page reads what the benchmark's drawing reads (a stroke's ends may differ by a
    # pixel), and about as well as the pen benchmark (BENCHMARKS.md section 12).
    assert agree >= len(sample) - 1, (agree, len(sample))
    assert page_right >= len(sample) - 2, (page_right, len(sample))


def test_pen_digits_replayed_with_a_finger_on_a_phone_are_read(browser, app_url, devices, sample):
    right = 0
    with open_page(browser, app_url, **devices["iPhone 13"]) as page:
        cdp = page.context.new_cdp_session(page)
        for digit, strokes in sample[:PHONE_DIGITS]:
            expect_brush_selected(page)
            for points in on_page(page, strokes):
                touch(cdp, points)
            read = settled_reading(page)
            right += read == str(digit.label)
            clear(page)
    assert right >= PHONE_DIGITS - 1, (right, PHONE_DIGITS)
