"""Shared fixtures: the real MNIST files, small real trainings, the running app and Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MNIST_DIR = Path(os.environ.get("MNIST_DIR", REPO.parent / "shared" / "mnist"))


def run_cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run a repo script (train.py, export.py) with the test interpreter; capture its output."""
    return subprocess.run(
        [sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    if not (MNIST_DIR / "MNIST" / "raw" / "t10k-images-idx3-ubyte").is_file():
        pytest.fail(f"MNIST not found under {MNIST_DIR}; set MNIST_DIR to a folder with MNIST/raw")
    return MNIST_DIR


@pytest.fixture(scope="session")
def mnist(mnist_dir):
    """(train, test) Splits on the CPU."""
    from lenet.data import load_mnist

    return load_mnist(mnist_dir, download=False)


@pytest.fixture(scope="session")
def one_epoch_run(tmp_path_factory, mnist_dir) -> Path:
    """A run folder from `train.py` trained for one epoch on all 60,000 images (about 5 s)."""
    run_dir = tmp_path_factory.mktemp("run") / "seed-1-epoch"
    result = run_cli(
        "train.py", "--data-dir", str(mnist_dir), "--epochs", "1", "--out", str(run_dir)
    )
    assert result.returncode == 0, result.stderr
    return run_dir


@pytest.fixture(scope="session")
def app_url():
    """`python demo/app.py` on a free 127.0.0.1 port, shared by the browser tests."""
    from demo_helpers import running_app

    with running_app() as url:
        yield url


@pytest.fixture(scope="session")
def playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright):
    """Debian's headless Chromium (Playwright cannot download its own browsers here)."""
    from page_helpers import CHROMIUM_ARGS

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("chromium is not installed (apt-get install -y chromium)")
    browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def devices(playwright) -> dict[str, dict]:
    """Playwright's device descriptors (viewport, scale, touch, user agent) by name, as
    options for a browser context."""
    return {
        name: {key: value for key, value in device.items() if key != "default_browser_type"}
        for name, device in playwright.devices.items()
    }
