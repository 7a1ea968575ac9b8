"""What one visitor may make the server do: request limits in front of Gradio's routes.

Gradio 6.31 trusts what its routes receive more than a public Space can afford. Found
on 127.0.0.1 (issue 10; figures in BENCHMARKS.md, replayed by bench/hostile.py):

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
of a few kB to the component server, then `{"id": ...}` on the queue.

CompositeBlobs bounds what the Sketchpad keeps between those blobs and the prediction,
and composite_only strips a payload to the one image the app reads, so nothing else is
decoded.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gradio import ImageEditor
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.middleware import Middleware
from starlette.requests import Request

log = logging.getLogger("demo.guard")

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
