"""Hostile traffic against the demo on 127.0.0.1: can one visitor take the Space down?

    report = visit(python, app_dir)     # start the app, attack it, read a drawing after
    report.problems()                   # the targets missed: [] when all are met

Starts `python app.py` in `app_dir` on a free loopback port and warms it up with one
drawing. Then it replays, one request at a time, the attacks of issue 10 and others on
the same routes, each request with BUDGET_S to answer, and records each reply, the
server's resident memory before and after (VmRSS from /proc: Linux only), and the
server log's refusals and tracebacks. Last, it sends a good drawing the way the page
does (blobs, then the queue) and through gradio_client.

The targets: memory grows by at most MAX_GROWTH_MB; every hostile request gets an HTTP
answer within BUDGET_S and none is a 5xx; the log holds no traceback; and both good
drawings are read right. Traffic goes to 127.0.0.1 only, and is bounded (about a
hundred requests, the largest body sent 21 MB). `python -m bench.hostile` prints it.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

from .app import RunningApp, app_process, sketch_of, sketchpad_value
from .paths import DEMO_DIR
from .routes import (
    API,
    NO_ANSWER,
    Reply,
    blob_fields,
    post_blob,
    post_chunked,
    post_large,
    queue_predict,
    timed,
)

BUDGET_S = 5.0  # every hostile request is answered within this
MAX_GROWTH_MB = 150  # the server's resident memory may grow this much over the attacks
# The app's disk use: at most this much more than before at any time, and back to what
# it was (within DISK_SLACK: the model views Gradio caches for drawings it answered)
# within SETTLE_S of the last attack.
MAX_DISK_GROWTH_MB = 200
DISK_SLACK = 64 * 1024
SETTLE_S = 60
GOOD_DIGIT = "5"  # examples/5.png, drawn from demo/strokes.py
MB = 1024 * 1024

# Sizes of the attacks, from the issue where it gave them.
HUGE_INDEX = "100000000"
COPIES_OF_LAYER = 30
BIG_SIDE = 4096  # a 4096x4096 PNG: 16 megapixels, the largest the app decodes
DATA_URL_MB = 200
BLOB_FLOOD_IDS = 40
BLOB_FLOOD_MB = 1
OVER_LIMIT_MB = 6  # just over the app's 5 MB upload limit
DECLARED_GB = 1
DEEP = 5000
BOMB_SIDE = 20_000  # 400 megapixels, ~0.4 MB as a PNG of zeros
LONG_ID = 10_000
SMALL_FILES = 100
HEADER_KB = 64
# Issue 20's sizes.
CHUNKED_JSON_MB = 12.6  # declared as DECLARED_SMALL bytes
CHUNKED_UPLOAD_MB = 16.8
DECLARED_SMALL = 100
STALLING_JSON_MB = 4
MANY_FILES = 1000
CUT_OFF_UPLOADS = 20
CUT_OFF_MB = 4
FULL_UPLOADS = 60
FULL_UPLOAD_MB = 5
CONCURRENT = 20


@dataclass
class Target:
    """The running app and what an attacker reads from its /config."""

    app: RunningApp
    http: httpx.Client
    port: int
    sketch: int  # the Sketchpad's component id
    predict: int  # fn_index of /predict (the Sketchpad)
    predict_upload: int  # fn_index of /predict_upload
    read: int  # fn_index of /read
    load_example: int  # fn_index of the Examples' loading function (its dataset's input)
    uploads: dict[str, str] = field(default_factory=dict)  # name -> path on the server

    def upload(self, name: str, data: bytes) -> dict:
        """A FileData for `data`, uploaded once under `name` as the page would."""
        if name not in self.uploads:
            response = self.http.post(f"{API}/upload", files=[("files", (name, data))])
            response.raise_for_status()
            self.uploads[name] = response.json()[0]
        return {"path": self.uploads[name], "meta": {"_type": "gradio.FileData"}}

    def sketch_value(self, **parts) -> dict:
        """A Sketchpad value: no background, no layers, no composite, but for `parts`."""
        return {**sketchpad_value(), **parts}


@dataclass
class Attack:
    """One kind of hostile request, sent `count` times; `source` says where it comes from."""

    name: str
    source: str
    count: int
    send: Callable[[Target, int], Reply | list[Reply]]  # a list: requests sent at once
    replies: list[Reply] = field(default_factory=list)


def png(image: Image.Image) -> bytes:
    """`image` encoded as PNG."""
    buffer = io.BytesIO()
    image.save(buffer, format="png")
    return buffer.getvalue()


TINY_PNG = png(Image.new("RGBA", (8, 8)))


def data_url_body(fn_index: int, payload_chunks: Iterator[bytes], payload_len: int):
    """(length, chunks) of a /queue/join body whose one file is a data: URL."""
    head = b'{"data":[{"path":null,"url":"data:image/png;base64,'
    tail = f'","meta":{{"_type":"gradio.FileData"}}}}],"fn_index":{fn_index},'
    tail += f'"session_hash":"{secrets.token_hex(6)}"}}'

    def chunks() -> Iterator[bytes]:
        yield head
        yield from payload_chunks
        yield tail.encode()

    return len(head) + payload_len + len(tail.encode()), chunks()


def post_data_url(target: Target, payload_chunks: Iterator[bytes], payload_len: int) -> Reply:
    """/predict_upload through the queue with a data: URL of `payload_len` bytes as the image."""
    body = data_url_body(target.predict_upload, payload_chunks, payload_len)
    return post_large(target.port, "/queue/join", "application/json", *body, BUDGET_S)


def filler(total: int, chunk: int = MB) -> Iterator[bytes]:
    """`total` bytes of base64 'A's, a chunk at a time (the client never holds them all)."""
    block = b"A" * chunk
    for start in range(0, total, chunk):
        yield block[: min(chunk, total - start)]


def noise_png_base64() -> bytes:
    """A 16-megapixel PNG of noise as base64 (~21 MB): a data: URL that really decodes."""
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (BIG_SIDE, BIG_SIDE), dtype=np.uint8)
    return base64.b64encode(png(Image.fromarray(pixels)))


def blob(target: Target, kind: str, index: str = "null", **overrides) -> Reply:
    """One accept_blobs form with a tiny PNG, the page's fields but for `overrides`."""
    fields = {**blob_fields(target.sketch, secrets.token_hex(5), kind, index), **overrides}
    return post_blob(target.http, fields, [(f"{kind}.png", TINY_PNG)])


