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
    checks an input value, and the models' fields: ImageData's `path`, EditorData's
    `id`, `composite` and `background` (RequestGuard.check_inputs, image_source).
 7. `ImageEditor.blob_storage`, the dict the Sketchpad's blobs wait in, read by the id
    the page sends (CompositeBlobs, image_source); `gr.Dataset.samples`, the rows the
    Examples' loading function indexes (input_model).
 8. FastAPI's error shape, `{"detail": ...}`, copied by the guard's refusals (send_json).
 9. `launch(app_kwargs={"middleware": ...})`, how the guard gets in front (protect).
10. `Examples.load_input_event`, the event that loads an example (example_loaded).
11. CSS and JS that target Gradio's class names and markup: `.pixi-target`,
    `.toolbar-wrap`, `button.quite-round`, ... (page.css, page.js; PAGE_SELECTORS).
12. Gradio's image cache, which rewrites a returned array's file in place (ViewFiles).
13. The queue: `Blocks._queue.event_ids_to_events` (each Event's `session_hash` and
    `request`, from join until processed) and `pending_messages_per_session` (the
    sessions an event stream may be opened for) (queued_events, check_stream).
14. The upload route: answers a JSON list of paths, and writes each part as a `tmp*`
    file in the upload folder first, left there if the upload is cut off (Uploads).
15. URL fetching: Gradio downloads a FileData whose path is an http(s) URL, before the
    function runs, through safehttpx (`is_public_ip`, `AsyncSecureTransport`,
    `matches_domain_whitelist` with `processing_utils.PUBLIC_HOSTNAME_WHITELIST`), which
    fetch_url reuses with limits (see there).
16. MCP: `gradio.mcp.DEFAULT_TEMP_DIR`, where the MCP server decodes base64 images
    (protect); a tool's argument is described by one `name: description` line of the
    function's docstring (app.py's `read`); public API endpoints are the tools.

What the guard refuses, and why (issues 10 and 20; figures in BENCHMARKS.md): Gradio 6.31
trusts what its routes receive more than a public Space can afford. Found on 127.0.0.1:

- POST /gradio_api/component_server runs the Sketchpad's `accept_blobs`, which grows a
  list to whatever layer `index` it is sent (1e8 keeps ~760 MB for the life of the
  process) and keeps every blob under whatever `id` it is sent until a prediction asks
  for that id, which an attacker never does.
- A FileData whose `url` is a `data:` URL carries the image inside the JSON body, past
  the upload size limit, and Gradio keeps each input in the session's state.
- Unknown `fn_index` or `api_name` values, bad blob fields and over-deep JSON raise
  inside Gradio: HTTP 500 with a traceback, or a reset connection. So do file paths
  outside the upload folder and remote URLs, which Gradio refuses, but with a traceback.
