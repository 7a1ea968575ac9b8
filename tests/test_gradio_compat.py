"""Each Gradio internal that demo/gradio_compat.py relies on, exercised one by one.

An upgrade of Gradio that changes one of them fails here first, and the test's name
says which (the numbers are those of the list at the top of gradio_compat.py). The
version gate that keeps the app from starting under an untested Gradio is here too.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import gradio as gr
import httpx
import numpy as np
import pytest
from gradio.components.image_editor import AcceptBlobs, EditorData, EditorDataBlobs
from PIL import Image
from pydantic import ValidationError

from demo import app as demo_app
from demo import gradio_compat
from demo.gradio_compat import CompositeBlobs, Policy, Uploads, ViewFiles, image_source
from demo.reading import CANVAS_HEIGHT, CANVAS_WIDTH, DigitClassifier
from tests.support import processes
from tests.support.hostile import GOOD_DIGIT, connect, page_drawing
from tests.support.paths import DEMO_DIR, EXAMPLES_DIR, MODEL_PATH
from tests.support.routes import API


@pytest.fixture(scope="module")
def page() -> gr.Blocks:
    """The app's page, built in this process as app.py builds it, guard not yet applied."""
    return demo_app.build_app(DigitClassifier.load(MODEL_PATH))


@pytest.fixture(scope="module")
def policy(page) -> Policy:
    return Policy.for_app(page, layers=demo_app.SKETCH_LAYERS, max_file_size=1024)


def png_bytes(path=EXAMPLES_DIR / "5.png") -> bytes:
    return path.read_bytes()


# The version gate.


def test_the_gate_passes_the_spaces_gradio_and_names_any_other(tmp_path, monkeypatch):
    assert gradio_compat.space_gradio_version() == gr.__version__
    assert gradio_compat.check_gradio_version() is None
    card = tmp_path / "README.md"
    card.write_text("---\nsdk: gradio\nsdk_version: 9.9.9\n---\n# A Space\n")
    monkeypatch.setattr(gradio_compat, "SPACE_CARD", card)
    monkeypatch.delenv(gradio_compat.ANY_GRADIO_ENV, raising=False)
    problem = gradio_compat.check_gradio_version()
    assert problem == (
        f"Gradio {gr.__version__} is installed, but gradio_compat.py was written for 9.9.9 "
        f"(the sdk_version in README.md); set LENET_ANY_GRADIO=1 to try anyway"
    )
    monkeypatch.setenv(gradio_compat.ANY_GRADIO_ENV, "1")
    assert gradio_compat.check_gradio_version() is None


def test_the_adapter_says_which_gradio_it_was_written_against():
    assert f"for Gradio {gr.__version__}." in gradio_compat.__doc__.splitlines()[0]


def test_the_app_refuses_another_gradio_in_one_line(tmp_path):
    space = shutil.copytree(DEMO_DIR, tmp_path / "space", ignore=shutil.ignore_patterns("*.pyc"))
    card = space / "README.md"
    card.write_text(
        card.read_text().replace(f"sdk_version: {gr.__version__}", "sdk_version: 9.9.9")
    )
    result = processes.run(["app.py"], cwd=space, timeout=120)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"error: Gradio {gr.__version__} is installed, but gradio_compat.py was written for "
        "9.9.9 (the sdk_version in README.md); set LENET_ANY_GRADIO=1 to try anyway"
    ]


# 1 and 2: the routes, their payloads, and the Sketchpad's blob form, as the page sends them.


def test_1_2_a_drawing_sent_as_the_page_sends_it_is_read(demo_app):
    """/config's shape, /upload, the accept_blobs form, /queue/join with {"id"} and the
    event stream: what the guard checks and what the hostile visitor speaks."""
    assert page_drawing(connect(demo_app)) == GOOD_DIGIT


# 3 and 4: Blocks.fns, Blocks.blocks and component._id.


def test_3_the_functions_are_found_by_index_and_api_name(page, policy):
    assert {"predict", "predict_upload"} <= set(policy.api_names)
    for name in ("predict", "predict_upload"):
        models = policy.inputs[policy.api_names[name]]
        assert len(models) == 1 and models[0] is not None, (name, models)
    assert all(isinstance(models, tuple) for models in policy.inputs.values())


