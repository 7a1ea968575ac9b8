"""demo/ as a Hugging Face Space: its card, pins, license, model size, and a fresh install.

The card is read with huggingface_hub's own parser, the one `hf upload` uses, and held
to the Hub's rules that the parser does not check. The slow test copies demo/ alone
(what the upload sends), installs it into a fresh virtual environment with the Spaces
builder's command, and sends it a hostile visitor (tests/support/hostile.py): the app
must serve drawings right, under attack, with nothing from the training side, torch
included.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from importlib.metadata import version

import numpy as np
import pytest
from huggingface_hub import SpaceCard, metadata_load
from PIL import Image

from demo.make_examples import EXAMPLE_DIGITS, EXAMPLE_NUMBER, example_strokes
from demo.reading import BRUSH_RADIUS, CANVAS_HEIGHT, CANVAS_WIDTH
from demo.strokes import render_strokes
from tests.support import processes
from tests.support.hostile import assert_survived, visit
from tests.support.paths import DEMO_DIR, EXAMPLES_DIR, MODEL_PATH, REPO

MAX_MODEL_BYTES = 1_000_000  # plain git, no LFS
MAX_SHORT_DESCRIPTION = 60  # the Hub refuses longer: "length must be less than or equal to 60"
REQUIRED_CARD = {
    "sdk": "gradio",
    "app_file": "app.py",
    "python_version": "3.11",
    "license": "mit",
    "datasets": ["ylecun/mnist"],
    "suggested_hardware": "cpu-basic",
}
INSTALL_TIMEOUT_S = 900
# What the builder's extras bring that the tests depend on: the Space must get the
# versions requirements.txt pins (gradio[mcp] caps pydantic at 2.12.5).
SAME_AS_TESTED = ("gradio", "gradio_client", "mcp", "pydantic")
README = DEMO_DIR / "README.md"


def card() -> dict:
    return metadata_load(README)


def builder_install(sdk_version: str) -> str:
    """What the Spaces builder runs in the Space's root (seen in Space build logs)."""
    return (
        f'pip install -r requirements.txt "gradio[oauth,mcp]=={sdk_version}" '
        '"uvicorn>=0.14.0" "websockets>=10.4" spaces'
    )


def pinned_requirements() -> dict[str, str]:
    pins = {}
    for line in (DEMO_DIR / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, pinned = line.split("==")
            pins[name] = pinned
    return pins


def test_the_card_parses_and_makes_a_gradio_space_at_the_tested_version():
    data = SpaceCard.load(README).data.to_dict()
    assert data == card()  # the card class and the plain loader agree
    assert REQUIRED_CARD.items() <= data.items()
    assert data["sdk_version"] == version("gradio")
    assert 0 < len(data["short_description"]) <= MAX_SHORT_DESCRIPTION, data["short_description"]
    assert data["tags"] and all(isinstance(tag, str) for tag in data["tags"])


def test_the_license_file_is_the_cards_and_the_repositorys():
    text = (DEMO_DIR / "LICENSE").read_text()
    assert card()["license"] == "mit" and text.startswith("MIT License")
    assert text == (REPO / "LICENSE").read_text()


def test_the_card_installs_and_deploys_with_the_tested_commands():
    assert builder_install(card()["sdk_version"]) in README.read_text()
    for readme in (README, REPO / "README.md"):
        text = readme.read_text()
        assert "hf auth login" in text
        assert "hf upload <user>/<space> demo . --repo-type=space" in text
        assert "huggingface-cli" not in text  # removed in huggingface_hub 1.0


def test_requirements_pin_the_tested_versions_and_no_torch():
    pins = pinned_requirements()
    assert set(pins) == {"numpy", "onnxruntime", "pillow"}
    for name, pinned in pins.items():
        assert pinned == version(name), name


def test_the_model_is_small_enough_for_plain_git():
    assert MODEL_PATH.stat().st_size < MAX_MODEL_BYTES


def space_copy(destination):
    """demo/ as `hf upload` sends it: everything but what demo/.gitignore lists."""
    ignored = [
        line.strip().rstrip("/")
        for line in (DEMO_DIR / ".gitignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    shutil.copytree(DEMO_DIR, destination, ignore=shutil.ignore_patterns(*ignored))
    return destination


@pytest.mark.slow
def test_the_space_installed_as_spaces_does_serves_drawings_under_attack(tmp_path):
    meta = card()
    assert f"{sys.version_info.major}.{sys.version_info.minor}" == meta["python_version"]
    space = space_copy(tmp_path / "space")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    command = ["-m", *shlex.split(builder_install(meta["sdk_version"]))]
    install = processes.run(command, cwd=space, timeout=INSTALL_TIMEOUT_S, python=python)
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    assert subprocess.run([python, "-c", "import torch"], capture_output=True).returncode != 0
    versions = "from importlib.metadata import version; print(*(version(n) for n in {!r}))"
    got = processes.run(["-c", versions.format(SAME_AS_TESTED)], python=python)
    assert got.stdout.split() == [version(name) for name in SAME_AS_TESTED], got.stderr
    # Drawings read right, through the page's route and the API, under attack.
    assert_survived(visit(python, space))


def test_the_example_drawings_are_the_pen_strokes():
    """examples/*.png are what `python make_examples.py` draws from strokes.py, pixel for
    pixel, on the app's canvas with its brush."""
    examples = sorted(EXAMPLES_DIR.glob("*.png"), key=lambda path: (len(path.stem), path.stem))
    assert [path.stem for path in examples] == [*EXAMPLE_DIGITS, EXAMPLE_NUMBER]
    canvas, width = (CANVAS_WIDTH, CANVAS_HEIGHT), 2 * BRUSH_RADIUS
    for path in examples:
        drawn = render_strokes(example_strokes(path.stem, canvas, width), canvas, width)
        assert np.array_equal(np.asarray(Image.open(path).convert("L")), np.asarray(drawn)), path