def multipart_body(name: str, data: bytes, fields: dict[str, str]) -> tuple[str, bytes]:
    """(content type, body) of a form with `fields` and one file, built by httpx."""
    request = httpx.Request("POST", "/", data=fields, files=[(name, ("f.png", data))])
    return request.headers["content-type"], request.read()


def large_form(target: Target, path: str, name: str, size: int, fields: dict) -> Reply:
    """A form with a `size`-byte file under `name`, sent with Expect: 100-continue."""
    content_type, body = multipart_body(name, bytes(size), fields)
    return post_large(target.port, path, content_type, len(body), [body], BUDGET_S)


def sse_predict(target: Target, fn_index: int, value) -> Reply:
    """`value` for function `fn_index` through the queue, in a fresh session."""
    return queue_predict(target.http, fn_index, [value], secrets.token_hex(6), BUDGET_S)


def attacks() -> list[Attack]:
    """Every attack, in the order sent: the issue's first."""
    issue, other = "issue 10", "other"
    big = png(Image.new("L", (BIG_SIDE, BIG_SIDE)))
    noise = noise_png_base64()
    layer = blob_fields  # shorthand below
    return [
        Attack(
            "blob: layer index 1e8",
            issue,
            3,
            lambda t, i: post_blob(
                t.http, layer(t.sketch, f"big{i}", "layer", HUGE_INDEX), [("l.png", TINY_PNG)]
            ),
        ),
        Attack(
            "blob: layer index 1e8, foreign Origin",
            issue,
            1,
            lambda t, i: timed(
                t.http.post,
                f"{API}/component_server",
                data=layer(t.sketch, "origin", "layer", HUGE_INDEX),
                files=[("file", ("l.png", TINY_PNG))],
                headers={"Origin": "https://attacker.example"},
            ),
        ),
        Attack(
            f"predict: {COPIES_OF_LAYER} layers of a {BIG_SIDE}x{BIG_SIDE} PNG",
            issue,
            2,
            lambda t, i: sse_predict(
                t,
                t.predict,
                t.sketch_value(
                    layers=[t.upload("big.png", big)] * COPIES_OF_LAYER,
                    composite=t.upload("big.png", big),
                ),
            ),
        ),
        Attack(
            f"predict_upload: {DATA_URL_MB} MB data: URL",
            issue,
            2,
            lambda t, i: post_data_url(t, filler(DATA_URL_MB * MB), DATA_URL_MB * MB),
        ),
        Attack(
            f"predict_upload: data: URL of a {BIG_SIDE}x{BIG_SIDE} noise PNG",
            issue,
            2,
            lambda t, i: post_data_url(t, iter([noise]), len(noise)),
        ),
        Attack(
            "queue: unknown fn_index (999, -1)",
            issue,
            2,
            lambda t, i: timed(
                t.http.post,
                f"{API}/queue/join",
                json={"data": [None], "fn_index": [999, -1][i], "session_hash": "h"},
            ),
        ),
        Attack(
            "API: unknown api_name (/call, /run, /api, /call/v2)",
            issue,
            4,
            lambda t, i: timed(
                t.http.post, f"{API}/{['call', 'run', 'api', 'call/v2'][i]}/nope", json={"data": []}
            ),
        ),
        Attack("blob: negative layer index", other, 1, lambda t, i: blob(t, "layer", "-5")),
        Attack("blob: text layer index", other, 1, lambda t, i: blob(t, "layer", "abc")),
        Attack("blob: layer index 1", other, 1, lambda t, i: blob(t, "layer", "1")),
        Attack("blob: unknown blob type", other, 1, lambda t, i: blob(t, "mask")),
        Attack(
            "blob: unknown component",
            other,
            1,
            lambda t, i: blob(t, "composite", component_id="9999"),
        ),
        Attack(
            "blob: not a server function",
            other,
            1,
            lambda t, i: blob(t, "composite", fn_name="__init__"),
        ),
        Attack(
            "blob: no file",
            other,
            1,
            lambda t, i: post_blob(t.http, layer(t.sketch, "nofile", "composite"), None),
        ),
        Attack(
            "blob: two files",
            other,
            1,
            lambda t, i: post_blob(
                t.http, layer(t.sketch, "two", "composite"), [("a.png", TINY_PNG)] * 2
            ),
        ),
        Attack(
            f"blob: {LONG_ID:,}-character id",
            other,
            1,
            lambda t, i: blob(t, "composite", id="x" * LONG_ID),
        ),
        Attack(
            f"blob: {BLOB_FLOOD_MB} MB composites under fresh ids",
            other,
            BLOB_FLOOD_IDS,
            lambda t, i: post_blob(
                t.http,
                layer(t.sketch, f"flood{i}", "composite"),
                [("c.png", secrets.token_bytes(BLOB_FLOOD_MB * MB))],
            ),
        ),
        Attack(
            "blob: JSON body",
            other,
            1,
            lambda t, i: timed(
                t.http.post,
                f"{API}/component_server",
                json={"component_id": t.sketch, "fn_name": "accept_blobs", "data": {}},
            ),
        ),
        Attack(
            f"blob: {OVER_LIMIT_MB} MB file",
            other,
            1,
            lambda t, i: large_form(
                t,
                "/component_server",
                "file",
                OVER_LIMIT_MB * MB,
                layer(t.sketch, "large", "composite"),
            ),
        ),
        Attack(
            f"upload: {OVER_LIMIT_MB} MB file",
            other,
            1,
            lambda t, i: large_form(t, "/upload", "files", OVER_LIMIT_MB * MB, {}),
        ),
        Attack(
            f"queue: {DECLARED_GB} GB declared body",
            other,
            1,
            lambda t, i: post_large(
                t.port, "/queue/join", "application/json", DECLARED_GB << 30, iter([]), BUDGET_S
            ),
        ),
        Attack(
            "upload: chunked body, no Content-Length",
            other,
            1,
            lambda t, i: timed(
                t.http.post,
                f"{API}/upload",
                content=iter([b"--x\r\n", b"chunk\r\n"]),
                headers={"content-type": "multipart/form-data; boundary=x"},
            ),
        ),
        Attack(
            f"upload: {SMALL_FILES} files in one request",
            other,
            1,
            lambda t, i: timed(
                t.http.post,
                f"{API}/upload",
                files=[("files", (f"{n}.png", TINY_PNG)) for n in range(SMALL_FILES)],
            ),
        ),
        Attack(
            f"JSON: {DEEP:,} levels deep",
            other,
            1,
            lambda t, i: timed(
                t.http.post,
                f"{API}/queue/join",
                content=b"[" * DEEP + b"]" * DEEP,
                headers={"content-type": "application/json"},
            ),
        ),
        Attack(
            "JSON: 100 levels deep",
            other,
            1,
            lambda t, i: timed(
                t.http.post, f"{API}/queue/join", json={"data": [json.loads("[" * 99 + "]" * 99)]}
            ),
        ),
        Attack(
            "JSON: not JSON",
            other,
            1,
            lambda t, i: timed(
                t.http.post,
                f"{API}/queue/join",
                content=b"\xff\xfe{not json",
                headers={"content-type": "application/json"},
            ),
        ),
        Attack(
            "queue: no session hash",
            other,
            1,
            lambda t, i: timed(
                t.http.post, f"{API}/queue/join", json={"data": [None], "fn_index": t.predict}
            ),
        ),
        Attack(
            "predict: a path outside the uploads (/etc/passwd)",
            other,
            1,
            lambda t, i: sse_predict(
                t, t.predict, t.sketch_value(composite={"path": "/etc/passwd"})
            ),
        ),
        Attack(
            "predict: an upload path with ../",
            other,
            1,
            lambda t, i: sse_predict(
                t,
                t.predict,
                t.sketch_value(
                    composite={"path": t.upload("tiny.png", TINY_PNG)["path"] + "/../../../etc"}
                ),
            ),
        ),
        Attack(
            "predict: a remote URL (cloud metadata)",
            other,
            1,
            lambda t, i: sse_predict(
                t,
                t.predict,
                t.sketch_value(composite={"path": None, "url": "http://169.254.169.254/"}),
            ),
        ),
        Attack(
            f"predict_upload: a {BOMB_SIDE:,}x{BOMB_SIDE:,} PNG (decompression bomb)",
            other,
            1,
            lambda t, i: sse_predict(
                t, t.predict_upload, t.upload("bomb.png", png(Image.new("1", (BOMB_SIDE,) * 2)))
            ),
        ),
        Attack(
            "predict: a string for the Sketchpad",
            other,
            1,
            lambda t, i: sse_predict(t, t.predict, "not a drawing"),
        ),
        Attack(
            "file route: /etc/passwd",
            other,
            1,
            lambda t, i: timed(t.http.get, f"{API}/file=/etc/passwd"),
        ),
        Attack(
            "file route: the app's source",
            other,
            1,
            lambda t, i: timed(t.http.get, f"{API}/file={DEMO_DIR / 'app.py'}"),
        ),
        Attack(
            "proxy route: cloud metadata",
            other,
            1,
            lambda t, i: timed(t.http.get, f"{API}/proxy=http://169.254.169.254/latest"),
        ),
        Attack(
            f"{HEADER_KB} kB header",
            other,
            1,
            lambda t, i: timed(t.http.get, "/config", headers={"x-big": "x" * (HEADER_KB << 10)}),
        ),
        Attack(
            "cancel: garbage",
            other,
            1,
            lambda t, i: timed(
                t.http.post, f"{API}/cancel", json={"event_id": [1], "session_hash": {}}
            ),
        ),
        *issue_20_attacks(big),
    ]


