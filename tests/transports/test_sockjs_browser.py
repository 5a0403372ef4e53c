"""SockJS at ``/ws`` in headless Chromium: the service's own sockjs-client, each transport forced.

The page comes from a small HTTP server of the test's own on another port and is opened as
``http://localhost:<port>``, so that it is cross-origin to the service at
``http://127.0.0.1:<port>``: what a front end on its own dev server does. It loads the
service's sockjs-client build, and ``@stomp/stompjs``'s UMD build (from ``tests/js``) or a few
lines of STOMP by hand, then follows one request. The browser may reach loopback only: any
other request is aborted and recorded, and none may have been attempted.
"""

from __future__ import annotations

import importlib.util
import shutil
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.servers import ServerProcess, new_id

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        shutil.which("chromium") is None,
        reason="needs Debian's chromium package (scripts/test installs it)",
    ),
    pytest.mark.skipif(
        importlib.util.find_spec("playwright") is None,
        reason="needs playwright (the project's dev extras)",
    ),
]

HERE = Path(__file__).resolve().parent
PAGES = HERE / "sockjs_pages"
STOMPJS = (
    HERE.parent / "js" / "node_modules" / "@stomp" / "stompjs" / "bundles" / "stomp.umd.min.js"
)
HAVE_STOMPJS = STOMPJS.is_file()
LOOPBACK = {"127.0.0.1", "localhost"}
SQL = "SELECT 1 AS x"
STAGES = ["received", "validating", "planning", "executing"]


class _PageServer(ThreadingHTTPServer):
    daemon_threads = True


class _Handler(BaseHTTPRequestHandler):
    """The test page, and the stompjs bundle when there is one; nothing else."""

    def do_GET(self) -> None:
        files = {"/follow.html": (PAGES / "follow.html", "text/html; charset=utf-8")}
        if HAVE_STOMPJS:
            files["/stomp.umd.min.js"] = (STOMPJS, "text/javascript; charset=utf-8")
        found = files.get(urlsplit(self.path).path)
        body = found[0].read_bytes() if found else b"not found"
        self.send_response(200 if found else 404)
        self.send_header("Content-Type", found[1] if found else "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module", name="pages")
def fixture_pages() -> Iterator[str]:
    """The origin the test pages come from: ``http://localhost:<port>``, not the service's."""
    httpd = _PageServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


@pytest.fixture(scope="module", name="refusing_server")
def fixture_refusing_server(start_server: Callable[..., ServerProcess]) -> ServerProcess:
    """A service that lets pages from one other origin in, and none from localhost."""
    return start_server(
        QUART_APP_CORS_ORIGINS="http://app.example.test", QUART_APP_HISTORY_URL="memory"
    )


@dataclass(frozen=True)
class Answer:
    method: str
    url: str
    status: int
    headers: dict[str, str]
    from_page: bool  # made by the page itself, not by a frame inside it


@dataclass
class Recorder:
    """What the browser did: requests, answers, failures, console lines, WebSockets."""

    blocked: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    websockets: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    responses: list[Answer] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    routed: int = 0  # requests the loopback guard saw: it was really in the way

    def report(self) -> str:
        return "\n".join(["-- network --", *self.lines, "-- console --", *self.console])


@dataclass
class Browser:
    page: Any
    recorder: Recorder


@pytest.fixture(name="browser")
async def fixture_browser(chromium: Any) -> AsyncIterator[Browser]:
    recorder = Recorder()
    context = await chromium.new_context()

    async def only_loopback(route: Any) -> None:
        recorder.routed += 1
        if urlsplit(route.request.url).hostname in LOOPBACK:
            await route.continue_()
        else:
            recorder.blocked.append(route.request.url)
            await route.abort("blockedbyclient")

    def on_websocket(ws: Any) -> None:
        recorder.websockets.append(ws.url)
        recorder.lines.append(f"WS {ws.url}")
        ws.on("close", lambda _ws: recorder.lines.append(f"WS closed {ws.url}"))
        ws.on("socketerror", lambda error: recorder.lines.append(f"WS error {ws.url}: {error}"))

    def on_response(response: Any) -> None:
        request = response.request
        from_page = response.frame.parent_frame is None
        recorder.responses.append(
            Answer(request.method, request.url, response.status, response.headers, from_page)
        )
        recorder.lines.append(f"{response.status} {request.method} {request.url}")

    def on_failed(request: Any) -> None:
        recorder.failed.append(request.url)
        recorder.lines.append(f"FAILED {request.method} {request.url}: {request.failure}")

    await context.route("**/*", only_loopback)
    context.on("response", on_response)
    context.on("requestfailed", on_failed)
    context.on(
        "console", lambda message: recorder.console.append(f"{message.type}: {message.text}")
    )
    context.on("weberror", lambda error: recorder.console.append(f"pageerror: {error.error}"))
    page = await context.new_page()
    page.on("websocket", on_websocket)
    try:
        yield Browser(page, recorder)
    finally:
        await context.close()
    assert recorder.routed > 0
    assert not recorder.blocked, f"requests off loopback: {recorder.blocked}"
    assert all(urlsplit(url).hostname in LOOPBACK for url in recorder.websockets)


