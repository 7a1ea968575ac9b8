"""`python demo/app.py` on a free loopback port, for the tests and the benchmarks.

`app_process` starts the app as Spaces runs it (`python app.py` in its folder), waits
until it answers, and stops it after; `sketchpad_value` and `sketch_of` are what its
/predict API takes. No gradio import here: the app runs in an interpreter of its own.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .paths import DEMO_DIR

APP_START_TIMEOUT_S = 90  # importing gradio on 2 busy cores can take a while
POLL_S = 0.1  # how often a starting app is asked whether it answers


def sketchpad_value(composite: object = None) -> dict:
    """A Sketchpad value as /predict takes it: the whole dict, since a bare file would be
    read as an empty canvas. `composite` is the drawing; None is an empty canvas."""
    return {"background": None, "layers": [], "composite": composite}


def sketch_of(path: Path) -> dict:
    """The Sketchpad value of a drawing saved as an image file, as gradio_client sends it."""
    from gradio_client import handle_file

    return sketchpad_value(handle_file(str(path)))


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


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


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
        [python, "app.py"],
        cwd=app_dir,
        env=full_env,
        stdout=log,
        stderr=log,
        # Ctrl-C's SIGINT as in a terminal. A shell that runs a job in the background (a
        # CI runner, `nohup ... &`) starts it with SIGINT ignored, every child inherits
        # that, and Python then keeps ignoring it; the app would not stop on SIGINT.
        preexec_fn=_default_sigint,
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
                time.sleep(POLL_S)
        yield RunningApp(url, process, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
