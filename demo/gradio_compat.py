"""Everything the app does with Gradio beyond its public API, in one place, for Gradio 6.31.0.

The app's page (app.py) uses Gradio's documented API only. What it needs beyond that
is here, because each piece can break silently on the next Gradio release. Written
against Gradio 6.31.0, the Space's `sdk_version` (README.md); `check_gradio_version`
refuses to start under any other version, in one line, unless LENET_ANY_GRADIO=1 says
to try anyway; tests/test_gradio_compat.py exercises each item below, so an upgrade
fails there first. The internals touched:

 1. The `/gradio_api` routes and their payloads: `fn_index` or the API name in the path,
    positional `data`, file references as FileData dicts (RequestGuard).
 2. The fields of the Sketchpad's `accept_blobs` form: id, type, index, component_id,
    fn_name, session_hash (RequestGuard.check_blob).
 3. `Blocks.fns` (BlockFunctions by fn_index, with `.inputs` and `.api_name`) and
    `Blocks.blocks` (components by id) (Policy.for_app, the_sketchpad).
 4. The private `component._id`, the id the page sends as component_id (Policy.for_app).
 5. `component.GRADIO_CACHE`, the upload folder every uploaded path lies in (Policy).
 6. `data_model.model_validate(value, context={"validate_meta": True})`, how Gradio
    checks an input value (RequestGuard.check_inputs, decode).
 7. `ImageEditor.blob_storage`, the dict the Sketchpad's blobs wait in (CompositeBlobs).
 8. FastAPI's error shape, `{"detail": ...}`, copied by the guard's refusals (send_json).
 9. `launch(app_kwargs={"middleware": ...})`, how the guard gets in front (protect).
10. `Examples.load_input_event`, the event that loads an example (example_loaded).
11. CSS and JS that target Gradio's class names and markup: `.pixi-target`,
    `.toolbar-wrap`, `button.quite-round`, ... (page.css, page.js; PAGE_SELECTORS).
12. Gradio's image cache, which rewrites a returned array's file in place (ViewFiles).

What the guard refuses, and why (issue 10; figures in BENCHMARKS.md): Gradio 6.31 trusts
what its routes receive more than a public Space can afford. Found on 127.0.0.1:

- POST /gradio_api/component_server runs the Sketchpad's `accept_blobs`, which grows a
  list to whatever layer `index` it is sent (1e8 keeps ~760 MB for the life of the
  process) and keeps every blob under whatever `id` it is sent until a prediction asks
  for that id, which an attacker never does.
- A FileData whose `url` is a `data:` URL carries the image inside the JSON body, past
  the upload size limit, and Gradio keeps each input in the session's state.
- Unknown `fn_index` or `api_name` values, bad blob fields and over-deep JSON raise
  inside Gradio: HTTP 500 with a traceback, or a reset connection. So do file paths
  outside the upload folder and remote URLs, which Gradio refuses, but with a traceback.

RequestGuard, an ASGI middleware, checks each request against what the page and
gradio_client actually send and answers anything else with a short 4xx and one log
line, before Gradio reads it. What the page sends was read from headless Chromium's
requests while drawing: for each stroke, three blobs (background, composite, layer 0)
of a few kB to the component server, then `{"id": ...}` on the queue. CompositeBlobs
bounds what the Sketchpad keeps between those blobs and the prediction, and
composite_only strips a payload to the one image the app reads, so nothing else is
decoded.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib.metadata
import io
import json
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
from gradio import ImageEditor
from PIL import Image
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.middleware import Middleware
from starlette.requests import Request

log = logging.getLogger("demo.guard")

HERE = Path(__file__).resolve().parent
SPACE_CARD = HERE / "README.md"  # its YAML states the Gradio the Space installs
ANY_GRADIO_ENV = "LENET_ANY_GRADIO"
PAGE_CSS = HERE / "page.css"
PAGE_JS = HERE / "page.js"
# What page.css and page.js rely on in Gradio's markup, each present once the page has
# loaded (tests/test_gradio_compat.py looks for each in a browser).
PAGE_SELECTORS = (
    "#canvas .image-container",
    "#canvas .pixi-target",
    "#canvas .pixi-target-crop",
    "#canvas .toolbar-wrap",
    "#canvas .toolbar-wrap button",
    "#canvas .top-panel > .zoom-number",
    "#canvas .top-panel > .separator",
    "#canvas button.quite-round",
    "#canvas [aria-dropeffect]",
    "#seen .empty[aria-label]",
    ".tab-container button[role='tab'].selected",
    "footer",
)

UNREADABLE_MESSAGE = "Could not read that file as an image. Try a PNG or JPEG."
TOO_LARGE_MESSAGE = "That image is too large. Use one under {megapixels} megapixels."

API_PREFIX = "/gradio_api"
# The routes that pick a function by `fn_index` in the body or by the name in the path.
PREDICT_ROUTES = re.compile(r"/(queue/join|(run|api|call|call/v2)/(?P<name>[^/]+))/?")
BLOB_ROUTE = re.compile(r"/component_server/?")

# The largest JSON body the page or gradio_client sends is a Sketchpad value with two
# file references (~1.5 kB, after loading an example); 16 KiB leaves room and keeps what
# Gradio stores per session small.
MAX_JSON_BODY = 16 * 1024
# A multipart body carries one file (at most max_file_size) plus boundaries and fields.
MULTIPART_OVERHEAD = 64 * 1024
# The most file references one request carries: the Sketchpad's background, its one
# layer and its composite.
MAX_FILES_PER_REQUEST = 3
MAX_JSON_DEPTH = 16  # the deepest body the page sends is 5 levels
BLOB_TYPES = frozenset({"background", "composite", "layer"})
# The page's blob ids and session hashes are ~11 random base-36 characters.
TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_BLOB_FORM_FIELDS = 8  # the page sends 6: id, type, index, component_id, fn_name, session_hash

# What the Sketchpad keeps between the blobs and the prediction that reads them: each
# drawing is one ~6 kB composite, held for well under a second.
MAX_STORED_BLOBS = 64
MAX_STORED_BLOB_BYTES = 32 * 1024 * 1024

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def space_gradio_version(card: Path | None = None) -> str | None:
    """The `sdk_version` in the Space card's YAML front matter (SPACE_CARD, or `card`): the
    Gradio the Space runs."""
    card = card or SPACE_CARD
    if not card.is_file():
        return None
    for line in card.read_text().split("\n---", 1)[0].splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "sdk_version":
            return value.strip().strip("'\"")
    return None


def check_gradio_version() -> str | None:
    """Why this app should not start under the installed Gradio, in one line; None if it may.

    Everything in this module was written against the Space's `sdk_version`; under any
    other Gradio it may fail silently (a guard that no longer guards), so the app refuses
    unless LENET_ANY_GRADIO=1 asks to try anyway.
    """
    installed = importlib.metadata.version("gradio")
    wanted = space_gradio_version()
    if installed == wanted or os.environ.get(ANY_GRADIO_ENV) == "1":
        return None
    written_for = f"{wanted} (the sdk_version in README.md)" if wanted else "another version"
    return (
        f"Gradio {installed} is installed, but gradio_compat.py was written for "
        f"{written_for}; set {ANY_GRADIO_ENV}=1 to try anyway"
    )


def protect(blocks: gr.Blocks, layers: int, max_file_size: int) -> dict[str, Any]:
    """Bound the Sketchpad's blob store and put the request guard in front of `blocks`.

    Returns the keyword arguments for `blocks.launch(...)` that install the guard. Call
    after the Blocks are built: the policy is read from its functions and components.
    """
    bound_blob_storage(blocks)
    policy = Policy.for_app(blocks, layers=layers, max_file_size=max_file_size)
    return {"app_kwargs": {"middleware": [middleware(policy)]}}


def decode(component: gr.components.Component, payload: dict | None, max_pixels: int) -> Any:
    """Gradio's own decoding of an image payload, with failures turned into short messages.

    The events run with preprocess=False so that a corrupt or oversized upload (over
    `max_pixels`, which PIL refuses before decoding) reaches this function, which can tell
    the user what went wrong, instead of failing inside Gradio with a generic error.
    GIFs, which gr.Image hands over unconverted (to keep their frames), come back as
    RGBA arrays: as palette indices they would read as grey levels.
    """
    if payload is None:
        return None
    # print_exception=False: one log line per refused image, not Gradio's traceback.
    try:
        value = component.preprocess(component.data_model.model_validate(payload))
        if isinstance(value, Image.Image):
            # PIL decodes lazily: a corrupt GIF fails here, inside the try.
            value = np.array(value.convert("RGBA"))
        return value
    except Image.DecompressionBombError:
        log.info("refused image: over %d pixels", max_pixels)
        message = TOO_LARGE_MESSAGE.format(megapixels=max_pixels // 1_000_000)
        raise gr.Error(message, print_exception=False) from None
    except (OSError, SyntaxError, ValueError) as error:  # PIL's errors for undecodable files
        log.info("refused image: unreadable: %s", error)
        raise gr.Error(UNREADABLE_MESSAGE, print_exception=False) from None


def example_loaded(examples: gr.Examples) -> Any:
    """The event that fires once an example is loaded into its input (the Sketchpad's own
    change event does not fire for it); listeners chain on it with `.then`."""
    return examples.load_input_event


class ViewFiles:
    """The enlarged model input as PNG files, written atomically, for Gradio to serve.

    Gradio 6.31 saves an image returned as an array by rewriting its content-addressed
    cache file in place on every request, so two concurrent requests with the same
    output can stream a half-rewritten file (h11: "Too little data for declared
    Content-Length"; seen by bench/demo_load.py at 16 clients). A file returned by path
    is instead copied into the cache under a temporary name and renamed, so the app
    hands Gradio a path. Files older than MAX_AGE_S are deleted as new ones are written:
    Gradio has copied them long before.
    """

    MAX_AGE_S = 600
    SWEEP_EVERY_S = 60

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="lenet-views-"))
        atexit.register(shutil.rmtree, self.folder, ignore_errors=True)
        self.last_sweep = time.monotonic()

    def save(self, view: np.ndarray | None) -> str | None:
        """The path of `view` (uint8) as a PNG file; None for no view."""
        if view is None:
            return None
        buffer = io.BytesIO()
        Image.fromarray(view).save(buffer, format="png")
        data = buffer.getvalue()
        path = self.folder / f"{hashlib.sha256(data).hexdigest()[:32]}.png"
        if not path.exists():
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        if time.monotonic() - self.last_sweep > self.SWEEP_EVERY_S:
            self.last_sweep = time.monotonic()
            cutoff = time.time() - self.MAX_AGE_S
            for old in self.folder.glob("*.png"):
                if old.stat().st_mtime < cutoff:
                    old.unlink(missing_ok=True)
        return str(path)


class Refused(Exception):
    """A request the guard answers itself, with `status` and a one-line `reason`."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Policy:
    """What this app's page and API accept: its functions and its Sketchpad's blobs."""

    max_file_size: int
    upload_dir: Path  # where Gradio keeps uploads: every file a request names is in it
    # Each function's input data models by fn_index (None for an input without one),
    # and the fn_index of each API name.
    inputs: Mapping[int, tuple[Any, ...]]
    api_names: Mapping[str, int]
    blob_component: int  # the Sketchpad: the only component whose server function is called
    blob_layers: int  # the page sends layer indices 0 .. blob_layers - 1

    @classmethod
    def for_app(cls, blocks: Any, layers: int, max_file_size: int) -> Policy:
        """The policy for built `blocks` (a gr.Blocks) whose one Sketchpad has `layers` layers."""
        return cls(
            max_file_size=max_file_size,
            # Gradio's upload folder, as Gradio writes it into the paths it hands out.
            upload_dir=Path(os.path.normpath(the_sketchpad(blocks).GRADIO_CACHE)),
            inputs={
                index: tuple(getattr(block, "data_model", None) for block in fn.inputs)
                for index, fn in blocks.fns.items()  # BlockFunctions by their fn_index
            },
            api_names={fn.api_name: index for index, fn in blocks.fns.items() if fn.api_name},
            blob_component=the_sketchpad(blocks)._id,
            blob_layers=layers,
        )


class RequestGuard:
    """ASGI middleware: refuse requests this app never needs before Gradio reads them.

    Every body needs a Content-Length within its limit (checked before a byte of it is
    read); JSON bodies must parse, stay shallow, carry at most MAX_FILES_PER_REQUEST file
    references and no `data:` URLs, and name a function that exists; blobs for the
    component server must be what the page's Sketchpad sends. GET requests pass as they are.
    """

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], policy: Policy):
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        route = api_route(scope["path"])
        multipart = content_type(scope).startswith("multipart/form-data")
        try:
            length = self.checked_length(scope, multipart)
            if multipart and not BLOB_ROUTE.fullmatch(route):  # /upload: size is the limit
                await self.app(scope, receive, send)
                return
            body = await read_body(receive, length)
            if multipart:
                await self.check_blob(scope, body)
            else:
                self.check_json(route, body)
        except Refused as refused:
            client = (scope.get("client") or ("?",))[0]
            log.info("refused %s %s from %s: %s", scope["method"], route, client, refused.reason)
            await send_json(send, refused.status, {"detail": refused.reason})
            return
        await self.app(scope, replay(body, receive), send)

    def checked_length(self, scope: Scope, multipart: bool) -> int:
        """The declared body length, if within this kind of body's limit."""
        declared = header(scope, b"content-length")
        if declared is None:
            if header(scope, b"transfer-encoding") is None:
                return 0
            # Chunked bodies have no length to check up front; the page never sends one.
            raise Refused(411, "a request body needs a Content-Length")
        if not declared.isdigit():
            raise Refused(400, "Content-Length is not a number")
        limit = self.policy.max_file_size + MULTIPART_OVERHEAD if multipart else MAX_JSON_BODY
        if int(declared) > limit:
            raise Refused(413, f"request body over {limit} bytes")
        return int(declared)

    def check_json(self, route: str, body: bytes) -> None:
        """A JSON body: parseable, shallow, no data: URLs, only uploaded files, a real function."""
        if BLOB_ROUTE.fullmatch(route):
            raise Refused(
                400, "the component server takes the Sketchpad's blobs as multipart/form-data"
            )
        if not body:
            return
        try:
            value = json.loads(body)
        except (ValueError, RecursionError):  # RecursionError: nesting past Python's limit
            raise Refused(400, "the body is not JSON") from None
        files = []
        for item, depth in walk(value):
            if depth > MAX_JSON_DEPTH:
                raise Refused(400, f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
            # gr.Image decodes a data: URL before it looks at the path: refuse them anywhere.
            if isinstance(item, str) and item[:5].lower() == "data:":
                raise Refused(400, "data: URLs are not accepted; upload the file instead")
            if isinstance(item, dict) and ("path" in item or "url" in item):
                files.append(item.get("path"))
        if len(files) > MAX_FILES_PER_REQUEST:
            raise Refused(
                400, f"{len(files)} files in one request (at most {MAX_FILES_PER_REQUEST})"
            )
        for path in files:
            # Files are uploaded first; a path elsewhere, or a URL alone, is a probe.
            if not isinstance(path, str) or not self.uploaded(path):
                raise Refused(400, f"file {str(path)[:80]!r} was not uploaded here")
        match = PREDICT_ROUTES.fullmatch(route)
        if match:
            fn_index = self.function(value, match["name"])
            if not route.startswith("/call/v2/"):  # that one takes named arguments
                self.check_inputs(value, fn_index)

    def uploaded(self, path: str) -> bool:
        """Whether `path` names something inside the upload folder ('..' resolved)."""
        return Path(os.path.normpath(path)).is_relative_to(self.policy.upload_dir)

    def function(self, body: Any, api_name: str | None) -> int:
        """The fn_index a predict body names, found the way Gradio looks: fn_index, then path."""
        fn_index = body.get("fn_index") if isinstance(body, dict) else None
        if fn_index is not None:
            if type(fn_index) is not int or fn_index not in self.policy.inputs:
                raise Refused(404, f"no function {fn_index!r}")
            return fn_index
        if api_name not in self.policy.api_names:
            raise Refused(404, f"no API endpoint {api_name!r}")
        return self.policy.api_names[api_name]

    def check_inputs(self, body: Any, fn_index: int) -> None:
        """Each input value is what its component takes, checked as Gradio will check it."""
        data = body.get("data") if isinstance(body, dict) else None
        models = self.policy.inputs[fn_index]
        if not isinstance(data, list) or len(data) < len(models):
            raise Refused(400, f"'data' must list the function's {len(models)} inputs")
        for position, (model, value) in enumerate(zip(models, data, strict=False)):
            if model is None or value is None:
                continue
            try:
                model.model_validate(value, context={"validate_meta": True})
            except ValidationError:
                raise Refused(400, f"input {position} is not a {model.__name__}") from None

    async def check_blob(self, scope: Scope, body: bytes) -> None:
        """The fields of one accept_blobs call, as the page's Sketchpad sends them."""
        request = Request(scope, replay(body, None))
        try:
            form = await request.form(max_files=1, max_fields=MAX_BLOB_FORM_FIELDS)
        except Exception as error:  # starlette's MultiPartException and the parser's errors
            raise Refused(400, f"unreadable form: {str(error)[:80]}") from None
        try:
            fields = {key: value for key, value in form.multi_items()}
            files = [value for value in fields.values() if isinstance(value, UploadFile)]
            if fields.get("component_id") != str(self.policy.blob_component):
                raise Refused(404, f"no component server for {fields.get('component_id')!r}")
            if fields.get("fn_name") != "accept_blobs":
                raise Refused(404, f"no server function {fields.get('fn_name')!r}")
            for key in ("id", "session_hash"):
                if not isinstance(fields.get(key), str) or not TOKEN.fullmatch(fields[key]):
                    raise Refused(400, f"'{key}' must be 1-64 letters, digits, - or _")
            kind, index = fields.get("type"), fields.get("index")
            if kind not in BLOB_TYPES:
                raise Refused(400, f"blob type {kind!r} is not one of {sorted(BLOB_TYPES)}")
            layers = [str(i) for i in range(self.policy.blob_layers)]
            if kind == "layer" and index not in layers:
                raise Refused(400, f"layer index {str(index)[:20]!r} is not one of {layers}")
            if kind != "layer" and index not in (None, "", "null"):
                raise Refused(400, f"a {kind} blob takes no index")
            if len(files) != 1:
                raise Refused(400, f"{len(files)} files; a blob is one file")
        finally:
            await form.close()


class CompositeBlobs(MutableMapping):
    """The Sketchpad's blob storage, bounded, and holding only the composite.

    Gradio keeps each drawing's blobs in `ImageEditor.blob_storage` under the page's id
    until the prediction for that id pops them, and decodes the background and every
    layer with it. This app reads only the composite, so the rest is dropped as it is
    stored, and the oldest entries go once there are more than `max_entries` or their
    composites pass `max_bytes` (under attack, a slow visitor's drawing may be dropped
    and read as an empty canvas).
    """

    def __init__(self, max_entries: int = MAX_STORED_BLOBS, max_bytes: int = MAX_STORED_BLOB_BYTES):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.entries: OrderedDict[str, Any] = OrderedDict()
        self.sizes: dict[str, int] = {}
        self.lock = threading.Lock()  # accept_blobs runs on Gradio's worker threads

    def __getitem__(self, key: str) -> Any:
        with self.lock:
            return self.entries[key]

    def __setitem__(self, key: str, value: Any) -> None:
        value.background, value.layers = None, []
        with self.lock:
            self.entries[key] = value
            self.entries.move_to_end(key)
            self.sizes[key] = len(value.composite or b"")
            while len(self.entries) > self.max_entries or sum(self.sizes.values()) > self.max_bytes:
                oldest, _ = self.entries.popitem(last=False)
                del self.sizes[oldest]

    def pop(self, key: str, default: Any = None) -> Any:
        """Atomic, and None for a key evicted since Gradio checked it was there."""
        with self.lock:
            self.sizes.pop(key, None)
            return self.entries.pop(key, default)

    def __delitem__(self, key: str) -> None:
        with self.lock:
            del self.entries[key]
            del self.sizes[key]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.entries))

    def __len__(self) -> int:
        return len(self.entries)