- A body's declared Content-Length is not what h11 reads: with `Transfer-Encoding:
  chunked` too, it reads every chunk. A 12.6 MB JSON body declared as 100 bytes took
  +606 MB and 7.2 s, parsed on the event loop; /upload took 16.8 MB against 5 MB.
- The queue is shared: 20 concurrent predictions of a 16-megapixel image from one
  client filled it, and every other visitor got "Queue is full" for 15 s.
- Uploads stay for an hour (delete_cache), cut-off ones for good; one client could
  write 13 GB a minute, or 2,120 inodes in one request of 1,000 files.
- An Examples row number out of range, and an event stream for an unknown session,
  raise inside Gradio: a 500 and a traceback, a 78-line traceback.

RequestGuard, an ASGI middleware, checks each request against what the page and
gradio_client actually send and answers anything else with a short 4xx and one log
line, before Gradio reads it. What the page sends was read from headless Chromium's
requests while drawing: for each stroke, three blobs (background, composite, layer 0)
of a few kB to the component server, then `{"id": ...}` on the queue. CompositeBlobs
bounds what the Sketchpad keeps between those blobs and the prediction; ImageInputs
decodes only the one image the app reads (shrunk first: reading/files.py), and deletes
an upload once read; Uploads bounds what waits on disk; Clears drops an answer for a
drawing that was cleared since.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import hashlib
import importlib.metadata
import io
import json
import logging
import os
import re
import secrets
import shutil
import socket
import sys
import tempfile
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qsl

import gradio as gr
import gradio.mcp
import httpx
import numpy as np
import safehttpx
from gradio import ImageEditor
from gradio.processing_utils import PUBLIC_HOSTNAME_WHITELIST
from PIL import Image
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request

# `python app.py` (the Space) makes this folder's modules top-level; tests import demo.*.
if __package__:
    from .reading import ImageTooLarge, open_image
else:
    from reading import ImageTooLarge, open_image

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
UPLOAD_ROUTE = re.compile(r"/upload/?")
QUEUE_DATA_ROUTE = re.compile(r"/queue/data/?")
MCP_ROUTE = re.compile(r"/mcp(/.*)?")

# The largest JSON body the page or gradio_client sends is a Sketchpad value with two
# file references (~1.5 kB, after loading an example); 16 KiB leaves room and keeps what
# Gradio stores per session small.
MAX_JSON_BODY = 16 * 1024
# A multipart body carries one file (at most max_file_size) plus boundaries and fields.
MULTIPART_OVERHEAD = 64 * 1024
# The page uploads one file at a time, gradio_client one per request; Gradio itself
# takes 1,000 in one request (2,120 inodes).
MAX_UPLOAD_FILES = 3
# Events one session (or one client naming no session) may have waiting or running in
# the queue: the page has at most one per tab and one for an example; a client that
# sends 20 at once gets the rest refused, so the queue stays open to others.
MAX_IN_FLIGHT = 3
# Files received and not yet read: at most this many bytes on disk at once, each kept
# at most UPLOAD_TTL_S (swept every SWEEP_EVERY_S), so one visitor uploading as fast
# as they can grows the app's disk use by at most the quota, and by nothing a minute
# after they stop.
UPLOAD_QUOTA = 150 * 1024 * 1024
CLIENT_UPLOAD_QUOTA = 100 * 1024 * 1024  # one visitor's share: the rest stays for others
UPLOAD_TTL_S = 40
SWEEP_EVERY_S = 5
READ_GRACE_S = 5  # a read upload stays this long, for the page's preview of it
# Files given as URLs: fetched within this time, following at most this many redirects.
FETCH_TIMEOUT_S = 10
MAX_REDIRECTS = 5
PUBLIC_HOSTS = PUBLIC_HOSTNAME_WHITELIST  # Hugging Face's hosts, as Gradio lets them through
FETCHED = "fetched"  # the upload folder's subfolder for fetched files
REFUSED = "refused"  # ... and the folder (never made) of the paths that stand for refused URLs
MAX_REFUSALS = 256
MCP_FILES = "mcp"  # ... and for the images MCP clients send as base64
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
    Also starts the sweep of unread uploads, and sends the images MCP clients give as
    base64 into the upload folder, where it reaches them.
    """
    bound_blob_storage(blocks)
    policy = Policy.for_app(blocks, layers=layers, max_file_size=max_file_size)
    mcp_files = policy.upload_dir / MCP_FILES
    # Gradio's MCP server decodes base64 images into DEFAULT_TEMP_DIR (fixed when gradio
    # is imported: /tmp/gradio here), then uploads them, and never deletes them.
    gradio.mcp.DEFAULT_TEMP_DIR = str(mcp_files)
    start_sweeping(policy.uploads, policy.upload_dir, [mcp_files])
    return {"app_kwargs": {"middleware": [middleware(policy)]}}


def start_sweeping(uploads: Uploads, upload_dir: Path, folders: list[Path]) -> None:
    """Sweep `uploads` every SWEEP_EVERY_S on a thread of its own, for the process's life."""

    def sweep() -> None:
        while True:
            time.sleep(SWEEP_EVERY_S)
            try:
                uploads.sweep(upload_dir, folders)
            except OSError as error:  # a full or vanished folder: try again next time
                log.warning("sweeping uploads failed: %s", error)

    threading.Thread(target=sweep, name="sweep-uploads", daemon=True).start()


class ImageInputs:
    """The images the app's functions read: decoded by the reading core, removed once read.

    The events run with preprocess=False, so that a corrupt or oversized file reaches
    read(), which tells the visitor what went wrong in one line instead of failing inside
    Gradio with a generic error. An uploaded image (gr.Image) is read once: its answer is
    remembered for REMEMBER_S (the Upload tab reads its image again when it is opened
    again), and the file itself is deleted once it has been read, within READ_GRACE_S +
    SWEEP_EVERY_S (the Upload tab shows the image from its file meanwhile).
    """

    REMEMBER = 64  # answers kept, most recent first
    REMEMBER_S = 300  # within ViewFiles.MAX_AGE_S: the answers' views must still exist

    def __init__(self, blocks: Any, max_pixels: int):
        self.uploads = Uploads.of(blocks)
        self.max_pixels = max_pixels
        self.answers: OrderedDict[tuple[int, str], tuple[float, Any]] = OrderedDict()
        self.lock = threading.Lock()

    def answer(self, component: Any, payload: dict | None, read: Callable[[Any], Any]) -> Any:
        """`read(image)` for the image in `payload`, remembered by its file."""
        path = file_path(component, payload)
        key = (component._id, path)  # each input reads its own way: /read, the Upload tab
        with self.lock:
            at, known = self.answers.get(key, (0.0, None)) if path else (0.0, None)
        if known is not None and time.monotonic() - at < self.REMEMBER_S:
            self.uploads.discard(path)  # sent again: read (long ago or just now) all the same
            return known
        result = read(self.read(component, payload))
        if path:
            with self.lock:
                self.answers[key] = (time.monotonic(), result)
                while len(self.answers) > self.REMEMBER:
                    self.answers.popitem(last=False)
        return result

    def read(self, component: Any, payload: dict | None) -> np.ndarray | None:
        """The image in `payload` (a Sketchpad's or gr.Image's value) as a uint8 RGBA array,
        None for none; a file is deleted once read. Failures raise gr.Error in one line."""
        path = file_path(component, payload)
        refused = self.uploads.refusal(path)
        if refused:  # a URL the guard would not or could not fetch (logged there)
            raise gr.Error(refused, print_exception=False)
        try:
            source = image_source(component, payload)
            return None if source is None else open_image(source, self.max_pixels)
        except (ImageTooLarge, Image.DecompressionBombError):
            log.info("refused image: over %d pixels", self.max_pixels)
            message = TOO_LARGE_MESSAGE.format(megapixels=self.max_pixels // 1_000_000)
            # print_exception=False: one log line per refused image, not Gradio's traceback.
            raise gr.Error(message, print_exception=False) from None
        except (OSError, SyntaxError, ValueError) as error:  # PIL's, and a bad payload
            log.info("refused image: unreadable: %s", str(error)[:200])
            raise gr.Error(UNREADABLE_MESSAGE, print_exception=False) from None
        finally:
            # A Sketchpad's files are not removed here: the page uploads the same drawing
            # under the same (content-addressed) path again and again, and may name a
            # path it uploaded earlier; they go with the sweep.
            self.uploads.discard(path)


def file_path(component: Any, payload: dict | None) -> str | None:
    """The uploaded file a gr.Image payload names (None for a Sketchpad's or none)."""
    if isinstance(component, ImageEditor) or not isinstance(payload, dict):
        return None
    path = payload.get("path")
    return path if isinstance(path, str) else None


def image_source(component: Any, payload: dict | None) -> str | bytes | None:
    """Where the image of a payload is: an uploaded file's path, or a drawing's bytes.

    A Sketchpad's payload is either the page's {"id": ...}, whose composite waits in the
    blob store, or files (gradio_client): the composite, else the background (the API
    page's example sends a background and no composite). gr.Image's is one file. The
    payload is checked with Gradio's own data model first.
    """
    if payload is None:
        return None
    value = component.data_model.model_validate(payload, context={"validate_meta": True})
    if not isinstance(component, ImageEditor):  # gr.Image: one file (ImageData)
        return value.path
    if value.id is not None:
        blobs = component.blob_storage.pop(value.id, None)
        return None if blobs is None else blobs.composite
    image = value.composite or value.background
    return None if image is None else image.path


class Clears:
    """Drops the answer for a drawing the visitor has just cleared.

    Gradio 6.31's page, after Clear, can send the cleared drawing once more: a change
    that was waiting (trigger_mode="always_last") goes out with the Sketchpad's value
    from before the clear, freshly uploaded, and its answer ("It's a 4") lands on the
    empty canvas 0.6 to 1.9 s later (seen in headless Chromium). Gradio's `cancels=`
    cannot stop it: it is a new request (and the page sends /cancel with no event id:
    HTTP 422). So each session's drawings are remembered by content (seen), Clear sets
    them aside (clear), and for STALE_S after it a drawing among them is stale (stale).
    Undo right after Clear, which brings the same drawing back, reads as stale too.
    """

    SESSIONS = 1000  # the most recent sessions remembered
    PER_SESSION = 8  # drawings remembered per session, the latest
    STALE_S = 10.0

    def __init__(self) -> None:
        self.drawings: OrderedDict[str, list[str]] = OrderedDict()
        self.cleared: OrderedDict[str, tuple[float, frozenset[str]]] = OrderedDict()
        self.lock = threading.Lock()

    @staticmethod
    def key(image: np.ndarray | None) -> str | None:
        """A drawing's identity: a hash of its pixels (None for an empty canvas)."""
        return None if image is None else hashlib.sha1(image.tobytes()).hexdigest()

    def seen(self, session: str | None, key: str | None) -> None:
        """Session `session` had the drawing `key` read."""
        if key is None:
            return
        with self.lock:
            drawings = self.drawings.setdefault(session or "", [])
            drawings[:] = [*drawings[-(self.PER_SESSION - 1) :], key]
            self.drawings.move_to_end(session or "")
            while len(self.drawings) > self.SESSIONS:
                self.drawings.popitem(last=False)

    def clear(self, session: str | None) -> None:
        """Session `session` cleared its canvas now."""
        with self.lock:
            drawings = self.drawings.pop(session or "", [])
            self.cleared[session or ""] = (time.monotonic(), frozenset(drawings))
            self.cleared.move_to_end(session or "")
            while len(self.cleared) > self.SESSIONS:
                self.cleared.popitem(last=False)

    def stale(self, session: str | None, key: str | None) -> bool:
        """Whether drawing `key` is one `session` cleared within the last STALE_S."""
        with self.lock:
            at, drawings = self.cleared.get(session or "", (0.0, frozenset()))
        return key in drawings and time.monotonic() - at < self.STALE_S


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
    """What this app's page and API accept: its functions, its Sketchpad's blobs, its files."""

    max_file_size: int
    upload_dir: Path  # where Gradio keeps uploads: every file a request names is in it
    # Each function's input data models by fn_index (None for an input without one),
    # and the fn_index of each API name.
    inputs: Mapping[int, tuple[Any, ...]]
    api_names: Mapping[str, int]
    blob_component: int  # the Sketchpad: the only component whose server function is called
    blob_layers: int  # the page sends layer indices 0 .. blob_layers - 1
    # (session hash, client address) of each event waiting or running in Gradio's queue.
    queued: Callable[[], Iterator[tuple[str, str]]]
    sessions: Callable[[], Any]  # the session hashes Gradio has messages for (a container)
    uploads: Uploads

    @classmethod
    def for_app(cls, blocks: Any, layers: int, max_file_size: int) -> Policy:
        """The policy for built `blocks` (a gr.Blocks) whose one Sketchpad has `layers` layers."""
        return cls(
            max_file_size=max_file_size,
            # Gradio's upload folder, as Gradio writes it into the paths it hands out.
            upload_dir=Path(os.path.normpath(the_sketchpad(blocks).GRADIO_CACHE)),
            inputs={
                index: tuple(input_model(block) for block in fn.inputs)
                for index, fn in blocks.fns.items()  # BlockFunctions by their fn_index
            },
            api_names={fn.api_name: index for index, fn in blocks.fns.items() if fn.api_name},
            blob_component=the_sketchpad(blocks)._id,
            blob_layers=layers,
            queued=lambda: queued_events(blocks),
            sessions=lambda: blocks._queue.pending_messages_per_session,
            uploads=Uploads.of(blocks),
        )

    def limit(self, kind: str) -> int:
        """The most bytes a request body of this kind (route_kind's) may carry."""
        if kind in ("upload", "blob"):
            return self.max_file_size + MULTIPART_OVERHEAD
        if kind == "mcp":  # an image as base64 inside JSON-RPC
            return self.max_file_size * 4 // 3 + MULTIPART_OVERHEAD
        return MAX_JSON_BODY


def input_model(block: Any) -> Any:
    """What an input takes: its Gradio data model, or for the Examples' dataset (which has
    none: it takes a row number) the number of rows."""
    if isinstance(block, gr.Dataset):
        return len(block.samples)
    return getattr(block, "data_model", None)


def queued_events(blocks: Any) -> Iterator[tuple[str, str]]:
    """(session hash, client address) of every event in `blocks`'s queue, waiting or running.

    Gradio's Queue keeps each event in `event_ids_to_events` from its join until it
    has been processed; an Event carries the join's session hash and request.
    """
    for event in list(blocks._queue.event_ids_to_events.values()):
        request = event.request
        forwarded = getattr(request, "headers", {}).get("x-forwarded-for")
        client = getattr(request, "client", None)
        address = forwarded.rsplit(",", 1)[-1].strip() if forwarded else ""
        yield event.session_hash, address or (client.host if client else "")


class RequestGuard:
    """ASGI middleware: refuse requests this app never needs before Gradio reads them.

    Every body is counted as it arrives, whatever its headers declare (chunked bodies
    included), and refused past its kind's limit: 16 KiB of JSON, an upload or a blob,
    a base64 image for MCP. JSON bodies must parse, stay shallow, carry at most
    MAX_FILES_PER_REQUEST file references and no `data:` URLs, and name a function that
    exists; a file given as a public http(s) URL is fetched (fetch_url) and handed to
    Gradio as an upload. A session (or a client that names none) may have
    MAX_IN_FLIGHT events queued or running. Uploads count against the Uploads quota and
    carry at most MAX_UPLOAD_FILES files; blobs must be what the page's Sketchpad sends.
    """

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], policy: Policy):
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = api_route(scope["path"])
        kind = route_kind(route, content_type(scope))
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            counted = Counted(receive, self.policy.limit(kind), declared_length(scope))
            if kind == "upload":
                await self.upload(scope, counted, tracked)
                return
            if scope["method"] in ("GET", "HEAD", "OPTIONS"):
                self.check_stream(scope, route)
                try:
                    await self.app(scope, counted, tracked)
                except FileNotFoundError:  # swept between Gradio's check and its open
                    raise Refused(404, "that file is gone") from None
                return
            body = await read_body(counted)
            if kind == "blob":
                await self.check_blob(scope, body)
            elif kind == "mcp":
                await check_mcp(body)
            else:
                body = await self.check_json(scope, route, body)
            await self.app(with_length(scope, len(body)), replay(body, receive), tracked)
        except Refused as refused:
            client = (scope.get("client") or ("?",))[0]
            log.info("refused %s %s from %s: %s", scope["method"], route, client, refused.reason)
            if not started:  # a refusal from inside Gradio's reading, before it answered
                await send_json(send, refused.status, {"detail": refused.reason})
        except ClientDisconnect:  # cut off mid-body: nobody to answer; Uploads sweeps the rest
            client = (scope.get("client") or ("?",))[0]
            log.info("refused %s %s from %s: the client went away", scope["method"], route, client)

    async def upload(self, scope: Scope, receive: Counted, send: Send) -> None:
        """Pass an upload to Gradio as it streams in: counted, its files counted, within the
        quota; the paths Gradio answers with go into the Uploads ledger."""
        uploads, client = self.policy.uploads, client_address(scope)
        # The declared length, where there is one, is what the upload will hold at most:
        # a drawing's few kB need not wait for room for 5 MB.
        reserved = min(self.policy.limit("upload"), declared_length(scope) or sys.maxsize)
        uploads.reserve(reserved, client)
        parts = PartCounter(content_type(scope))
        answer, status = bytearray(), 0

        async def counted() -> Message:
            message = await receive()
            parts.feed(message.get("body", b""))
            if parts.count > MAX_UPLOAD_FILES:
                raise Refused(400, f"more than {MAX_UPLOAD_FILES} files in one upload")
            return message

        async def kept(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif status == 200:
                answer.extend(message.get("body", b""))
            await send(message)

        paths: list[str] = []
        try:
            await self.app(scope, counted, kept)
            if status == 200:
                paths = [path for path in json.loads(answer) if isinstance(path, str)]
        finally:
            uploads.settle(reserved, paths, receive.received, client)

    async def check_json(self, scope: Scope, route: str, body: bytes) -> bytes:
        """A JSON body: parseable, shallow, no data: URLs, only uploaded or fetched files, a
        real function, and room in the queue for its session. Returns the body to pass on:
        with fetched files in place of their URLs."""
        if BLOB_ROUTE.fullmatch(route):
            raise Refused(
                400, "the component server takes the Sketchpad's blobs as multipart/form-data"
            )
        if not body:
            return body
        value = parse_json(body)
        files = []
        for item, _ in walk(value):
            # gr.Image decodes a data: URL before it looks at the path: refuse them anywhere.
            if isinstance(item, str) and item[:5].lower() == "data:":
                raise Refused(400, "data: URLs are not accepted; upload the file or give its URL")
            if isinstance(item, dict) and ("path" in item or "url" in item):
                files.append(item)
        if len(files) > MAX_FILES_PER_REQUEST:
            raise Refused(
                400, f"{len(files)} files in one request (at most {MAX_FILES_PER_REQUEST})"
            )
        fetched = False
        for item in files:
            path, url = item.get("path"), item.get("url")
            remote = (
                path if is_http_url(path) else url if path is None and is_http_url(url) else None
            )
            if remote is not None:
                item.update(path=await self.fetch(scope, route, remote), url=None)
                fetched = True
            # Files are uploaded first; a path elsewhere is a probe.
            elif not isinstance(path, str) or not self.uploaded(path):
                raise Refused(400, f"file {str(path)[:80]!r} was not uploaded here")
        match = PREDICT_ROUTES.fullmatch(route)
        if match:
            fn_index = self.function(value, match["name"])
            if not route.startswith("/call/v2/"):  # that one takes named arguments
                self.check_inputs(value, fn_index)
            session = value.get("session_hash") if isinstance(value, dict) else None
            self.check_room(session if isinstance(session, str) else None, scope)
        return json.dumps(value).encode() if fetched else body

    async def fetch(self, scope: Scope, route: str, url: str) -> str:
        """The local path of the file at `url`, fetched; or, if it may not or cannot be
        fetched, a path that stands for why (Uploads.refusal), so that the prediction
        fails with that line: gradio_client, the JS client and MCP show a prediction's
        error, but of a refused join only its HTTP status."""
        uploads = self.policy.uploads
        try:
            local = await fetch_url(url, self.policy.upload_dir, self.policy.max_file_size)
        except Refused as refused:
            client = (scope.get("client") or ("?",))[0]
            log.info("refused URL in POST %s from %s: %s", route, client, refused.reason)
            return uploads.refuse(self.policy.upload_dir, refused.reason)
        uploads.add(str(local), local.stat().st_size)
        return str(local)

    def check_stream(self, scope: Scope, route: str) -> None:
        """An event stream for a session Gradio knows (an unknown one raises inside Gradio,
        a traceback in the log)."""
        if QUEUE_DATA_ROUTE.fullmatch(route):
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
            if query.get("session_hash") not in self.policy.sessions():
                raise Refused(404, "no such session: join the queue first")

    def check_room(self, session: str | None, scope: Scope) -> None:
        """Refuse an event past MAX_IN_FLIGHT for its session (or its client, if it names no
        session: /call/ makes up one per request)."""
        host = client_address(scope)
        if session:
            mine = sum(1 for queued, _ in self.policy.queued() if queued == session)
        else:
            mine = sum(1 for _, address in self.policy.queued() if address == host)
        if mine >= MAX_IN_FLIGHT:
            who = "this session" if session else "this client"
            raise Refused(
                429, f"{who} already has {mine} requests waiting or running; wait for an answer"
            )

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
        """Each input value is what its component takes, checked as Gradio will check it.

        The Examples' dataset takes a row number: Gradio indexes its list with it.
        """
        data = body.get("data") if isinstance(body, dict) else None
        models = self.policy.inputs[fn_index]
        if not isinstance(data, list) or len(data) < len(models):
            raise Refused(400, f"'data' must list the function's {len(models)} inputs")
        for position, (model, value) in enumerate(zip(models, data, strict=False)):
            if value is None or model is None:
                continue
            if isinstance(model, int):  # the Examples' dataset: a row number, or Gradio's 500
                if type(value) is not int or not 0 <= value < model:
                    raise Refused(
                        400, f"input {position} is not an example's number (0-{model - 1})"
                    )
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


async def check_mcp(body: bytes) -> None:
    """An MCP message: JSON within MAX_JSON_DEPTH. A large one (an image as base64) is
    parsed on a worker thread, so the event loop carries on meanwhile."""
    if body:
        parse = asyncio.to_thread(parse_json, body) if len(body) > MAX_JSON_BODY else None
        value = await parse if parse else parse_json(body)
        for _, depth in walk(value):
            if depth > MAX_JSON_DEPTH:
                raise Refused(400, f"JSON nested deeper than {MAX_JSON_DEPTH} levels")


def parse_json(body: bytes) -> Any:
    """`body` as JSON, or Refused: not JSON, or nested past MAX_JSON_DEPTH."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nesting past Python's limit
        raise Refused(400, "the body is not JSON") from None
    for _, depth in walk(value):
        if depth > MAX_JSON_DEPTH:
            raise Refused(400, f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    return value


class Counted:
    """A receive() that counts the body bytes actually received and refuses past `limit`.

    The declared Content-Length is checked first, so an honest client over the limit
    is answered before it sends a byte; but h11 reads a chunked body even when a
    Content-Length is declared too, so only the count of what arrives is trusted.
    """

    def __init__(self, receive: Receive, limit: int, declared: int | None):
        if declared is not None and declared > limit:
            raise Refused(413, f"request body over {limit} bytes")
        self.receive = receive
        self.limit = limit
        self.received = 0

    async def __call__(self) -> Message:
        message = await self.receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                raise Refused(413, f"request body over {self.limit} bytes")
        return message


class PartCounter:
    """Counts the parts of a multipart body as it streams past, by its boundary lines."""

    def __init__(self, content_type_header: str):
        boundary = content_type_header.partition("boundary=")[2].split(";")[0].strip('" ')
        self.marker = b"--" + boundary.encode("latin-1")
        self.tail = b""
        self.markers = 0

    def feed(self, chunk: bytes) -> None:
        if len(self.marker) <= 2 or not chunk:
            return
        data = self.tail + chunk
        self.markers += data.count(self.marker) - self.tail.count(self.marker)
        self.tail = data[-(len(self.marker) - 1) :]

    @property
    def count(self) -> int:
        """Parts begun so far: every boundary line but the closing one opens a part."""
        return max(0, self.markers - 1)


def route_kind(route: str, content_type_header: str) -> str:
    """Which body limit a request gets: 'upload', 'blob', 'mcp' or 'json' (all else)."""
    if UPLOAD_ROUTE.fullmatch(route):
        return "upload"
    if MCP_ROUTE.fullmatch(route):
        return "mcp"
    if BLOB_ROUTE.fullmatch(route) and content_type_header.startswith("multipart/form-data"):
        return "blob"
    return "json"


def client_address(scope: Scope) -> str:
    """The visitor's address: the last X-Forwarded-For entry when there is one (on Spaces
    the proxy appends the address it saw, which the visitor cannot forge), else the
    connection's."""
    forwarded = header(scope, b"x-forwarded-for")
    if forwarded:
        return forwarded.rsplit(",", 1)[-1].strip()
    return (scope.get("client") or ("",))[0]


def declared_length(scope: Scope) -> int | None:
    """The body length the request declares, if it declares one."""
    declared = header(scope, b"content-length")
    if declared is None:
        return None
    if not declared.isdigit():
        raise Refused(400, "Content-Length is not a number")
    return int(declared)


def with_length(scope: Scope, length: int) -> Scope:
    """`scope` whose headers declare the body as `length` bytes, not chunked (the guard has
    read it whole, and may have rewritten it)."""
    headers = [
        (key, value)
        for key, value in scope["headers"]
        if key.lower() not in (b"content-length", b"transfer-encoding")
    ]
    return {**scope, "headers": [*headers, (b"content-length", str(length).encode())]}


def is_http_url(value: Any) -> bool:
    return isinstance(value, str) and value[:8].lower().startswith(("http://", "https://"))


async def fetch_url(url: str, folder: Path, max_bytes: int) -> Path:
    """Download `url` into `folder`/fetched/, refusing what a public Space must not fetch.

    Gradio's own download (processing_utils.ssrf_protected_download) refuses private,
    loopback and link-local addresses through safehttpx, which pins the checked address
    for the connection; this uses the same check and transport, and adds what that lacks
    here: a size limit (Gradio reads the whole response into memory), a time limit, and
    no outside DNS lookup (safehttpx asks dns.google about names that resolve privately).
    Hugging Face's own hosts pass unchecked, as in Gradio (they resolve privately on
    Spaces). Redirects are followed, each target checked again.
    """
    try:
        async with asyncio.timeout(FETCH_TIMEOUT_S):
            for _ in range(MAX_REDIRECTS + 1):
                target = httpx.URL(url)
                if target.scheme not in ("http", "https") or not target.host:
                    raise Refused(400, f"cannot fetch {url[:80]!r}: not an http(s) URL")
                transport = None
                if not safehttpx.matches_domain_whitelist(target.host, PUBLIC_HOSTS):
                    transport = safehttpx.AsyncSecureTransport(await public_address(target.host))
                async with (
                    httpx.AsyncClient(transport=transport) as client,
                    client.stream("GET", url) as response,
                ):
                    if response.is_redirect and "location" in response.headers:
                        url = str(target.join(response.headers["location"]))
                        continue
                    if response.status_code != 200:
                        raise Refused(400, f"fetching {url[:80]} got HTTP {response.status_code}")
                    return await save_response(response, target, folder, max_bytes)
            raise Refused(400, f"more than {MAX_REDIRECTS} redirects from {url[:80]}")
    except TimeoutError:
        raise Refused(400, f"fetching {url[:80]} took over {FETCH_TIMEOUT_S} s") from None
    except httpx.HTTPError as error:
        raise Refused(400, f"could not fetch {url[:80]}: {type(error).__name__}") from None


async def public_address(host: str) -> str:
    """A public IP address that `host` resolves to; Refused if it has none."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None)
    except OSError:
        raise Refused(400, f"cannot fetch from {host[:80]}: the name does not resolve") from None
    for family, *_, address in infos:
        if family in (socket.AF_INET, socket.AF_INET6) and safehttpx.is_public_ip(address[0]):
            return address[0]
    raise Refused(
        400,
        f"cannot fetch from {host[:80]}: a private, loopback or link-local address; "
        "only public http(s) URLs are fetched",
    )


async def save_response(
    response: httpx.Response, url: httpx.URL, folder: Path, max_bytes: int
) -> Path:
    """The body of `response` written to a file under `folder`, refused past `max_bytes`."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise Refused(413, f"the file at {str(url)[:80]} is over {max_bytes} bytes")
    name = re.sub(r"[^A-Za-z0-9._-]", "_", Path(url.path).name)[-64:] or "image"
    place = folder / FETCHED / hashlib.sha256(str(url).encode()).hexdigest()[:20]
    place.mkdir(parents=True, exist_ok=True)
    path = place / name
    size = 0
    with path.open("wb") as out:
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > max_bytes:
                break
            out.write(chunk)
    if size > max_bytes:
        shutil.rmtree(place, ignore_errors=True)
        raise Refused(413, f"the file at {str(url)[:80]} is over {max_bytes} bytes")
    return path


class Uploads:
    """What visitors sent the app as files and it has not read yet: bounded, then removed.

    Gradio keeps every upload (and every file it fetches) for as long as delete_cache
    says, an hour here, and leaves the parts of cut-off uploads (`tmp*` files) for good.
    Here each upload is recorded as Gradio answers it; the app removes it once it has
    read it (discard); sweep() removes what nobody read within `ttl_s`, and the parts
    of cut-off uploads once `ttl_s` has passed without a write. New uploads are refused
    while those pending, plus the largest the uploads in progress could be, would pass
    `quota` bytes, so disk use stays under `quota` whatever one visitor sends.
    """

    registry: ClassVar[weakref.WeakKeyDictionary] = weakref.WeakKeyDictionary()

    def __init__(
        self,
        quota: int = UPLOAD_QUOTA,
        ttl_s: float = UPLOAD_TTL_S,
        client_quota: int = CLIENT_UPLOAD_QUOTA,
    ):
        self.quota = quota
        self.client_quota = client_quota
        self.ttl_s = ttl_s
        # path: (time, bytes, client address)
        self.files: OrderedDict[str, tuple[float, int, str]] = OrderedDict()
        self.reserved: dict[str, int] = {}  # client address: bytes of uploads in progress
        self.refusals: dict[str, str] = {}  # path standing for a refused URL: why
        self.lock = threading.Lock()

    def refuse(self, upload_dir: Path, reason: str) -> str:
        """A path (of no file) inside `upload_dir` that stands for a file refused for `reason`."""
        path = str(upload_dir / REFUSED / f"{secrets.token_hex(8)}.png")
        with self.lock:
            self.refusals[path] = reason
            while len(self.refusals) > MAX_REFUSALS:
                self.refusals.pop(next(iter(self.refusals)))
        return path

    def refusal(self, path: str | None) -> str | None:
        """Why the file `path` stands for was refused; None for a real file."""
        with self.lock:
            return self.refusals.pop(path, None) if path else None

    @classmethod
    def of(cls, blocks: Any) -> Uploads:
        """The one Uploads of `blocks`: the app reads and removes, the guard records."""
        if blocks not in cls.registry:
            cls.registry[blocks] = cls()
        return cls.registry[blocks]

    @property
    def pending(self) -> int:
        """Bytes of files not yet read or swept, and of uploads in progress at their largest."""
        with self.lock:
            return sum(self.reserved.values()) + sum(size for _, size, _ in self.files.values())

    def reserve(self, size: int, client: str = "") -> None:
        """Room for an upload of up to `size` bytes from `client`; Refused (429) while the
        quota, or the client's share of it, is full."""
        with self.lock:
            held = sum(self.reserved.values()) + sum(size for _, size, _ in self.files.values())
            mine = self.reserved.get(client, 0)
            mine += sum(size for _, size, owner in self.files.values() if owner == client)
            if held + size > self.quota or mine + size > self.client_quota:
                raise Refused(429, "too many uploads are waiting to be read; try again in a minute")
            self.reserved[client] = self.reserved.get(client, 0) + size

    def settle(self, reserved: int, paths: list[str], received: int, client: str = "") -> None:
        """An upload has ended: its reservation becomes its files (or, cut off, a debt its
        leftover part holds on disk until the sweep)."""
        with self.lock:
            self.reserved[client] -= reserved
            if not self.reserved[client]:
                del self.reserved[client]
            share = received // max(1, len(paths))
            for path in paths or [f"cut-off upload {time.monotonic()}"]:
                self.files[path] = (time.monotonic(), share, client)

    def add(self, path: str, size: int, client: str = "") -> None:
        """Record a file the app received some other way (a fetched URL)."""
        with self.lock:
            self.files[path] = (time.monotonic(), size, client)

    def discard(self, path: str | None) -> None:
        """An upload the app has read: it goes with the next sweep but one, READ_GRACE_S
        from now (the page shows an uploaded image from its file: it may still be loading)."""
        with self.lock:
            if path in self.files:
                _, size, client = self.files[path]
                self.files[path] = (time.monotonic() - self.ttl_s + READ_GRACE_S, size, client)

    def sweep(self, upload_dir: Path, folders: Iterable[Path] = ()) -> None:
        """Remove what is older than `ttl_s`: unread uploads, cut-off parts, and the files
        in `folders` (transient ones: MCP's decoded base64 images)."""
        now, cutoff = time.monotonic(), time.time() - self.ttl_s
        with self.lock:
            stale = [path for path, (at, _, _) in self.files.items() if now - at > self.ttl_s]
            for path in stale:
                del self.files[path]
        for path in stale:
            if not path.startswith("cut-off upload"):
                remove_upload(Path(path))
        leftovers = [part for part in upload_dir.glob("tmp*") if part.is_file()]
        for folder in folders:
            leftovers += [file for file in folder.rglob("*") if file.is_file()]
        for file in leftovers:
            with contextlib.suppress(OSError):
                if file.stat().st_mtime < cutoff:
                    remove_upload(file)


def remove_upload(path: Path) -> None:
    """Delete `path`, and its folder if that is now empty (Gradio makes one per upload)."""
    path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        path.parent.rmdir()


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


async def read_body(receive: Receive) -> bytes:
    """The whole body (`receive`, a Counted, bounds it)."""
    chunks, more = [], True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
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
