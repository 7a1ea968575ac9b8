"""One client flooding the app: is another visitor still answered, and is disk bounded?

    report = fair_share(python)     # start the app, measure a visitor alone and under load
    report.phases["one session"].p95_s
    disk = upload_flood(python)     # one client uploading as fast as it can for a minute

Starts `python app.py` on a free loopback port. A visitor draws (the page's requests:
blobs, then the queue) VISITS times, one after another, first alone, then while an
attacker keeps CONCURRENT predictions of the largest image the app takes (a 16-megapixel
PNG, uploaded before each, as gradio_client does) going at once: from one session, as one
gradio_client Client sends them, then from CONCURRENT sessions of their own. Each phase
is bounded in requests and time; traffic goes to 127.0.0.1 only. The machine's load
average is recorded with the figures, since other work on its cores slows everything.
The attacker runs as a process of its own at the lowest CPU priority: on a Space its
CPU is not the server's.

upload_flood: one client uploads 4.9 MB files back to back for a minute through the
upload route, never reading them; the app's temporary folder is measured meanwhile and
a minute after.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

from .app import app_process
from .hostile import BIG_SIDE, CONCURRENT, connect, disk_use, page_drawing, png
from .paths import DEMO_DIR, REPO
from .routes import API, queue_predict

VISITS = 10
TARGET_P95_S = 2.0
PAUSE_S = 0.3  # between a visitor's drawings
WARM_UP_S = 3.0  # the attack runs this long before the visitor starts
PHASE_LIMIT_S = 120
ATTACK_BUDGET_S = 60.0  # one attacking request's own limit


@dataclass
class Phase:
    """A visitor's drawings in one phase, and what the attacker got meanwhile."""

    seconds: list[float] = field(default_factory=list)  # each drawing's answer time
    labels: list[str] = field(default_factory=list)
    answered: int = 0  # the attacker's predictions that were read
    refused: int = 0  # ... refused (429: too many in flight; 503: queue full)
    other: int = 0

    @property
    def p50_s(self) -> float:
        return float(np.percentile(self.seconds, 50))

    @property
    def p95_s(self) -> float:
        return float(np.percentile(self.seconds, 95))


@dataclass
class ShareReport:
    phases: dict[str, Phase]
    load_before: tuple[float, float, float]  # the machine's load average (1, 5, 15 min)
    load_after: tuple[float, float, float]
    big_png_bytes: int


def big_drawing() -> bytes:
    """A 4096x4096 PNG of a drawn 8: the largest image the app decodes (16 megapixels)."""
    digit = Image.open(DEMO_DIR / "examples" / "8.png").convert("L")
    return png(digit.resize((BIG_SIDE, BIG_SIDE), Image.Resampling.NEAREST))


def attack(url: str, read: int, big: bytes, sessions: int, stop: threading.Event, phase: Phase):
    """CONCURRENT workers predicting `big` until `stop`, from `sessions` sessions."""
    lock = threading.Lock()

    def count(ok: bool, status: int) -> None:
        with lock:
            if ok:
                phase.answered += 1
            elif status in (429, 503):
                phase.refused += 1
            else:
                phase.other += 1

    if sessions == 1:  # one gradio_client Client: one session, one event stream
        from gradio_client import Client, handle_file

        client = Client(url, verbose=False)
        with tempfile.NamedTemporaryFile(suffix=".png", delete=False) as file:
            file.write(big)

        def worker(n: int) -> None:
            while not stop.is_set():
                try:
                    client.predict(handle_file(file.name), api_name="/read")
                    count(True, 200)
                except Exception as error:  # the refusals: counted, then tried again
                    status = getattr(getattr(error, "response", None), "status_code", 0)
                    count(False, status)
                    time.sleep(0.05)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(CONCURRENT)]
        for thread in threads:
            thread.start()
        return threads

    def worker(n: int) -> None:
        session = secrets.token_hex(6)
        with httpx.Client(base_url=url.rstrip("/"), timeout=ATTACK_BUDGET_S) as http:
            while not stop.is_set():
                uploaded = http.post(f"{API}/upload", files=[("files", (f"{n}.png", big))])
                if uploaded.status_code == 200:
                    value = {"path": uploaded.json()[0], "meta": {"_type": "gradio.FileData"}}
                    reply = queue_predict(http, read, [value], session, ATTACK_BUDGET_S)
                    status, ok = reply.status, '"number"' in reply.note
                else:
                    status, ok = uploaded.status_code, False
                count(ok, status)
                if not ok:
                    time.sleep(0.05)  # a refused client tries again at once, nearly

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(CONCURRENT)]
    for thread in threads:
        thread.start()
    return threads


