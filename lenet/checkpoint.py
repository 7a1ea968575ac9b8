"""Checkpoints that rebuild themselves, written crash-safely.

A checkpoint is a plain dict of tensors and primitives, so it loads with
`torch.load(..., weights_only=True)`: model config and weights, the training
config, optimizer/scheduler/RNG state (so a run resumes exactly) and the
per-epoch history.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

import torch

FORMAT = "lenet5-mnist-checkpoint"
VERSION = 1
CHECKPOINT_NAME = "checkpoint.pt"


class CheckpointError(RuntimeError):
    """A checkpoint file is missing, corrupt or not one of ours."""


def atomic_write_bytes(path: Path, write: Any) -> None:
    """Write a file so that a crash leaves either the old file or the new one.

    `write(f)` writes into a temp file in the same folder, which is fsynced
    and then renamed over `path` with os.replace (atomic on POSIX).
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # make the rename itself durable
    finally:
        os.close(dir_fd)


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> None:
    """Save `payload` (tagged with our format) crash-safely to `path`."""
    data = {"format": FORMAT, "version": VERSION, **payload}
    atomic_write_bytes(Path(path), lambda f: torch.save(data, f))


def resolve_checkpoint_path(path: str | Path) -> Path:
    """Accept a checkpoint file or a run folder that holds one."""
    path = Path(path).expanduser()
    if path.is_dir():
        path = path / CHECKPOINT_NAME
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    return path


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load and validate a checkpoint (file or run folder), with weights_only=True."""
    path = resolve_checkpoint_path(path)
    try:
        data = torch.load(path, map_location=map_location, weights_only=True)
    except Exception:  # unpickling errors come in many types
        raise CheckpointError(
            f"{path} is not a readable checkpoint (corrupt, truncated or not written by train.py)"
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a LeNet-5 MNIST checkpoint written by train.py")
    if data.get("version") != VERSION:
        raise CheckpointError(
            f"{path} has checkpoint version {data.get('version')}, expected {VERSION}"
        )
    return data


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
