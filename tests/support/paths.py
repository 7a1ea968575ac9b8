"""Where things are: the repository, the Space's folder and its model, screenshots."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEMO_DIR = REPO / "demo"
MODEL_PATH = DEMO_DIR / "model.onnx"
EXAMPLES_DIR = DEMO_DIR / "examples"
SCREENSHOT_DIR = REPO / "runs" / "demo-browser"  # ignored by git
