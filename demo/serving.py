"""How the app runs as a process: its limits, its address, its files, its stop. No gradio.

The limits are a public Space's: one request at a time per CPU core (the model itself
is single-threaded; Spaces sets CPU_CORES, 2 on CPU Basic), a short bounded queue,
small uploads, and images that decode to a bounded size (PIL refuses larger ones
before decoding them).
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import signal
import socket
import tempfile
from pathlib import Path

from PIL import Image

CORES_ENV = "CPU_CORES"
MAX_QUEUE_SIZE = 16
MAX_FILE_SIZE = 5 * 1024 * 1024  # bytes
MAX_PIXELS = 4096 * 4096
# Gradio keeps ~24 kB per session (a copy of the page's config, measured on 127.0.0.1)
# for 10,000 sessions by default, each new session hash a new one: 240 MB for one
# visitor who makes up hashes. The app keeps no per-session state, so 1,000 is plenty.
STATE_SESSIONS = 1000

# PIL warns about images over MAX_IMAGE_PIXELS and refuses, before decoding, those over
# twice that: so anything over MAX_PIXELS is refused (the page turns it into a message).
Image.MAX_IMAGE_PIXELS = MAX_PIXELS // 2

log = logging.getLogger("demo")


def concurrency_limit() -> int:
    """Requests run at once: one per core, CPU_CORES as Spaces sets it, else those we may use."""
    value = os.environ.get(CORES_ENV, "")
    if value.isdigit() and int(value) > 0:
        return int(value)
    if value:
        log.warning("%s is %r, not a whole number of cores; using the CPU count", CORES_ENV, value)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def private_temp_dir() -> Path:
    """A folder of this process's own for Gradio's uploads and cache, deleted at exit.

    Gradio puts uploads in GRADIO_TEMP_DIR (default: <temp>/gradio), shared with any
    other Gradio app on the machine, and leaves them behind when it stops. Pointing it at
    a fresh subfolder lets the app delete everything it received, and nothing else.
    Call before any component is built: each reads the folder when it is created.
    """
    root = os.environ.get("GRADIO_TEMP_DIR") or tempfile.gettempdir()
    folder = Path(tempfile.mkdtemp(prefix="lenet-demo-", dir=root)).absolute()
    os.environ["GRADIO_TEMP_DIR"] = str(folder)
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def stop_on_sigterm() -> None:
    """Make SIGTERM (how Spaces and Docker stop a container) leave the way Ctrl-C does.

    Python's default for SIGTERM ends the process at once, so no exit handler runs and
    uploads and model views stay on disk. As a KeyboardInterrupt, it reaches Gradio's
    wait loop, which closes the server, and then the atexit handlers delete the files.
    """

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def check_address(host: str, port: int) -> str | None:
    """Why `host:port` cannot be listened on, or None if it can.

    Gradio reports a busy port with a traceback; checking first gives one line.
    """
    try:
        family, kind, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
            probe.bind(address)
    except OSError as error:
        return error.strerror or str(error)
    return None
