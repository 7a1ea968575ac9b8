"""The HTTP that bench/hostile.py speaks to the demo: Gradio's routes, by hand, with a budget.

gradio_client checks what it sends; an attacker does not, so the requests here are
built field by field: the Sketchpad's blob form, a prediction through the queue (join,
then the event stream), and large bodies announced with `Expect: 100-continue`, as curl
sends them, so the server can refuse them before a byte of the body travels.
Every call returns a Reply (status, seconds, a short note) and never raises for what the
server does: a reset, a timeout and a 500 are all answers to record.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

API = "/gradio_api"
NO_ANSWER = 0  # Reply.status when the server sent no HTTP response (reset, timeout)
CUT_OFF = 499  # Reply.status when the client itself hung up mid-body (nginx's code for it)
NOTE_CHARS = 100
READ_CHUNK = 65536


@dataclass
class Reply:
    """What one request got: the HTTP status (NO_ANSWER for none), its time and a note."""

    status: int
    seconds: float
    note: str = ""


def timed(call, *args, **kwargs) -> Reply:
    """`call(*args, **kwargs)` (an httpx request), as a Reply; errors become NO_ANSWER."""
    start = time.perf_counter()
    try:
        response = call(*args, **kwargs)
        return Reply(response.status_code, time.perf_counter() - start, response.text[:NOTE_CHARS])
    except httpx.HTTPError as error:
        return Reply(NO_ANSWER, time.perf_counter() - start, f"{type(error).__name__}: {error}")


def post_blob(
    http: httpx.Client, fields: dict[str, str], files: list[tuple[str, bytes]] | None = None
) -> Reply:
    """POST the Sketchpad's accept_blobs form: `fields`, and each (name, bytes) as 'file'."""
    parts = [("file", (name, data, "image/png")) for name, data in files or []]
    return timed(http.post, f"{API}/component_server", data=fields, files=parts or None)


def blob_fields(component_id: int, blob_id: str, kind: str, index: str = "null") -> dict:
    """The form fields the page sends with each blob."""
    return {
        "component_id": str(component_id),
        "session_hash": "hostile",
        "fn_name": "accept_blobs",
        "type": kind,
        "index": index,
        "id": blob_id,
    }


def queue_predict(
    http: httpx.Client, fn_index: int, data: list, session: str, budget_s: float
) -> Reply:
    """Join the queue with `data` for `fn_index` and wait for its result on the event stream.

    The note is the output's JSON on success, or the error message Gradio sent.
    """
    start = time.perf_counter()
    body = {"data": data, "fn_index": fn_index, "session_hash": session}
    try:
        joined = http.post(f"{API}/queue/join", json=body)
    except httpx.HTTPError as error:
        return Reply(NO_ANSWER, time.perf_counter() - start, f"{type(error).__name__}: {error}")
    if joined.status_code != 200:
        return Reply(joined.status_code, time.perf_counter() - start, joined.text[:NOTE_CHARS])
    event_id = joined.json().get("event_id")
    try:
        with http.stream("GET", f"{API}/queue/data", params={"session_hash": session}) as stream:
            for line in stream.iter_lines():
                if time.perf_counter() - start > budget_s:
                    break
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[len("data:") :])
                if message.get("event_id") not in (None, event_id):
                    continue
                if message.get("msg") == "process_completed":
                    output = message.get("output", {})
                    note = json.dumps(output.get("data")) if message.get("success") else None
                    return Reply(200, time.perf_counter() - start, note or str(output.get("error")))
    except httpx.HTTPError as error:
        return Reply(NO_ANSWER, time.perf_counter() - start, f"{type(error).__name__}: {error}")
    return Reply(NO_ANSWER, time.perf_counter() - start, f"no result within {budget_s:.0f} s")


def post_large(
    port: int,
    path: str,
    content_type: str,
    length: int,
    chunks: Iterable[bytes],
    budget_s: float,
) -> Reply:
    """POST a `length`-byte body made of `chunks`, announced with `Expect: 100-continue`.

    As curl does for large bodies: the headers go first, and the body only if the server
    answers "100 Continue". A server that refuses by Content-Length answers at once and
    the body never travels; one that asks for it gets all of it.
    """
    start = time.perf_counter()
    head = (
        f"POST {API}{path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {length}\r\n"
        "Expect: 100-continue\r\nConnection: close\r\n\r\n"
    )
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=budget_s) as sock:
            sock.sendall(head.encode())
            reader = sock.makefile("rb")
            status, body = read_response(reader)
            if status == 100:  # the server wants the body: send it, then read the answer
                for chunk in chunks:
                    sock.sendall(chunk)
                status, body = read_response(reader)
            return Reply(status, time.perf_counter() - start, body[:NOTE_CHARS])
    except OSError as error:  # reset, timeout, refused
        return Reply(NO_ANSWER, time.perf_counter() - start, f"{type(error).__name__}: {error}")


def read_response(reader) -> tuple[int, str]:
    """One HTTP/1.1 response from a socket file: its status and (decoded) body."""
    status_line = reader.readline()
    if not status_line:
        raise ConnectionResetError("the server closed the connection without an answer")
    status = int(status_line.split()[1])
    length = None
    while (line := reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    if status == 100:
        return status, ""
    body = reader.read(length) if length is not None else reader.read(READ_CHUNK)
    return status, body.decode(errors="replace")


def post_chunked(
    port: int,
    path: str,
    content_type: str,
    chunks: Iterable[bytes],
    budget_s: float,
    declared: int | None = None,
    cut_off: bool = False,
) -> Reply:
    """POST a body in HTTP/1.1 chunked encoding, optionally declaring a Content-Length too.

    A server that trusts the declared length but lets its HTTP parser read the chunks
    (h11 does) takes the whole body. With `cut_off`, the connection is closed after the
    chunks, before the body's end: an upload cut off mid-body.
    """
    start = time.perf_counter()
    head = (
        f"POST {API}{path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n"
        + (f"Content-Length: {declared}\r\n" if declared is not None else "")
        + "Connection: close\r\n\r\n"
    )
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=budget_s) as sock:
            sock.sendall(head.encode())
            try:
                for chunk in chunks:
                    sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                if cut_off:
                    return Reply(CUT_OFF, time.perf_counter() - start, "cut off by the client")
                sock.sendall(b"0\r\n\r\n")
            except OSError:  # the server answered and closed while the body was going
                pass
            status, body = read_response(sock.makefile("rb"))
            return Reply(status, time.perf_counter() - start, body[:NOTE_CHARS])
    except OSError as error:
        return Reply(NO_ANSWER, time.perf_counter() - start, f"{type(error).__name__}: {error}")
