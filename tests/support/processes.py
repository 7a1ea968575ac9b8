"""Python processes as the tests run them: this interpreter, output captured as text."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from .paths import REPO

TIMEOUT_S = 600


def start(
    args: Iterable[str | Path],
    cwd: Path = REPO,
    env: dict | None = None,
    python: str = sys.executable,
    **popen: object,
) -> subprocess.Popen:
    """`python *args` started in `cwd` with `env` added to this environment (and any other
    subprocess.Popen arguments)."""
    return subprocess.Popen(
        [python, *map(str, args)],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def finish(process: subprocess.Popen, timeout: float = TIMEOUT_S) -> subprocess.CompletedProcess:
    """Wait for a started process; its exit status and output."""
    stdout, stderr = process.communicate(timeout=timeout)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def run(
    args: Iterable[str | Path], timeout: float = TIMEOUT_S, **options: object
) -> subprocess.CompletedProcess:
    """`python *args` run to the end (`options` as for start()); its exit status and output."""
    return finish(start(args, **options), timeout)
