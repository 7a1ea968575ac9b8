"""demo/ as a Hugging Face Space: front matter, pins, model size, and a fresh install.

The slow test builds a virtual environment with only what a Space installs (Gradio
at the README's sdk_version, plus demo/requirements.txt), starts the app there and
gets a prediction: the demo needs nothing from the training side, torch included.
"""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import version

import pytest
from demo_helpers import DEMO_DIR, MODEL_PATH, running_app
from gradio_client import Client, handle_file

MAX_MODEL_BYTES = 1_000_000  # plain git, no LFS
REQUIRED_FRONT_MATTER = {"sdk": "gradio", "app_file": "app.py", "python_version": '"3.11"'}
INSTALL_TIMEOUT_S = 900


def front_matter() -> dict[str, str]:
    text = (DEMO_DIR / "README.md").read_text()
    match = re.match(r"---\n(.*?)\n---\n", text, re.DOTALL)
    assert match, "demo/README.md has no front matter"
    return dict(line.split(": ", 1) for line in match.group(1).splitlines())


def pinned_requirements() -> dict[str, str]:
    pins = {}
    for line in (DEMO_DIR / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, pinned = line.split("==")
            pins[name] = pinned
    return pins


def test_front_matter_makes_a_gradio_space_at_the_tested_version():
    meta = front_matter()
    assert REQUIRED_FRONT_MATTER.items() <= meta.items()
    assert meta["sdk_version"] == version("gradio")


def test_requirements_pin_the_tested_versions_and_no_torch():
    pins = pinned_requirements()
    assert set(pins) == {"numpy", "onnxruntime", "pillow"}
    for name, pinned in pins.items():
        assert pinned == version(name), name


def test_the_model_is_small_enough_for_plain_git():
    assert MODEL_PATH.stat().st_size < MAX_MODEL_BYTES


@pytest.mark.slow
def test_the_demo_runs_in_a_fresh_venv_with_only_its_requirements(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    install = [python, "-m", "pip", "install", "-q", "-r", str(DEMO_DIR / "requirements.txt")]
    subprocess.run(
        [*install, f"gradio=={front_matter()['sdk_version']}"],
        check=True,
        timeout=INSTALL_TIMEOUT_S,
    )
    assert subprocess.run([python, "-c", "import torch"], capture_output=True).returncode != 0
    with running_app(python=python) as url:
        composite = handle_file(str(DEMO_DIR / "examples" / "8.png"))
        label, _view = Client(url, verbose=False).predict(
            {"background": None, "layers": [], "composite": composite}, api_name="/predict"
        )
    assert label["label"] == "8"
