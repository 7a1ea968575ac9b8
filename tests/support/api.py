"""The app's documented API as its users call it: the two-step cURL, @gradio/client, MCP.

    curl_read(url, file_data)          # POST /gradio_api/call/read, then GET its event stream
    js_read(url, path)                 # @gradio/client in Node, as the API page's JS snippet
    mcp_tools(url), mcp_read(url, image)   # the `mcp` Python client on /gradio_api/mcp/
    snippets = api_page_snippets(page)  # the API page's own Python, JavaScript and cURL
    run_python_snippet(snippets["python"], png_path)   # each run with a local image for
    run_js_snippet(snippets["javascript"], png_bytes)  # the page's example URL
    run_curl_snippet(snippets["curl"], png_path)

gradio_client is used directly by the tests. @gradio/client is installed by `make test`
(npm, the version pinned in the Makefile) into the ignored .gradio-js/.
"""

from __future__ import annotations

import ast
import asyncio
import base64
import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from .paths import REPO

GRADIO_JS = REPO / ".gradio-js"
JS_TIMEOUT_S = 120
# What the API page's JavaScript snippet does, with a local file (a Blob) or a URL.
JS_READ = """
import { Client, handle_file } from "@gradio/client";
import { readFileSync } from "node:fs";
const [url, image] = process.argv.slice(1);
const app = await Client.connect(url);
const file = /^https?:/.test(image)
  ? handle_file(image)
  : handle_file(new Blob([readFileSync(image)], { type: "image/png" }));
try {
  const result = await app.predict("/read", { image: file });
  console.log(JSON.stringify({ data: result.data }));
} catch (error) {
  console.log(JSON.stringify({ error: error.message ?? String(error) }));
}
process.exit(0);
"""


def curl_read(url: str, file_data: dict, timeout: float = 60) -> tuple[str, object]:
    """The API page's two-step cURL for /read: POST the data, then GET the event's stream.

    Returns the stream's last event and its data: ("complete", [reading]) or ("error", msg).
    """
    base = url.rstrip("/")
    with httpx.Client(timeout=timeout) as http:
        posted = http.post(f"{base}/gradio_api/call/read", json={"data": [file_data]})
        posted.raise_for_status()
        event_id = posted.json()["event_id"]
        event, data = "", None
        with http.stream("GET", f"{base}/gradio_api/call/read/{event_id}") as stream:
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    event = line.partition(":")[2].strip()
                elif line.startswith("data:") and event in ("complete", "error"):
                    data = json.loads(line.partition(":")[2])
                    return event, data
    return event, data


def js_read(url: str, image: str) -> dict:
    """/read through @gradio/client in Node: {"data": [...]} or {"error": message}."""
    if not (GRADIO_JS / "node_modules" / "@gradio" / "client").is_dir():
        raise FileNotFoundError(f"{GRADIO_JS} has no @gradio/client: `make test` installs it")
    result = subprocess.run(
        ["node", "--input-type=module", "-e", JS_READ, url, image],
        cwd=GRADIO_JS,
        capture_output=True,
        text=True,
        timeout=JS_TIMEOUT_S,
    )
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"node exited {result.returncode}: {result.stderr[-2000:]}")
    return json.loads(lines[-1])


def mcp_url(app_url: str) -> str:
    return f"{app_url.rstrip('/')}/gradio_api/mcp/"