def test_4_the_sketchpads_id_is_the_one_the_page_is_told(page, policy):
    config = page.get_config_file()
    (editor,) = [c["id"] for c in config["components"] if c["type"] == "imageeditor"]
    assert policy.blob_component == editor
    assert isinstance(gradio_compat.the_sketchpad(page), gr.ImageEditor)


# 5: GRADIO_CACHE.


def test_5_uploads_land_in_the_components_cache_folder(demo_app):
    with httpx.Client(base_url=demo_app.url.rstrip("/"), timeout=30) as http:
        response = http.post(f"{API}/upload", files=[("files", ("5.png", png_bytes()))])
    (path,) = response.json()
    # The running app's folder is private (serving.private_temp_dir); its name is known.
    assert "lenet-demo-" in path and path.endswith("5.png"), path


def test_5_the_upload_folder_is_an_absolute_path(policy):
    assert policy.upload_dir.is_absolute()


# 6: data_model.model_validate with Gradio's context.


def test_6_an_input_is_validated_as_gradio_validates_it(policy):
    (model,) = policy.inputs[policy.api_names["predict"]]
    value = {"background": None, "layers": [], "composite": None}
    model.model_validate(value, context={"validate_meta": True})
    with pytest.raises(ValidationError):
        model.model_validate({"layers": "not a list"}, context={"validate_meta": True})


# 7: ImageEditor.blob_storage, and accept_blobs storing into it.


def test_7_the_bounded_store_takes_gradios_blobs_and_gives_back_the_composite():
    app = demo_app.build_app(DigitClassifier.load(MODEL_PATH))  # one of its own to change
    sketch = gradio_compat.the_sketchpad(app)
    assert type(sketch.blob_storage) is dict  # what protect() replaces
    gradio_compat.bound_blob_storage(app)
    assert isinstance(sketch.blob_storage, CompositeBlobs)
    for kind, index in (("background", None), ("composite", None), ("layer", 0)):
        data = {"type": kind, "index": index, "id": "drawing1", "file": b""}
        sketch.accept_blobs(AcceptBlobs(data=data, files=[("file", png_bytes())]))
    stored = sketch.blob_storage["drawing1"]
    assert stored.composite == png_bytes() and stored.background is None and stored.layers == []
    value = sketch.preprocess(EditorData(id="drawing1"))
    assert value["composite"].shape == (CANVAS_HEIGHT, CANVAS_WIDTH, 4)


def test_7_the_blob_store_keeps_only_composites():
    store = CompositeBlobs()
    store["a"] = EditorDataBlobs(background=b"background", layers=[b"layer"], composite=b"ink")
    kept = store.get("a")
    assert kept.composite == b"ink"
    assert kept.background is None and kept.layers == []


def test_7_the_blob_store_drops_the_oldest_past_its_count_or_its_bytes():
    def blobs(composite: bytes) -> EditorDataBlobs:
        return EditorDataBlobs(background=None, layers=[], composite=composite)

    store = CompositeBlobs(max_entries=3, max_bytes=10)
    for key in "abcd":
        store[key] = blobs(b"12")
    assert list(store) == ["b", "c", "d"]  # past the count
    store["e"] = blobs(b"1234567")
    assert list(store) == ["d", "e"]  # past the bytes: c, d and e hold 2 + 2 + 7 > 10
    assert store.pop("a") is None  # gone: Gradio's check-then-pop gets None, not KeyError
    assert store.pop("e").composite == b"1234567" and "e" not in store


def test_6_7_the_image_a_payload_names_is_found_as_gradio_would(page):
    sketch = gradio_compat.the_sketchpad(page)
    upload = next(b for b in page.blocks.values() if getattr(b, "elem_id", None) == "upload")
    meta = {"_type": "gradio.FileData"}
    assert image_source(upload, {"path": "/up/a.png", "meta": meta}) == "/up/a.png"
    drawing = {"background": {"path": "/up/b.png", "meta": meta}, "layers": []}
    # The composite when there is one; the background when not (the API page's example).
    assert image_source(sketch, {**drawing, "composite": {"path": "/up/c.png", "meta": meta}})
    assert image_source(sketch, {**drawing, "composite": None}) == "/up/b.png"
    assert image_source(sketch, {"id": "never-sent"}) is None  # an empty canvas
    assert image_source(sketch, None) is None