async def open_page(browser: Browser, pages: str, service: ServerProcess, stomp: str) -> None:
    await browser.page.goto(f"{pages}/follow.html?service={service.url}&stomp={stomp}")
    loaded = await browser.page.evaluate("window.loaded")
    assert loaded == stomp, browser.recorder.report()


async def follow(browser: Browser, transport: str, request_id: str) -> dict[str, Any]:
    result: dict[str, Any] = await browser.page.evaluate(
        "(args) => window.follow(args)",
        {"transport": transport, "requestId": request_id, "sql": SQL, "timeoutMs": 10_000},
    )
    return result


def explain(result: dict[str, Any], browser: Browser) -> str:
    return (
        f"outcome={result['outcome']} transport={result['transport']} close={result['close']}"
        f" error={result['error']} messages={len(result['messages'])}\n"
        f"-- stomp --\n" + "\n".join(result["log"][-30:]) + "\n" + browser.recorder.report()
    )


CARRIERS = {
    "websocket": ("GET", "websocket"),
    "xhr-streaming": ("POST", "xhr_streaming"),
    "iframe-eventsource": ("GET", "eventsource"),
    "xhr-polling": ("POST", "xhr"),
    "iframe-htmlfile": ("GET", "htmlfile"),
}
TRANSPORTS = ["websocket", "xhr-streaming", "iframe-eventsource", "xhr-polling", "iframe-htmlfile"]
CLIENTS = [("stompjs" if HAVE_STOMPJS else "raw", name) for name in TRANSPORTS]
# STOMP by hand too, on a carrier that batches frames into one SockJS message.
CLIENTS.append(("raw", "xhr-streaming"))


@pytest.mark.parametrize(("stomp", "transport"), list(dict.fromkeys(CLIENTS)))
async def test_a_cross_origin_page_follows_a_request_over_each_transport(
    browser: Browser, pages: str, server: ServerProcess, stomp: str, transport: str
) -> None:
    await open_page(browser, pages, server, stomp)
    rid = new_id()
    result = await follow(browser, transport, rid)
    why = explain(result, browser)
    assert result["outcome"] == "terminal", why
    assert result["transport"] == transport, why
    assert result["connected"]["version"] == "1.2", why
    assert result["receipt"]["request-id"] == rid, why

    events = [message["event"] for message in result["messages"]]
    async with httpx.AsyncClient(base_url=server.url) as http:
        stored = (await http.get(f"/api/jobs/{rid}/events")).json()["events"]
    assert events == stored, why  # every stage, no gap, no duplicate, same bytes
    ids = [event["eventId"] for event in events]
    assert ids == sorted(set(ids)), why
    assert [event["sequence"] for event in events] == list(range(1, len(events) + 1))
    stages = [event["stage"] for event in events]
    assert stages[:4] == STAGES and set(stages[4:-1]) <= {"fetching"}, stages
    assert (events[-1]["status"], stages[-1]) == ("success", "completed")
    assert events[-1]["metadata"]["rowCount"] == 1
    for message in result["messages"]:
        headers = message["headers"]
        assert headers["message-id"] == str(message["event"]["eventId"])
        assert headers["destination"] == f"/topic/requests/{rid}"
        assert headers["content-type"].startswith("application/json")

    answers = [a for a in browser.recorder.responses if a.url.startswith(f"{server.url}/ws/")]
    calls = [(a.method, a.url) for a in answers]
    assert any("/ws/info" in url for _, url in calls), why
    if transport.startswith("iframe-"):
        assert any("/ws/iframe" in url for _, url in calls), why
    # Cross-origin, as the page saw it: each of its own calls to /ws/* was allowed by CORS,
    # with credentials (sockjs-client sends cookies). Calls from the iframe are same-origin.
    for answer in answers:
        if answer.from_page and "/ws/iframe" not in answer.url:
            allowed = answer.headers.get("access-control-allow-origin")
            assert allowed == pages, f"{answer}\n{why}"
            assert answer.headers.get("access-control-allow-credentials") == "true", answer
    # The carrier really was that transport's, and the only one tried.
    method, suffix = CARRIERS[transport]
    sessions = [
        (m, urlsplit(url).path.rsplit("/", 1)[1])
        for m, url in [*calls, *(("GET", url) for url in browser.recorder.websockets)]
        if urlsplit(url).path.count("/") == 4
    ]
    assert sessions and set(sessions) <= {(method, suffix), ("POST", "xhr_send")}, why
    assert (method, suffix) in sessions, why
    errors = [line for line in browser.recorder.console if line.startswith(("error", "pageerror"))]
    assert not errors, why


