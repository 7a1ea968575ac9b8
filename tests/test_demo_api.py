"""The API that Gradio advertises, as its users call it, against the running app.

gradio_client with a local file and with a URL, the two-step cURL, @gradio/client (Node),
the API page's description of /read, MCP through the `mcp` Python client, and what
happens to the files they send. Uses the app the session starts (conftest's demo_app).

URLs: the app fetches public http(s) URLs only, and this machine reaches none, so here
only the refusals are tested end to end (loopback, private, link-local), and the
download itself in process, against a local server that the test lets through.
"""

from __future__ import annotations

import ast
import http.server
import io
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from demo import gradio_compat
from demo.reading.canvas import BRUSH_RADIUS, CANVAS_HEIGHT, CANVAS_WIDTH
from demo.strokes import number_strokes, render_strokes
from tests.support.api import (
    api_page_snippets,
    curl_read,
    data_url,
    js_read,
    mcp_call,
    mcp_tools,
    run_async,
    run_curl_snippet,
    run_js_snippet,
    run_python_snippet,
)
from tests.support.page import open_page
from tests.support.paths import DEMO_DIR

REFUSED_LOOPBACK = (
    "cannot fetch from {host}: a private, loopback or link-local address; "
    "only public http(s) URLs are fetched"
)
READING_KEYS = {"number", "not_sure", "answer", "digits"}


@pytest.fixture(scope="module")
def client(app_url) -> Client:
    return Client(app_url, verbose=False)


@pytest.fixture(scope="module")
def number_png(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("api") / "2026.png"
    brush = 2 * BRUSH_RADIUS
    canvas = (CANVAS_WIDTH, CANVAS_HEIGHT)
    strokes = number_strokes("2026", canvas, 85, 10, brush)
    render_strokes(strokes, canvas, brush).save(path)
    return path


def assert_reads(reading: dict, number: str) -> None:
    assert set(reading) == READING_KEYS
    assert reading["number"] == number
    assert len(reading["digits"]) == len(number)
    for digit, guesses in zip(number, reading["digits"], strict=True):
        assert guesses[0]["digit"] == digit and len(guesses) == 3
        probabilities = [guess["probability"] for guess in guesses]
        assert sorted(probabilities, reverse=True) == probabilities and probabilities[0] > 0.5


def test_the_api_page_documents_read_alone(app_url):
    info = httpx.get(f"{app_url}gradio_api/info", timeout=30).json()
    assert list(info["named_endpoints"]) == ["/read"]
    (parameter,) = info["named_endpoints"]["/read"]["parameters"]
    assert parameter["parameter_name"] == "image"
    # The snippet's example: handle_file('https://...'), which the Space fetches.
    assert parameter["example_input"]["path"].startswith("https://")
    (returned,) = info["named_endpoints"]["/read"]["returns"]
    assert returned["component"] == "Json"


@pytest.mark.slow  # headless Chromium, then Node and a Python of their own
def test_the_api_pages_snippets_read_a_drawing(browser, app_url):
    """Python, JavaScript and cURL as the API page shows them, a local image in place of
    the example URL (which this machine cannot reach)."""
    digit = DEMO_DIR / "examples" / "5.png"
    with open_page(browser, app_url) as page:
        snippets = api_page_snippets(page)
    assert_reads(run_python_snippet(snippets["python"], digit), "5")
    assert "number: '5'" in run_js_snippet(snippets["javascript"], digit.read_bytes())
    event, data = run_curl_snippet(snippets["curl"], digit)
    assert event == "complete", (event, data)
    assert_reads(data[0], "5")


def test_gradio_client_reads_a_local_file(client, number_png):
    assert_reads(client.predict(handle_file(str(number_png)), api_name="/read"), "2026")


def test_the_sketchpads_endpoint_still_reads_a_drawing(client, number_png):
    label, _view, answer, _digits = client.predict(
        {"background": None, "layers": [], "composite": handle_file(str(number_png))},
        api_name="/predict",
    )
    assert label["label"] == "2026" and "2026" in answer


def test_a_drawing_sent_as_background_alone_is_read(client):
    # The shape of the API page's old Sketchpad example: background set, composite null.
    value = {"background": handle_file(str(DEMO_DIR / "examples" / "3.png")), "layers": []}
    label, *_ = client.predict({**value, "composite": None}, api_name="/predict")
    assert label["label"] == "3"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "10.1.2.3", "169.254.169.254"])
def test_a_url_the_space_must_not_fetch_is_refused_in_one_line(client, demo_app, host):
    with pytest.raises(AppError) as error:
        client.predict(handle_file(f"http://{host}:9/digit.png"), api_name="/read")
    assert str(error.value) == REFUSED_LOOPBACK.format(host=host)
    assert "Traceback" not in demo_app.log()


def test_an_upload_is_removed_once_read(app_url, client):
    with httpx.Client(base_url=app_url.rstrip("/"), timeout=30) as http:
        png = (DEMO_DIR / "examples" / "8.png").read_bytes()
        (path,) = http.post("/gradio_api/upload", files=[("files", ("8.png", png))]).json()
    assert Path(path).is_file()
    file_data = {"path": path, "meta": {"_type": "gradio.FileData"}}
    assert client.predict(file_data, api_name="/read")["number"] == "8"
    assert wait_until_gone(Path(path))


def wait_until_gone(path: Path) -> bool:
    """Whether `path` is deleted within a read upload's grace and a sweep (and a second)."""
    deadline = time.monotonic() + gradio_compat.READ_GRACE_S + gradio_compat.SWEEP_EVERY_S + 1
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    return not path.exists()


