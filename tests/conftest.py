"""Shared fixtures: the real MNIST files, small real trainings, the scripts as a user runs
them, the running app and Chromium. The helpers behind them are tests/support/."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import processes
from tests.support.app import app_process
from tests.support.paths import REPO

MNIST_DIR = Path(os.environ.get("MNIST_DIR", REPO.parent / "shared" / "mnist"))
CLI_TIMEOUT_S = 600


@pytest.fixture(scope="session")
def run_cli() -> Callable[..., subprocess.CompletedProcess]:
    """Run a repo script (train.py, export.py) with the test interpreter; capture its output."""

    def run(*args: str, timeout: float = CLI_TIMEOUT_S, **popen) -> subprocess.CompletedProcess:
        return processes.run(args, timeout=timeout, **popen)

    return run


@pytest.fixture(scope="session")
def one_line_error() -> Callable[[subprocess.CompletedProcess], str]:
    """Check that a script failed as promised, with one line `<script>: error: ...` on
    stderr, a non-zero exit and no traceback; return that line."""

    def check(result: subprocess.CompletedProcess) -> str:
        script = Path(result.args[1]).name
        assert result.returncode != 0, result.stdout
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
        assert lines[0].startswith(f"{script}: error: "), lines[0]
        return lines[0]

    return check


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
def one_epoch_run(tmp_path_factory, mnist_dir, run_cli) -> Path:
    """A run folder from `train.py` trained for one epoch on all 55,000 training images
    (about 5 s of training on an idle machine)."""
    run_dir = tmp_path_factory.mktemp("run") / "seed-1-epoch"
    result = run_cli(
        "train.py", "--data-dir", str(mnist_dir), "--epochs", "1", "--out", str(run_dir)
    )
    assert result.returncode == 0, result.stderr
    return run_dir


@pytest.fixture(scope="session")
def small_run(tmp_path_factory, mnist_dir, run_cli) -> Path:
    """A whole run folder from `train.py`, in seconds: one epoch on 2,000 images."""
    run_dir = tmp_path_factory.mktemp("run") / "small"
    flags = ["--epochs", "1", "--train-subset", "2000", "--data-dir", str(mnist_dir)]
    result = run_cli("train.py", *flags, "--out", str(run_dir))
    assert result.returncode == 0, result.stderr
    return run_dir


@pytest.fixture
def small_run_copy(small_run, tmp_path) -> Path:
    """A copy of `small_run` for a test to damage."""
    return Path(shutil.copytree(small_run, tmp_path / "run"))


@pytest.fixture(scope="session")
def demo_app():
    """`python demo/app.py` on a free 127.0.0.1 port, shared by the client and browser tests:
    its URL, process and log (tests/support/app.py's RunningApp)."""
    with app_process() as app:
        yield app


@pytest.fixture(scope="session")
def app_url(demo_app) -> str:
    return demo_app.url


@pytest.fixture(scope="session")
def playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright):
    """Debian's headless Chromium (Playwright cannot download its own browsers here)."""
    from tests.support.page import CHROMIUM_ARGS

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
