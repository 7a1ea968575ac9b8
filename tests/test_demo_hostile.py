"""One hostile visitor against the running app (bench/hostile.py), and guard.py's blob store.

The bench script starts the app, replays about a hundred hostile requests (issue 10's
and others), checks the server's memory, answers and log, and a good drawing after;
it exits non-zero when a target is missed. About 15 s.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from demo_helpers import REPO
from gradio.components.image_editor import EditorDataBlobs

# isort: split
# The demo's own modules, from demo/ (on the tests' path: pyproject.toml).
from guard import CompositeBlobs, composite_only

HOSTILE_TIMEOUT_S = 300


@pytest.mark.slow
def test_hostile_traffic_leaves_the_app_up_small_and_right():
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / "hostile.py")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=HOSTILE_TIMEOUT_S,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all targets met" in result.stdout


def blobs(composite: bytes) -> EditorDataBlobs:
    """What Gradio's accept_blobs stores for one drawing: all three kinds of blob."""
    return EditorDataBlobs(background=b"background", layers=[b"layer"], composite=composite)


def test_the_blob_store_keeps_only_composites():
    store = CompositeBlobs()
    store["a"] = blobs(b"drawing")
    kept = store.get("a")
    assert kept.composite == b"drawing"
    assert kept.background is None and kept.layers == []


def test_the_blob_store_drops_the_oldest_past_its_count_or_its_bytes():
    store = CompositeBlobs(max_entries=3, max_bytes=10)
    for key in "abcd":
        store[key] = blobs(b"12")
    assert list(store) == ["b", "c", "d"]  # past the count
    store["e"] = blobs(b"1234567")
    assert list(store) == ["d", "e"]  # past the bytes: c, d and e hold 2 + 2 + 7 > 10
    assert store.pop("a") is None  # gone: Gradio's check-then-pop gets None, not KeyError
    assert store.pop("e").composite == b"1234567" and "e" not in store


def test_only_the_composite_of_a_drawing_is_decoded():
    drawing = {"background": {"path": "b.png"}, "layers": [{"path": "l.png"}] * 30, "composite": 1}
    assert composite_only(drawing) == {"background": None, "layers": [], "composite": 1}
    assert composite_only({"id": "x1"}) == {"id": "x1", "background": None, "layers": []}
    assert composite_only(None) is None