def test_the_two_step_curl_reads_an_upload_and_refuses_a_private_url(app_url):
    with httpx.Client(base_url=app_url.rstrip("/"), timeout=30) as http:
        png = (DEMO_DIR / "examples" / "5.png").read_bytes()
        (path,) = http.post("/gradio_api/upload", files=[("files", ("5.png", png))]).json()
    event, data = curl_read(app_url, {"path": path, "meta": {"_type": "gradio.FileData"}})
    assert event == "complete"
    assert_reads(data[0], "5")
    event, data = curl_read(app_url, {"path": "http://127.0.0.1:9/5.png"})
    assert event == "error" and data["error"] == REFUSED_LOOPBACK.format(host="127.0.0.1")


def test_the_js_client_reads_a_file_and_refuses_a_private_url(app_url, number_png):
    assert_reads(js_read(app_url, str(number_png))["data"][0], "2026")
    refused = js_read(app_url, "http://127.0.0.1:9/x.png")
    assert refused == {"error": REFUSED_LOOPBACK.format(host="127.0.0.1")}


def test_a_twelve_megapixel_phone_photo_is_read(client, tmp_path):
    example = Image.open(DEMO_DIR / "examples" / "8.png").convert("L")
    digit = example.crop(example.point(lambda v: v < 128 and 255).getbbox())
    digit = digit.resize((round(1800 * digit.width / digit.height), 1800))  # 1800 px tall
    rng = np.random.default_rng(0)
    paper = (np.full((3000, 4000), 215) + rng.normal(0, 4, (3000, 4000))).clip(0, 255)
    left = (4000 - digit.width) // 2
    paper[600:2400, left : left + digit.width][np.asarray(digit) < 128] = 45
    photo = tmp_path / "phone.jpg"
    Image.fromarray(paper.astype(np.uint8)).convert("RGB").save(photo, quality=88)
    assert photo.stat().st_size < 5 * 1024 * 1024
    assert client.predict(handle_file(str(photo)), api_name="/read")["number"] == "8"


# MCP


def test_mcp_lists_one_well_described_tool(app_url):
    (tool,) = mcp_tools(app_url)
    assert tool.name == "read"
    assert tool.description.startswith("Read the handwritten digit, or number of up to 8 digits")
    image = tool.inputSchema["properties"]["image"]
    assert image["type"] == "string" and "base64" in image["description"]
    assert tool.inputSchema["required"] == ["image"]


def test_mcp_reads_a_drawn_number_sent_as_base64(app_url, number_png):
    result = mcp_call(app_url, "read", {"image": data_url(number_png.read_bytes())})
    assert not result.isError
    # Gradio's MCP server sends a returned dict as its Python text.
    assert_reads(ast.literal_eval(result.content[0].text), "2026")


def test_mcp_refuses_a_private_url_in_one_line(app_url):
    result = mcp_call(app_url, "read", {"image": "http://127.0.0.1:9/x.png"})
    assert result.isError
    assert result.content[0].text.endswith(REFUSED_LOOPBACK.format(host="127.0.0.1"))


# The download itself, in process: a local server stands in for a public host.


class Files(http.server.BaseHTTPRequestHandler):
    """/digit.png, /big (over the limit), /redirect (to a private address)."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "http://10.0.0.1/digit.png")
            self.end_headers()
            return
        body = bytes(2048) if self.path == "/big" else DIGIT_PNG
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


DIGIT_PNG = (DEMO_DIR / "examples" / "2.png").read_bytes()


@pytest.fixture
def public_server(monkeypatch):
    """A local HTTP server whose host name the fetcher takes for a public address."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Files)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    checked = gradio_compat.public_address

    async def public_for_the_test(host: str) -> str:
        return "127.0.0.1" if host == "digits.test" else await checked(host)

    monkeypatch.setattr(gradio_compat, "public_address", public_for_the_test)
    yield f"http://digits.test:{server.server_address[1]}"
    server.shutdown()


def test_a_fetched_url_is_saved_within_the_size_limit(public_server, tmp_path):
    path = run_async(gradio_compat.fetch_url(f"{public_server}/digit.png", tmp_path, 4096))
    assert path.read_bytes() == DIGIT_PNG and path.is_relative_to(tmp_path / "fetched")
    with pytest.raises(gradio_compat.Refused) as error:
        run_async(gradio_compat.fetch_url(f"{public_server}/big", tmp_path, 1024))
    assert error.value.status == 413
    assert not list((tmp_path / "fetched").glob("*/big"))


def test_a_redirect_to_a_private_address_is_refused(public_server, tmp_path):
    with pytest.raises(gradio_compat.Refused) as error:
        run_async(gradio_compat.fetch_url(f"{public_server}/redirect", tmp_path, 4096))
    assert error.value.reason == REFUSED_LOOPBACK.format(host="10.0.0.1")


def test_an_image_is_shrunk_before_it_is_read():
    from demo.reading import MAX_SIDE, open_image

    buffer = io.BytesIO()
    Image.new("L", (4096, 2048), 255).save(buffer, format="png")
    image = open_image(buffer.getvalue(), 4096 * 4096)
    assert image.shape == (MAX_SIDE // 2, MAX_SIDE, 4)


def test_the_same_file_read_by_read_and_by_the_upload_tab_gets_each_ones_answer(client):
    path = str(DEMO_DIR / "examples" / "3.png")
    assert client.predict(handle_file(path), api_name="/read")["number"] == "3"
    label, _view, answer, digits = client.predict(handle_file(path), api_name="/predict_upload")
    assert label["label"] == "3" and answer == "It's a 3" and digits == ""