def attacker(url: str, read: int, sessions: int) -> None:
    """The attack as a process of its own (`python -m tests.support.flood URL READ
    SESSIONS`), at the lowest CPU priority, until its stdin closes; then its counts as
    JSON on stdout. On a Space the attacker's CPU is not the server's; here both share
    two cores, so the attacker yields them first."""
    os.nice(19)
    phase, stop = Phase(), threading.Event()
    threads = attack(url, read, big_drawing(), sessions, stop, phase)
    sys.stdin.read()  # until the parent closes it
    stop.set()
    for thread in threads:
        thread.join()
    print(json.dumps({"answered": phase.answered, "refused": phase.refused, "other": phase.other}))


def visit(target, phase: Phase, deadline: float) -> None:
    """The visitor's VISITS drawings, timed."""
    for _ in range(VISITS):
        if time.monotonic() > deadline:
            return
        start = time.perf_counter()
        phase.labels.append(page_drawing(target))
        phase.seconds.append(time.perf_counter() - start)
        time.sleep(PAUSE_S)


def fair_share(python: str, app_dir=DEMO_DIR) -> ShareReport:
    """A visitor alone, then under one session's flood, then under CONCURRENT sessions'."""
    big = big_drawing()
    load_before = os.getloadavg()
    phases = {}
    with app_process(python, app_dir=app_dir) as app:
        target = connect(app)
        page_drawing(target)  # warm up
        phases["alone"] = Phase()
        visit(target, phases["alone"], time.monotonic() + PHASE_LIMIT_S)
        for name, sessions in (("one session", 1), (f"{CONCURRENT} sessions", CONCURRENT)):
            phase = phases[name] = Phase()
            command = [sys.executable, "-m", "tests.support.flood", app.url]
            with subprocess.Popen(
                [*command, str(target.read), str(sessions)],
                cwd=REPO,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            ) as child:
                time.sleep(WARM_UP_S)
                visit(target, phase, time.monotonic() + PHASE_LIMIT_S)
                out, _ = child.communicate("", timeout=PHASE_LIMIT_S)
            counts = json.loads(out.strip().splitlines()[-1])
            phase.answered, phase.refused = counts["answered"], counts["refused"]
            phase.other = counts["other"]
    return ShareReport(phases, load_before, os.getloadavg(), len(big))


@dataclass
class DiskReport:
    """One client uploading as fast as it can: what the app's disk use did."""

    seconds: float  # how long it uploaded
    accepted: int
    refused: int  # 429: the quota of unread uploads was full
    upload_mb: float  # the size of each upload
    before: int  # bytes in the app's temporary folder before
    peak: int  # the most, sampled every DISK_SAMPLE_S
    after: int  # AFTER_S after the client stopped
    after_s: float


FLOOD_S = 60
AFTER_S = 60
DISK_SAMPLE_S = 0.5
FLOOD_MB = 5 - 0.1  # just under the upload limit


def upload_flood(python: str, seconds: float = FLOOD_S, app_dir=DEMO_DIR) -> DiskReport:
    """One client uploading FLOOD_MB files back to back for `seconds`; the app's disk
    use sampled meanwhile, and AFTER_S after it stops."""
    data = bytes(int(FLOOD_MB * 1024 * 1024))
    accepted = refused = 0
    with (
        tempfile.TemporaryDirectory(prefix="flood-") as temp,
        app_process(python, env={"GRADIO_TEMP_DIR": temp}, app_dir=app_dir) as app,
        httpx.Client(base_url=app.url.rstrip("/"), timeout=30) as http,
    ):
        folder = Path(temp)
        before = peak = disk_use(folder)
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not stop.is_set():
                peak = max(peak, disk_use(folder))
                time.sleep(DISK_SAMPLE_S)

        sampler = threading.Thread(target=sample)
        sampler.start()
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            # Each file different: Gradio stores equal contents once.
            unique = secrets.token_bytes(16) + data[16:]
            reply = http.post(f"{API}/upload", files=[("files", ("flood.png", unique))])
            if reply.status_code == 200:
                accepted += 1
            else:
                refused += 1
        elapsed = time.monotonic() - start
        time.sleep(AFTER_S)
        stop.set()
        sampler.join()
        after = disk_use(folder)
    return DiskReport(elapsed, accepted, refused, FLOOD_MB, before, peak, after, AFTER_S)


if __name__ == "__main__":
    attacker(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
