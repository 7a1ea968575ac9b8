"""How the app starts and stops: signals clean up, a busy port is one line, CPU_CORES.

Spaces and Docker stop a container with SIGTERM; the app must leave no uploads or
model views behind, as with Ctrl-C (SIGINT).
"""

from __future__ import annotations

import os
import signal
import socket

import pytest
from gradio_client import Client, handle_file

from demo import app as demo_app
from demo import serving
from demo.reading.classifier import DigitClassifier
from tests.support import processes
from tests.support.app import app_process, sketch_of
from tests.support.paths import DEMO_DIR, MODEL_PATH

STOP_TIMEOUT_S = 30
START_TIMEOUT_S = 120
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp"}


@pytest.mark.parametrize(
    "signum",
    [
        pytest.param(signal.SIGTERM, id="SIGTERM"),  # how Spaces and Docker stop it
        pytest.param(signal.SIGINT, id="SIGINT", marks=pytest.mark.slow),
    ],
)
def test_a_stop_signal_deletes_uploads_and_model_views(tmp_path, signum):
    gradio_root, temp = tmp_path / "gradio", tmp_path / "tmp"
    gradio_root.mkdir()
    temp.mkdir()
    env = {"GRADIO_TEMP_DIR": str(gradio_root), "TMPDIR": str(temp)}
    with app_process(env=env) as app:
        client = Client(app.url, verbose=False)
        client.predict(sketch_of(DEMO_DIR / "examples" / "2.png"), api_name="/predict")
        upload = handle_file(str(DEMO_DIR / "examples" / "3.png"))
        client.predict(upload, api_name="/predict_upload")
        images = [p for p in tmp_path.rglob("*") if p.suffix in IMAGE_SUFFIXES]
        assert any("lenet-views-" in str(p) for p in images)  # the model views ...
        assert any(p.name == "composite.png" or p.name == "2.png" for p in images)  # a drawing
        app.process.send_signal(signum)
        assert app.process.wait(timeout=STOP_TIMEOUT_S) == 0, app.log()
    left = [p for p in tmp_path.rglob("*") if p.suffix in IMAGE_SUFFIXES]
    assert not left
    assert not list(gradio_root.glob("lenet-demo-*")) and not list(temp.glob("lenet-views-*"))


def test_a_busy_port_gets_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {"GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port)}
        result = processes.run([DEMO_DIR / "app.py"], env=env, timeout=START_TIMEOUT_S)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use (set GRADIO_SERVER_PORT)"
    ]


@pytest.mark.parametrize(
    ("cores", "expected"),
    [("3", 3), ("1", 1), ("lots", None), ("0", None), (None, None)],
    ids=["3", "1", "not-a-number", "zero", "unset"],
)
def test_the_concurrency_limit_follows_cpu_cores(monkeypatch, cores, expected):
    if cores is None:
        monkeypatch.delenv(serving.CORES_ENV, raising=False)
    else:
        monkeypatch.setenv(serving.CORES_ENV, cores)
    usable = len(os.sched_getaffinity(0))
    assert serving.concurrency_limit() == (expected or usable)
    app = demo_app.build_app(DigitClassifier.load(MODEL_PATH))
    limits = {fn.concurrency_limit for fn in app.fns.values() if fn.concurrency_id == "model"}
    assert limits == {expected or usable}
