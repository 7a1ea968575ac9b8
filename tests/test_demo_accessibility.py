"""The page for screen-reader and keyboard users: axe-core in the browser, names, a live
region, a heading.

axe-core (npm, the version pinned in the Makefile, installed by `make test`) is injected
into the page once it shows an answer, so the prediction, its bars and the model view
are all checked. Each run's full report goes to runs/demo-browser/axe-<state>.json.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from demo.reading.answer import EMPTY_MESSAGE
from tests.support.page import DESKTOP, expect_prediction, open_page, run_axe, serious
from tests.support.paths import DEMO_DIR, SCREENSHOT_DIR

pytestmark = pytest.mark.slow  # headless Chromium drawing on the page: minutes on 2 cores

# Each state: the browser context (None: Playwright's device of that name), and what the
# visitor has done: nothing yet, opened an example, or uploaded a photo.
STATES = {
    "desktop-fresh": (DESKTOP, "nothing"),
    "desktop": (DESKTOP, "example"),
    "desktop-dark": ({**DESKTOP, "color_scheme": "dark"}, "example"),
    "desktop-upload": (DESKTOP, "upload"),
    "iPhone 13": (None, "example"),
}


@pytest.mark.parametrize("state", list(STATES))
def test_axe_finds_no_critical_or_serious_violations(browser, app_url, devices, state):
    context, done = STATES[state]
    with open_page(browser, app_url, **(context or devices[state])) as page:
        if done == "example":
            page.get_by_role("button", name="Example 3").click()
            expect_prediction(page, "3")
        elif done == "upload":
            page.get_by_role("tab", name="Upload").click()
            page.locator("#upload input[type=file]").set_input_files(
                str(DEMO_DIR / "examples" / "8.png")
            )
            expect_prediction(page, "8")
        else:
            expect_prediction(page, EMPTY_MESSAGE)
        expect(page.locator("#seen img")).to_have_count(0 if done == "nothing" else 1)
        violations = run_axe(page)
    report = SCREENSHOT_DIR / f"axe-{state.replace(' ', '-')}.json"
    report.write_text(json.dumps(violations, indent=1))
    assert serious(violations) == [], json.dumps(serious(violations), indent=1)


def test_the_page_names_its_parts(browser, app_url):
    with open_page(browser, app_url) as page:
        expect(page.get_by_role("heading", level=1)).to_have_text("Draw a digit or a number")
        expect(page.get_by_role("img", name="Drawing area")).to_have_count(1)
        for example in ("2", "2026", "3", "5", "8"):
            name = f"Example {example}"
            expect(page.get_by_role("button", name=name, exact=True)).to_have_count(1)
        # Screen readers hear each new answer: the answer is a live region.
        expect(page.locator("#answer")).to_have_attribute("aria-live", "polite")
        expect_prediction(page, EMPTY_MESSAGE)
        # The Sketchpad takes no files, so its box must not offer to take them.
        expect(page.get_by_label("Click to upload or drop files")).to_have_count(0)