def middleware(policy: Policy) -> Middleware:
    """RequestGuard with `policy`, for FastAPI(middleware=...) (Gradio's launch(app_kwargs=...))."""
    return Middleware(RequestGuard, policy=policy)


def the_sketchpad(blocks: Any) -> Any:
    """The page's one Sketchpad (an ImageEditor: the component with blob server functions)."""
    (sketch,) = [block for block in blocks.blocks.values() if isinstance(block, ImageEditor)]
    return sketch


def bound_blob_storage(blocks: Any) -> None:
    """Give the page's Sketchpad a CompositeBlobs in place of Gradio's unbounded dict."""
    sketch = the_sketchpad(blocks)
    if not isinstance(getattr(sketch, "blob_storage", None), dict):
        # Guard against a Gradio upgrade renaming it: the limit would silently vanish.
        raise RuntimeError("this Gradio's Sketchpad has no blob_storage dict to bound")
    sketch.blob_storage = CompositeBlobs()


def composite_only(payload: dict | None) -> dict | None:
    """The Sketchpad's payload without its background and layers, which the app never reads."""
    if not isinstance(payload, dict):
        return payload
    return {**payload, "background": None, "layers": []}


def api_route(path: str) -> str:
    """The part of `path` after Gradio's API prefix ('' for the page and its assets)."""
    head, prefix, route = path.partition(API_PREFIX)
    return route if prefix else ""


def header(scope: Scope, name: bytes) -> str | None:
    """The request header `name` (lower-case bytes), or None."""
    for key, value in scope["headers"]:
        if key.lower() == name:
            return value.decode("latin-1").strip()
    return None


def content_type(scope: Scope) -> str:
    """The request's Content-Type, lower-cased ('' if none)."""
    return (header(scope, b"content-type") or "").lower()


def walk(value: Any) -> Iterator[tuple[Any, int]]:
    """Every value nested in parsed JSON, with its depth, without recursion."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        yield item, depth
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)


async def read_body(receive: Receive, length: int) -> bytes:
    """The whole body, which the length check bounded (h11 refuses more than declared)."""
    chunks, more = [], length > 0
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Refused(400, "the client went away mid-body")
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


def replay(body: bytes, receive: Receive | None) -> Receive:
    """A receive() that hands over the already-read `body`, then defers to `receive`."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        if receive is None:
            return {"type": "http.disconnect"}
        return await receive()

    return replayed


async def send_json(send: Send, status: int, content: dict) -> None:
    """Answer with `status` and `content` as JSON, the shape of FastAPI's HTTPException."""
    body = json.dumps(content).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
