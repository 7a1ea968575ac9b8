"""Footprint: the demo's environment against the training environment, and the model files.

    make .venv/.installed .venv-demo/.installed   # both environments, if not built yet
    python bench/footprint.py

The demo environment is what the Space installs: demo/requirements.txt plus
Gradio (no torch). The training environment is requirements.txt.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def tree_bytes(path: Path) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            file = Path(root) / name
            if not file.is_symlink():
                total += file.stat().st_size
    return total


def main() -> None:
    environments = {"training (.venv)": REPO / ".venv", "demo (.venv-demo)": REPO / ".venv-demo"}
    sizes = {}
    for name, path in environments.items():
        if not path.is_dir():
            raise SystemExit(f"{path} is missing: run `make {path.name}/.installed` first")
        sizes[name] = tree_bytes(path)
        print(f"{name:<20} {sizes[name] / 2**20:>8,.0f} MiB")
    training, demo = sizes.values()
    print(f"demo environment is {100 * demo / training:.1f}% of the training environment")
    for path in sorted((REPO / "demo").glob("*.onnx")):
        print(f"{path.relative_to(REPO)!s:<20} {path.stat().st_size / 1024:>8,.0f} KiB")


if __name__ == "__main__":
    main()