def issue_20_attacks(big: bytes) -> list[Attack]:
    """Issue 20's attacks: bodies longer than declared, the queue filled, disk filled,
    and the two requests that got a 500 and a traceback."""
    issue = "issue 20"
    mb = lambda size: int(size * MB)  # noqa: E731
    json_type, form = "application/json", "multipart/form-data; boundary=x"
    return [
        Attack(
            f"queue: {CONCURRENT} concurrent predictions of a {BIG_SIDE}x{BIG_SIDE} PNG, "
            "one session",
            issue,
            1,
            lambda t, i: concurrent_predictions(t, big),
        ),
        Attack(
            f"JSON: {CHUNKED_JSON_MB} MB chunked, declared as {DECLARED_SMALL} bytes",
            issue,
            1,
            lambda t, i: post_chunked(
                t.port,
                "/queue/join",
                json_type,
                filler(mb(CHUNKED_JSON_MB), 65536),
                BUDGET_S,
                declared=DECLARED_SMALL,
            ),
        ),
        Attack(
            f"JSON: {STALLING_JSON_MB} MB chunked, no length",
            issue,
            1,
            lambda t, i: post_chunked(
                t.port, "/queue/join", json_type, filler(mb(STALLING_JSON_MB), 65536), BUDGET_S
            ),
        ),
        Attack(
            f"upload: {CHUNKED_UPLOAD_MB} MB chunked, declared as {DECLARED_SMALL} bytes",
            issue,
            1,
            lambda t, i: post_chunked(
                t.port,
                "/upload",
                form,
                form_chunks(mb(CHUNKED_UPLOAD_MB)),
                BUDGET_S,
                declared=DECLARED_SMALL,
            ),
        ),
        Attack(
            f"MCP: {CHUNKED_JSON_MB} MB chunked",
            issue,
            1,
            lambda t, i: post_chunked(
                t.port, "/mcp/", json_type, filler(mb(CHUNKED_JSON_MB), 65536), BUDGET_S
            ),
        ),
        Attack(
            f"upload: {MANY_FILES:,} files in one request",
            issue,
            1,
            lambda t, i: timed(
                t.http.post,
                f"{API}/upload",
                files=[("files", (f"{n}.png", TINY_PNG)) for n in range(MANY_FILES)],
            ),
        ),
        Attack(
            f"upload: cut off after {CUT_OFF_MB} MB",
            issue,
            CUT_OFF_UPLOADS,
            lambda t, i: post_chunked(
                t.port,
                "/upload",
                form,
                form_chunks(mb(CUT_OFF_MB), close=False),
                BUDGET_S,
                cut_off=True,
            ),
        ),
        Attack(
            f"upload: {FULL_UPLOADS} uploads of {FULL_UPLOAD_MB} MB",
            issue,
            FULL_UPLOADS,
            lambda t, i: timed(
                t.http.post,
                f"{API}/upload",
                files=[("files", (f"{i}.png", bytes(mb(FULL_UPLOAD_MB) - 1024)))],
            ),
        ),
        Attack(
            "run/predict: an example row of 999999",
            issue,
            1,
            lambda t, i: timed(
                t.http.post,
                f"{API}/run/predict",
                json={"data": [999999], "fn_index": t.load_example},
            ),
        ),
        Attack(
            "queue/data: an unknown session",
            issue,
            1,
            lambda t, i: timed(
                t.http.get, f"{API}/queue/data", params={"session_hash": "nobody" + str(i)}
            ),
        ),
        Attack(
            "read: a loopback URL",
            issue,
            1,
            lambda t, i: sse_predict(
                t,
                t.read,
                {"path": "http://127.0.0.1:1/x.png", "meta": {"_type": "gradio.FileData"}},
            ),
        ),
        Attack(
            "read: a link-local URL (cloud metadata)",
            issue,
            1,
            lambda t, i: sse_predict(
                t,
                t.read,
                {"path": "http://169.254.169.254/latest", "meta": {"_type": "gradio.FileData"}},
            ),
        ),
    ]