@pytest.mark.parametrize("transport", ["xhr-streaming", "iframe-eventsource"])
async def test_a_page_from_an_origin_not_allowed_cannot_connect(
    browser: Browser, pages: str, refusing_server: ServerProcess, transport: str
) -> None:
    await open_page(browser, pages, refusing_server, "stompjs" if HAVE_STOMPJS else "raw")
    rid = new_id()
    result = await follow(browser, transport, rid)
    why = explain(result, browser)
    assert result["outcome"] == "closed", why
    assert result["connected"] is None and result["messages"] == [], why
    assert result["transport"] is None, why  # never opened
    service = [
        urlsplit(answer.url).path
        for answer in browser.recorder.responses
        if answer.url.startswith(refusing_server.url)
    ]
    # Refused at /info (the browser sees no CORS answer), before any session exists: for
    # iframe-eventsource too, as Chromium asks /info by XHR whatever the transport. What
    # stops the iframe page itself is its frame-ancestors (the test below).
    assert service == ["/static/vendor/sockjs-client-1.6.1.min.js"], why
    assert [urlsplit(url).path for url in browser.recorder.failed] == ["/ws/info"], why
    assert any("blocked by CORS policy" in line for line in browser.recorder.console), why
    origin = {"Origin": pages}
    async with httpx.AsyncClient(base_url=refusing_server.url) as http:
        refused = await http.get("/ws/info", headers=origin)
        assert refused.status_code == 403, refused.text
        assert "Access-Control-Allow-Origin" not in refused.headers
        assert (await http.get(f"/api/jobs/{rid}")).status_code == 404


FRAME = """
async (src) => {
  const frame = document.createElement("iframe");
  frame.src = src;
  const loaded = new Promise((resolve) => { frame.onload = resolve; });
  document.body.append(frame);
  await Promise.race([loaded, new Promise((resolve) => setTimeout(resolve, 5000))]);
  return true;
}
"""


@pytest.mark.parametrize("allowed", [True, False])
async def test_only_allowed_pages_may_frame_the_iframe_page(
    browser: Browser,
    pages: str,
    server: ServerProcess,
    refusing_server: ServerProcess,
    allowed: bool,
) -> None:
    service = server if allowed else refusing_server
    await open_page(browser, pages, service, "raw")
    await browser.page.evaluate(FRAME, f"{service.url}/ws/iframe.html")
    [frame] = [f for f in browser.page.frames if f is not browser.page.main_frame]
    responses = [
        answer.status
        for answer in browser.recorder.responses
        if answer.url.endswith("/ws/iframe.html")
    ]
    assert responses == [200], browser.recorder.report()
    # The page is sent either way; its frame-ancestors policy decides whether it runs.
    ancestors = [line for line in browser.recorder.console if "frame-ancestors" in line]
    if allowed:
        assert await frame.evaluate("typeof SockJS") == "function", browser.recorder.report()
        assert not ancestors, browser.recorder.report()
    else:
        assert not frame.url.startswith(service.url), browser.recorder.report()  # an error page
        assert browser.recorder.failed == [f"{service.url}/ws/iframe.html"]
        assert ancestors, browser.recorder.report()
