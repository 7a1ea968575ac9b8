"""Shared by the demo's tests: the demo folder on sys.path, MNIST as numpy, a running app.

The demo is a Space root, not a package, so its modules are imported as the app
itself imports them: by putting demo/ on sys.path.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEMO_DIR = REPO / "demo"
MODEL_PATH = DEMO_DIR / "model.onnx"
SCREENSHOT_DIR = REPO / "runs" / "demo-browser"  # ignored by git

if str(DEMO_DIR) not in sys.path:
    sys.path.insert(0, str(DEMO_DIR))

# MNIST's own geometry, stated independently of the model's metadata so tests can
# check the demo against it.
MNIST_SIZE = 28
MNIST_BOX = 20

APP_START_TIMEOUT_S = 90  # importing gradio on 2 busy cores can take a while


def read_idx(path: Path) -> np.ndarray:
    """An MNIST idx file (images: (N, 28, 28) uint8; labels: (N,) uint8), read with numpy."""
    data = path.read_bytes()
    count = int.from_bytes(data[4:8], "big")
    if data[2:4] == b"\x08\x03":  # unsigned bytes, 3 dimensions: images
        rows, cols = int.from_bytes(data[8:12], "big"), int.from_bytes(data[12:16], "big")
        return np.frombuffer(data, np.uint8, offset=16).reshape(count, rows, cols)
    return np.frombuffer(data, np.uint8, offset=8)


def mnist_test_set(mnist_dir: Path, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The first `count` MNIST test images (uint8, white on black) and their labels."""
    raw = mnist_dir / "MNIST" / "raw"
    images = read_idx(raw / "t10k-images-idx3-ubyte")[:count]
    labels = read_idx(raw / "t10k-labels-idx1-ubyte")[:count]
    return images, labels


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, column) of the intensity-weighted centre of a 2-D image."""
    rows, cols = np.indices(image.shape)
    mass = image.sum()
    return float((rows * image).sum() / mass), float((cols * image).sum() / mass)


def ink_extent(image: np.ndarray) -> tuple[int, int]:
    """(height, width) of the bounding box of the non-zero pixels."""
    rows, cols = np.nonzero(image)
    return int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningApp:
    """`python demo/app.py` serving on 127.0.0.1: its URL, its process and its log file."""

    url: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        """What the app has written to stdout and stderr so far."""
        return self.log_path.read_text(errors="replace")


@contextmanager
def app_process(
    python: str = sys.executable, env: dict[str, str] | None = None, app_dir: Path = DEMO_DIR
) -> Iterator[RunningApp]:
    """Run `python app.py` in `app_dir` (demo/, or a copy of it) on a free 127.0.0.1 port
    until it answers, as Spaces runs it; stop it after."""
    port = free_port()
    full_env = {
        **os.environ,
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
        **(env or {}),
    }
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"demo-app-{port}.log"
    log = open(log_path, "w+")  # noqa: SIM115
    if os.sep in python:  # a path, relative to here, not to app_dir (kept unresolved: a venv)
        python = str(Path(python).absolute())
    process = subprocess.Popen(
        [python, "app.py"], cwd=app_dir, env=full_env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + APP_START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"demo/app.py exited with {process.returncode}:\n{log.read()}")
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"demo/app.py did not answer on {url}") from None
                time.sleep(0.5)
        yield RunningApp(url, process, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@contextmanager
def running_app(python: str = sys.executable, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run `python demo/app.py` on a free 127.0.0.1 port; yield its URL; stop it after."""
    with app_process(python, env) as app:
        yield app.url