def test_7_the_examples_input_takes_a_row_number(page, policy):
    (dataset,) = [b for b in page.blocks.values() if isinstance(b, gr.Dataset)]
    rows = [models for models in policy.inputs.values() if models == (len(dataset.samples),)]
    examples = len(list(EXAMPLES_DIR.glob("*.png")))
    assert len(dataset.samples) == examples and rows  # the loading function's one input


# 8 and 9: FastAPI's error shape, and the guard in front of Gradio through launch().


def test_8_9_the_guard_answers_before_gradio_in_fastapis_shape(demo_app):
    with httpx.Client(base_url=demo_app.url.rstrip("/"), timeout=30) as http:
        fastapi = http.get(f"{API}/no-such-route")
        refused = http.post(
            f"{API}/queue/join", json={"data": [None], "fn_index": 999, "session_hash": "h"}
        )
    assert fastapi.status_code == 404 and set(fastapi.json()) == {"detail"}
    assert refused.status_code == 404 and refused.json() == {"detail": "no function 999"}
    assert "INFO demo.guard: refused POST /queue/join" in demo_app.log()


# 10: Examples.load_input_event.


def test_10_loading_an_example_is_an_event_to_chain_on():
    with gr.Blocks() as blocks:
        sketch = gr.Sketchpad()
        examples = gr.Examples([[str(EXAMPLES_DIR / "2.png")]], inputs=sketch)
        event = gradio_compat.example_loaded(examples)
        event.then(lambda value: None, inputs=sketch)
    assert callable(event.then) and len(blocks.fns) >= 2


# 11: the CSS and JS fixes' class names, in a real browser.


@pytest.mark.slow
def test_11_every_class_name_the_page_fixes_is_in_the_page(browser, app_url):
    from tests.support.page import open_page

    with open_page(browser, app_url) as page:
        missing = [s for s in gradio_compat.PAGE_SELECTORS if page.locator(s).count() == 0]
    assert missing == []


def test_11_the_page_files_name_what_they_fix():
    css, js = gradio_compat.PAGE_CSS.read_text(), gradio_compat.PAGE_JS.read_text()
    for selector in (".pixi-target", ".toolbar-wrap", ".image-container"):
        assert selector in css, selector
    assert "button.quite-round" in js and "[aria-dropeffect]" in js


# 12: the image cache, handed files by path (ViewFiles).


def test_12_views_are_saved_once_by_content_as_png():
    views = ViewFiles()
    view = np.zeros((280, 280), dtype=np.uint8)
    first, again = views.save(view), views.save(view.copy())
    assert first == again and first.endswith(".png")
    assert np.array_equal(np.asarray(Image.open(first)), view)
    assert views.save(None) is None


# 13: the queue's events and sessions.


def test_13_the_queue_knows_each_events_session_and_client(demo_app):
    from tests.support.routes import queue_predict

    target = connect(demo_app)
    with httpx.Client(base_url=demo_app.url.rstrip("/"), timeout=30) as http:
        # An unknown session's stream is refused in one line, not a traceback.
        refused = http.get(f"{API}/queue/data", params={"session_hash": "nobody"})
        reply = queue_predict(http, target.predict, [None], "compat13", 30)
    seen = [line for line in demo_app.log().splitlines() if "no such session" in line]
    assert refused.status_code == 404 and refused.json() == {
        "detail": "no such session: join the queue first"
    }
    assert reply.status == 200 and seen


def test_13_queued_events_reads_session_and_address():
    class Event:
        session_hash = "s1"
        request = type("Request", (), {"client": type("Client", (), {"host": "1.2.3.4"})()})()

    class Blocks:
        _queue = type("Queue", (), {"event_ids_to_events": {"e1": Event()}})()

    assert list(gradio_compat.queued_events(Blocks())) == [("s1", "1.2.3.4")]
    queue = gr.Blocks().queue()._queue  # the real one holds both, empty
    assert queue.event_ids_to_events == {} and "nobody" not in queue.pending_messages_per_session


# 14: the upload route's answer and its parts on disk.


