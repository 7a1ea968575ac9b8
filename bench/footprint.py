"""Footprint: the demo's environment against the training environment, and the model files.

    make .venv/.installed .venv-demo/.installed   # both environments, if not built yet
    python -m bench.footprint

The demo environment is what the Space installs: demo/requirements.txt plus
Gradio (no torch). The training environment is requirements.txt.
"""

from __future__ import annotations

import os
from pathlib import Path

from bench import harness
from lenet.cli import die
from tests.support.paths import DEMO_DIR, REPO


def tree_bytes(path: Path) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            file = Path(root) / name
            if not file.is_symlink():
                total += file.stat().st_size
    return total


def footprint() -> harness.Table:
    """The size of each environment, the demo's share, and each ONNX model file."""
    environments = {"training (.venv)": REPO / ".venv", "demo (.venv-demo)": REPO / ".venv-demo"}
    sizes = {}
    table = harness.Table("", ["environment or file", "size"])
    for name, path in environments.items():
        if not path.is_dir():
            die(f"{path} is missing: run `make {path.name}/.installed` first")
        sizes[name] = tree_bytes(path)
        table.add(name, f"{sizes[name] / 2**20:,.0f} MiB")
    for path in sorted(DEMO_DIR.glob("*.onnx")):
        table.add(str(path.relative_to(REPO)), f"{path.stat().st_size / 1024:,.0f} KiB")
    training, demo = sizes.values()
    table.notes.append(
        f"demo environment is {100 * demo / training:.1f}% of the training environment"
    )
    return table


def main() -> None:
    harness.parser(__doc__).parse_args()
    harness.show(footprint())


if __name__ == "__main__":
    main()