async def _session(url: str, work):
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async with (
        streamable_http_client(mcp_url(url)) as (read, write, _),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        return await work(session)


def run_async(coroutine):
    """`coroutine` run to its end on a thread of its own: the browser tests' Playwright
    keeps an event loop running on this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def mcp_tools(url: str) -> list:
    """The tools the app's MCP server lists (mcp.types.Tool)."""

    async def work(session):
        return (await session.list_tools()).tools

    return run_async(_session(url, work))


def mcp_call(url: str, tool: str, arguments: dict):
    """The result of calling `tool` (mcp.types.CallToolResult)."""

    async def work(session):
        return await session.call_tool(tool, arguments)

    return run_async(_session(url, work))


def data_url(png: bytes) -> str:
    """`png` as a data: URL, as MCP clients send images."""
    return "data:image/png;base64," + base64.b64encode(png).decode()


# The API page: "Use via API or MCP" in the footer opens it; a tab per language, each
# holding its snippet (Gradio 6.31's markup). The snippets' example image is a URL on
# GitHub, which the app (and this machine) cannot fetch here: each runner puts a local
# image in its place, and otherwise runs the snippet as the page shows it.
API_PAGE_LINK = "Use via API or MCP"
SNIPPET_TABS = {"python": "Python", "javascript": "JavaScript", "curl": "cURL"}
SNIPPET_STARTS = {
    "python": "from gradio_client import",
    "javascript": 'import { Client, handle_file } from "@gradio/client"',
    "curl": "FILE_PATH=$(curl",
}
EXAMPLE_URL = re.compile(r"https://[^'\"\s]+")
CURL_FILE = "/path/to/your/file"  # the cURL snippet's placeholder for the file to upload
SNIPPET_TIMEOUT_S = 120


def api_page_snippets(page) -> dict[str, str]:
    """The API page's snippets for /read, by language, as a reader copies them."""
    page.get_by_text(API_PAGE_LINK).click()
    docs = page.locator(".api-docs")
    snippets = {}
    for language, tab in SNIPPET_TABS.items():
        docs.get_by_text(tab, exact=True).first.click()
        texts = (text.strip() for text in docs.locator("code").all_inner_texts())
        snippets[language] = next(t for t in texts if t.startswith(SNIPPET_STARTS[language]))
    return snippets


def run_python_snippet(snippet: str, image: Path) -> dict:
    """The Python snippet run with `image` for its example URL: the result it prints."""
    code = EXAMPLE_URL.sub(str(image), snippet)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=SNIPPET_TIMEOUT_S
    )
    if result.returncode != 0:
        raise RuntimeError(f"the Python snippet exited {result.returncode}: {result.stderr}")
    return ast.literal_eval(result.stdout.strip().splitlines()[-1])  # print(result): a dict


def run_js_snippet(snippet: str, png: bytes) -> str:
    """The JavaScript snippet in Node, fetching `png` as a data: URL instead of its example
    URL: what it logs (result.data, as Node prints it)."""
    code = EXAMPLE_URL.sub(data_url(png), snippet) + "\nprocess.exit(0);\n"
    result = subprocess.run(
        ["node", "--input-type=module", "-e", code],
        cwd=GRADIO_JS,
        capture_output=True,
        text=True,
        timeout=SNIPPET_TIMEOUT_S,
    )
    if result.returncode != 0:
        raise RuntimeError(f"the JavaScript snippet exited {result.returncode}: {result.stderr}")
    return result.stdout


def run_curl_snippet(snippet: str, image: Path) -> tuple[str, object]:
    """The cURL snippet in bash, uploading `image`: the event stream's last event and data.

    The snippet ends `... | read EVENT_ID; curl ...$EVENT_ID`, which keeps EVENT_ID in zsh
    (the macOS shell) but not in bash, which runs `read` in a subshell unless `lastpipe`
    is set; so it runs with lastpipe.
    """
    code = snippet.replace(CURL_FILE, str(image))
    result = subprocess.run(
        ["bash", "-O", "lastpipe", "-c", code],
        capture_output=True,
        text=True,
        timeout=SNIPPET_TIMEOUT_S,
    )
    event, data = "", None
    for line in result.stdout.splitlines():
        if line.startswith("event:"):
            event = line.partition(":")[2].strip()
        elif line.startswith("data:") and event in ("complete", "error"):
            data = json.loads(line.partition(":")[2])
    return event, data