def form_chunks(size: int, close: bool = True) -> Iterator[bytes]:
    """A multipart/form-data body (boundary 'x') holding one `size`-byte file, in chunks."""
    yield b'--x\r\nContent-Disposition: form-data; name="files"; filename="a.png"\r\n\r\n'
    yield from (block.replace(b"A", b"\0") for block in filler(size, 65536))
    if close:
        yield b"\r\n--x--\r\n"


def concurrent_predictions(target: Target, big: bytes) -> list[Reply]:
    """CONCURRENT predictions of `big` at once through one gradio_client Client (one
    session, one event stream, each file uploaded first); every one's Reply."""
    from gradio_client import Client, handle_file

    client = Client(target.app.url, verbose=False)
    with tempfile.NamedTemporaryFile(suffix=".png") as file:
        file.write(big)
        file.flush()

        def one(n: int) -> Reply:
            start = time.perf_counter()
            try:
                reading = client.predict(handle_file(file.name), api_name="/read")
                return Reply(200, time.perf_counter() - start, json.dumps(reading)[:100])
            except httpx.HTTPStatusError as error:  # refused at the queue's door
                status = error.response.status_code
                return Reply(status, time.perf_counter() - start, error.response.text[:100])
            except Exception as error:  # anything else is recorded as no answer
                note = f"{type(error).__name__}: {error}"[:100]
                return Reply(NO_ANSWER, time.perf_counter() - start, note)

        with ThreadPoolExecutor(CONCURRENT) as pool:
            return list(pool.map(one, range(CONCURRENT)))


