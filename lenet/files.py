"""Files written so that a crash, a kill or a full disk leaves the old file or the new one."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

READ_BLOCK = 1 << 20  # bytes hashed at a time


class WriteError(OSError):
    """A file or folder could not be written (full disk, no permission, ...); the message says
    which and why, and any file that was there before is intact."""


def atomic_write(path: str | Path, data: bytes) -> None:
    """Write `data` to `path` through a temp file in the same folder, fsynced, then renamed
    over `path` with os.replace (atomic on POSIX). Raises WriteError, old file intact."""
    path = Path(path)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # make the rename itself durable
        finally:
            os.close(dir_fd)
    except BaseException as exc:  # a Ctrl-C or a kill mid-write too: no temp file left behind
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise WriteError(f"could not write {path}: {exc.strerror or exc}") from None
        raise


def check_writable(folder: str | Path) -> None:
    """Create `folder` if needed and write a file in it, or raise WriteError.

    Trying is the only sure test: root ignores permission bits, but not a read-only
    mount or an immutable folder (chattr +i).
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder) as probe:
            probe.write(b"\0")
            probe.flush()
    except OSError as exc:
        raise WriteError(f"cannot write in {folder}: {exc.strerror or exc}") from None


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(READ_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()