def test_14_an_upload_is_answered_with_its_path_and_removed_once_read(demo_app):
    from gradio_client import Client

    with httpx.Client(base_url=demo_app.url.rstrip("/"), timeout=30) as http:
        answer = http.post(f"{API}/upload", files=[("files", ("5.png", png_bytes()))]).json()
    (path,) = answer
    assert isinstance(path, str) and Path(path).is_file()
    value = {"path": path, "meta": {"_type": "gradio.FileData"}}
    Client(demo_app.url, verbose=False).predict(value, api_name="/read")
    deadline = time.monotonic() + gradio_compat.READ_GRACE_S + gradio_compat.SWEEP_EVERY_S + 1
    while Path(path).exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not Path(path).exists()


def test_14_uploads_are_bounded_swept_and_removed(tmp_path):
    uploads = Uploads(quota=100, ttl_s=0.2)
    uploads.reserve(60)
    with pytest.raises(gradio_compat.Refused) as refused:
        uploads.reserve(60)
    assert refused.value.status == 429
    kept = tmp_path / "abc" / "a.png"
    kept.parent.mkdir()
    kept.write_bytes(b"x" * 50)
    uploads.settle(60, [str(kept)], 50)
    assert uploads.pending == 50
    part = tmp_path / "tmpcutoff"
    part.write_bytes(b"part")
    os.utime(part, (time.time() - 1, time.time() - 1))
    time.sleep(0.3)
    uploads.sweep(tmp_path)
    assert uploads.pending == 0 and not kept.exists() and not kept.parent.exists()
    assert not part.exists()


def test_14_parts_are_counted_across_chunks():
    counter = gradio_compat.PartCounter("multipart/form-data; boundary=xyz")
    body = b"--xyz\r\n1\r\n--xyz\r\n2\r\n--xyz--\r\n"
    for i in range(0, len(body), 3):
        counter.feed(body[i : i + 3])
    assert counter.count == 2


# 15: URL fetching through safehttpx, as Gradio does.


def test_15_gradio_fetches_urls_through_safehttpx_with_its_whitelist():
    import safehttpx
    from gradio import processing_utils

    assert gradio_compat.PUBLIC_HOSTS is processing_utils.PUBLIC_HOSTNAME_WHITELIST
    assert safehttpx.matches_domain_whitelist("huggingface.co", gradio_compat.PUBLIC_HOSTS)
    assert not safehttpx.is_public_ip("127.0.0.1") and safehttpx.is_public_ip("8.8.8.8")
    assert issubclass(safehttpx.AsyncSecureTransport, httpx.AsyncHTTPTransport)
    assert "safehttpx" in Path(processing_utils.__file__).read_text()


# 16: MCP.


def test_16_mcp_decodes_base64_into_the_apps_folder(demo_app):
    from tests.support.api import data_url, mcp_call

    result = mcp_call(demo_app.url, "read", {"image": data_url(png_bytes())})
    assert not result.isError and "'number': '5'" in result.content[0].text


def test_16_a_tools_arguments_are_described_by_one_docstring_line():
    from gradio.utils import get_function_description

    def tool(image: str) -> dict:
        """Read it.

        Args:
            image: The image, one line.
            more on a second line
        """

    description, parameters, _ = get_function_description(tool)
    assert description == "Read it." and parameters == {"image": "The image, one line."}


def test_14_one_client_takes_at_most_its_share_of_the_upload_quota():
    uploads = Uploads(quota=100, ttl_s=60, client_quota=60)
    uploads.reserve(50, "203.0.113.1")
    with pytest.raises(gradio_compat.Refused):
        uploads.reserve(20, "203.0.113.1")  # past its share
    uploads.reserve(40, "198.51.100.7")  # another visitor still has room
    with pytest.raises(gradio_compat.Refused):
        uploads.reserve(20, "192.0.2.9")  # past the whole quota


def test_the_visitors_address_is_the_proxys_last_forwarded_entry():
    scope = {"client": ("10.0.0.2", 5000), "headers": []}
    assert gradio_compat.client_address(scope) == "10.0.0.2"
    scope["headers"] = [(b"x-forwarded-for", b"6.6.6.6, 203.0.113.1")]  # the first is forgeable
    assert gradio_compat.client_address(scope) == "203.0.113.1"