def resident_mb(pid: int) -> dict[str, float]:
    """VmRSS (now) and VmHWM (peak) of process `pid`, in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024  # kB
    return values


def connect(app: RunningApp) -> Target:
    """What an attacker learns from /config: the Sketchpad's id and the functions' indices."""
    http = httpx.Client(base_url=app.url.rstrip("/"), timeout=BUDGET_S)
    config = http.get("/config").json()
    sketch = next(c["id"] for c in config["components"] if c["type"] == "imageeditor")
    fns = {d["api_name"]: d["id"] for d in config["dependencies"] if d.get("api_name")}
    dataset = next(c["id"] for c in config["components"] if c["type"] == "dataset")
    load_example = next(d["id"] for d in config["dependencies"] if d["inputs"] == [dataset])
    port = int(app.url.rstrip("/").rsplit(":", 1)[1])
    return Target(
        app, http, port, sketch, fns["predict"], fns["predict_upload"], fns["read"], load_example
    )


def page_drawing(target: Target) -> str:
    """The label for examples/5.png sent as the page sends a stroke: blobs, then {id}."""
    drawing = (DEMO_DIR / "examples" / f"{GOOD_DIGIT}.png").read_bytes()
    blank = png(Image.new("RGBA", Image.open(io.BytesIO(drawing)).size))
    blob_id = secrets.token_hex(5)
    for kind, index, data in (("background", "null", blank), ("composite", "null", drawing)):
        fields = blob_fields(target.sketch, blob_id, kind, index)
        reply = post_blob(target.http, fields, [(f"{kind}.png", data)])
        assert reply.status == 200, reply
    fields = blob_fields(target.sketch, blob_id, "layer", "0")
    assert post_blob(target.http, fields, [("layer_0.png", drawing)]).status == 200
    reply = sse_predict(target, target.predict, {"id": blob_id})
    return json.loads(reply.note)[0]["label"] if reply.status == 200 else f"no label: {reply}"


def client_drawing(target: Target) -> str:
    """The label for examples/5.png sent through gradio_client, as the tests send it."""
    from gradio_client import Client

    label, *_ = Client(target.app.url, verbose=False).predict(
        sketch_of(DEMO_DIR / "examples" / f"{GOOD_DIGIT}.png"), api_name="/predict"
    )
    return label["label"]


@dataclass
class HostileReport:
    """What one hostile visit did to the app: every reply, memory, the log, good drawings."""

    attacks: list[Attack]
    memory_before: dict[str, float]  # VmRSS and VmHWM in MB
    memory_after: dict[str, float]
    warm_label: str  # the good drawing, read before the attacks
    labels_after: dict[str, str]  # ... and after, through the page's route and the API
    refusals: int  # the guard's and the app's one-line refusals in the server log
    tracebacks: int
    disk_before: int  # bytes in the app's temporary folder before the attacks
    disk_peak: int  # ... the most, measured after each attack
    disk_after: int  # ... once it settled (or SETTLE_S after the attacks)
    settled_s: float  # seconds from the end of the attacks until it settled

    @property
    def requests(self) -> int:
        return sum(len(attack.replies) for attack in self.attacks)

    @property
    def growth_mb(self) -> float:
        return self.memory_after["VmRSS"] - self.memory_before["VmRSS"]

    @property
    def slowest_s(self) -> float:
        return max(reply.seconds for attack in self.attacks for reply in attack.replies)

    def unanswered(self) -> list[str]:
        """Each request that got no HTTP answer or a 5xx, with what it got."""
        return [
            f"{attack.name}: {reply.status or 'no answer'} ({reply.note})"
            for attack in self.attacks
            for reply in attack.replies
            if reply.status == NO_ANSWER or reply.status >= 500
        ]

    def problems(self) -> list[str]:
        """The targets missed, one line each; empty when every target is met."""
        problems = [f"no answer or 5xx: {line}" for line in self.unanswered()]
        problems += [
            f"over {BUDGET_S} s: {attack.name}: {reply.seconds:.1f} s"
            for attack in self.attacks
            for reply in attack.replies
            if reply.status != NO_ANSWER and reply.status < 500 and reply.seconds > BUDGET_S
        ]
        if self.growth_mb > MAX_GROWTH_MB:
            problems.append(f"memory grew {self.growth_mb:.0f} MB")
        if self.disk_peak - self.disk_before > MAX_DISK_GROWTH_MB * MB:
            problems.append(f"disk use grew {(self.disk_peak - self.disk_before) / MB:.0f} MB")
        if self.disk_after - self.disk_before > DISK_SLACK:
            problems.append(
                f"disk use still {(self.disk_after - self.disk_before) / MB:.1f} MB over "
                f"{SETTLE_S} s after the attacks"
            )
        if self.tracebacks:
            problems.append(f"{self.tracebacks} tracebacks in the server log")
        problems += [
            f"{how} drawing read as {label!r}"
            for how, label in self.labels_after.items()
            if label != GOOD_DIGIT
        ]
        return problems


def disk_use(folder: Path) -> int:
    """Bytes in the files under `folder` (files vanishing meanwhile count as gone)."""
    total = 0
    for path in folder.rglob("*"):
        with contextlib.suppress(OSError):
            total += path.stat().st_size if path.is_file() else 0
    return total


def visit(python: str, app_dir: Path = DEMO_DIR) -> HostileReport:
    """Start the app in `app_dir` under `python`, attack it, and report what it did."""
    with (
        tempfile.TemporaryDirectory(prefix="hostile-") as temp,
        app_process(python, env={"GRADIO_TEMP_DIR": temp}, app_dir=app_dir) as app,
    ):
        target = connect(app)
        warm = page_drawing(target)
        before = resident_mb(app.process.pid)
        disk_before = disk_peak = disk_use(Path(temp))
        sent = attacks()
        for attack in sent:
            for i in range(attack.count):
                reply = attack.send(target, i)
                attack.replies += reply if isinstance(reply, list) else [reply]
            disk_peak = max(disk_peak, disk_use(Path(temp)))
        time.sleep(1)  # let the server finish what it was sent
        after = resident_mb(app.process.pid)
        ended = time.monotonic()
        while (disk_after := disk_use(Path(temp))) > disk_before + DISK_SLACK:
            if time.monotonic() - ended > SETTLE_S:
                break
            time.sleep(1)
        settled_s = time.monotonic() - ended
        labels = {"page": page_drawing(target), "gradio_client": client_drawing(target)}
        log = app.log()
    refusals = log.count("INFO demo.guard: refused") + log.count("INFO demo: refused")
    return HostileReport(
        sent,
        before,
        after,
        warm,
        labels,
        refusals,
        log.count("Traceback"),
        disk_before,
        disk_peak,
        disk_after,
        settled_s,
    )


def assert_survived(report: HostileReport) -> None:
    """Every target of a hostile visit met, each checked on its own figure."""
    assert report.requests >= 80, report.requests
    assert report.unanswered() == []  # every request got an HTTP answer, none a 5xx
    assert report.slowest_s <= BUDGET_S
    assert report.growth_mb <= MAX_GROWTH_MB, report.memory_after
    assert report.disk_peak - report.disk_before <= MAX_DISK_GROWTH_MB * MB
    assert report.disk_after - report.disk_before <= DISK_SLACK, report.settled_s
    assert report.tracebacks == 0
    assert report.refusals > 0  # refused in one log line each
    assert report.warm_label == GOOD_DIGIT
    assert report.labels_after == {"page": GOOD_DIGIT, "gradio_client": GOOD_DIGIT}
    assert report.problems() == []
