"""The SockJS 0.3.3 protocol, through a real server: what the SockJS project's suite checks.

The conformance app (``sockjs_conformance_app.py``) runs under Hypercorn on a free port;
HTTP goes through httpx (streams read as they arrive), WebSockets through
websocket-client. Paths httpx would normalise (``/./.``) go over a bare socket.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import websocket

from tests.servers import free_port
from tests.transports.sockjs_conformance_app import TRUSTED_ORIGIN

ROOT = Path(__file__).resolve().parents[2]
NOT_CACHED = "no-store, no-cache, must-revalidate, max-age=0"
PRELUDE = b"h" * 2048 + b"\n"
ANOTHER_CONNECTION = 'c[2010,"Another connection still open"]'
INTERRUPTED = 'c[1002,"Connection interrupted"]'
GO_AWAY = 'c[3000,"Go away!"]'
# The characters a server must escape (the protocol's list, and lone surrogates).
SERVER_ESCAPED = re.compile(
    "[\x00-\x1f\u200c-\u200f\u2028-\u202f\u2060-\u206f\ud800-\udfff\ufff0-\uffff]"
)
SHORT_ESCAPES = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


@dataclass(frozen=True)
class Server:
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"


@pytest.fixture(scope="module", name="server")
def fixture_server() -> Iterator[Server]:
    """The conformance app under Hypercorn, as the SockJS suite runs against it."""
    server = Server(free_port())
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hypercorn",
                "tests.transports.sockjs_conformance_app:app",
                "--bind",
                f"127.0.0.1:{server.port}",
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"hypercorn exited: {log.read().decode(errors='replace')}")
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{server.url}/echo/info", timeout=1).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError("the conformance app did not answer /echo/info")
                time.sleep(0.05)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.seek(0)
        output = log.read().decode(errors="replace")
    assert "Traceback" not in output, output


@pytest.fixture(name="http")
async def fixture_http(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as client:
        yield client


def new_session(service: str = "echo") -> str:
    return f"/{service}/000/{uuid.uuid4().hex}"


class Body:
    """A streaming response's body, read frame by frame as it arrives."""

    def __init__(self, response: httpx.Response) -> None:
        self._chunks = response.aiter_raw()
        self._buffer = b""

    async def until(self, end: bytes, timeout: float = 5) -> bytes:
        """Everything up to and including the next ``end``."""
        async with asyncio.timeout(timeout):
            while end not in self._buffer:
                chunk = await anext(self._chunks, None)
                if chunk is None:
                    raise AssertionError(f"the body ended before {end!r}: {self._buffer!r}")
                self._buffer += chunk
        index = self._buffer.index(end) + len(end)
        taken, self._buffer = self._buffer[:index], self._buffer[index:]
        return taken

    async def exactly(self, size: int, timeout: float = 5) -> bytes:
        async with asyncio.timeout(timeout):
            while len(self._buffer) < size:
                chunk = await anext(self._chunks, None)
                if chunk is None:
                    raise AssertionError(f"the body ended after {self._buffer!r}")
                self._buffer += chunk
        taken, self._buffer = self._buffer[:size], self._buffer[size:]
        return taken

    async def rest(self, timeout: float = 5) -> bytes:
        """What is left once the server ends the response."""
        async with asyncio.timeout(timeout):
            async for chunk in self._chunks:
                self._buffer += chunk
        rest, self._buffer = self._buffer, b""
        return rest


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]


def raw_request(
    server: Server, method: str, path: str, headers: dict[str, str] | None = None
) -> RawResponse:
    """One request over a bare socket, the path exactly as given; the status line and headers."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Length: 0"]
    lines += [f"{name}: {value}" for name, value in (headers or {"Connection": "close"}).items()]
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    fields = dict(line.split(":", 1) for line in head[1:])
    return RawResponse(
        int(head[0].split()[1]), {name.lower(): value.strip() for name, value in fields.items()}
    )


def connect(server: Server, path: str) -> websocket.WebSocket:
    return websocket.create_connection(server.ws(path), timeout=5)


@contextlib.contextmanager
def opened(server: Server, path: str) -> Iterator[websocket.WebSocket]:
    """A WebSocket, closed (and its socket released, whoever closed first) at the end."""
    ws = connect(server, path)
    try:
        yield ws
    finally:
        ws.close()
        if ws.sock is not None:  # after a close the server began, close() leaves it open
            ws.sock.close()


def next_close(ws: websocket.WebSocket) -> int:
    """The code of the WebSocket close frame that must come next (no text before it)."""
    opcode, frame = ws.recv_data_frame(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE, (opcode, frame.data)
    return int.from_bytes(frame.data[:2], "big")


def assert_not_cached(response: httpx.Response) -> None:
    assert response.headers["cache-control"] == NOT_CACHED
    assert "expires" not in response.headers
    assert "last-modified" not in response.headers


def assert_cors(response: httpx.Response, origin: str | None) -> None:
    if origin is None or origin == "null":
        assert response.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in response.headers
    else:
        assert response.headers["access-control-allow-origin"] == origin
        assert response.headers["access-control-allow-credentials"] == "true"


def assert_long_cached(response: httpx.Response) -> None:
    assert response.headers["cache-control"] == "public, max-age=31536000"
    assert response.headers["expires"]
    assert "last-modified" not in response.headers


def content_type(response: httpx.Response) -> str:
    return response.headers["content-type"].replace(" ", "")


async def send(http: httpx.AsyncClient, session: str, *messages: str) -> None:
    response = await http.post(f"{session}/xhr_send", content=json.dumps(list(messages)))
    assert response.status_code == 204, response.text


async def poll(http: httpx.AsyncClient, session: str) -> str:
    response = await http.post(f"{session}/xhr")
    assert response.status_code == 200, response.text
    return response.text


# The base URL, and what is not there -----------------------------------------------


@pytest.mark.parametrize("path", ["/echo", "/echo/"])
async def test_the_base_url_greets(http: httpx.AsyncClient, path: str) -> None:
    response = await http.get(path)
    assert response.status_code == 200
    assert content_type(response) == "text/plain;charset=UTF-8"
    assert response.text == "Welcome to SockJS!\n"
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize(
    "path",
    [
        "/echo/a",
        "/echo/a.html",
        "/echo//",
        "/echo///",
        "/echo/a/a",
        "/echo/a/a/",
        "/echo/a/",
        "/echo/info/",
        "/echo/a/a/xhr/",
        "/echo/a/a/nonsense",
        "/echo/a/a/jsonp",  # JSONP polling is not offered
        "/echo/a/a/jsonp_send",
        "/echoes",
    ],
)
async def test_other_urls_are_not_found(http: httpx.AsyncClient, path: str) -> None:
    assert (await http.get(path)).status_code == 404


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("middle", ["//", "/a./a", "/a/a.", "/./.", "/", "///", "/../a", "/a/.."])
@pytest.mark.parametrize("transport", ["xhr", "xhr_send", "xhr_streaming", "eventsource"])
def test_session_urls_with_empty_or_dotted_parts_are_not_found(
    server: Server, method: str, middle: str, transport: str
) -> None:
    assert raw_request(server, method, f"/echo{middle}/{transport}").status == 404


@pytest.mark.parametrize("parts", ["/a/a", "/_/_", "/1/1", "/abcdefgh_i-j%20/abcdefg_i-j%20"])
async def test_any_server_and_session_value_opens_a_session(
    http: httpx.AsyncClient, parts: str
) -> None:
    unique = uuid.uuid4().hex[:8]  # the session id made unique, so that it opens afresh
    assert await poll(http, f"/echo{parts}{unique}") == "o\n"


async def test_the_server_id_is_ignored(http: httpx.AsyncClient) -> None:
    session_id = uuid.uuid4().hex
    assert await poll(http, f"/echo/000/{session_id}") == "o\n"
    await send(http, f"/echo/999/{session_id}", "a")
    assert await poll(http, f"/echo/abc/{session_id}") == 'a["a"]\n'


# /info ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "websocket_offered", "cookie_needed"),
    [
        ("echo", True, False),
        ("disabled_websocket_echo", False, False),
        ("cookie_needed_echo", True, True),
    ],
)
async def test_info_describes_the_service(
    http: httpx.AsyncClient, service: str, websocket_offered: bool, cookie_needed: bool
) -> None:
    response = await http.get(f"/{service}/info")
    assert response.status_code == 200
    assert content_type(response) == "application/json;charset=UTF-8"
    assert_not_cached(response)
    assert "set-cookie" not in response.headers
    info = response.json()
    assert set(info) == {"websocket", "cookie_needed", "origins", "entropy"}
    assert info["websocket"] is websocket_offered
    assert info["cookie_needed"] is cookie_needed
    assert info["origins"] == ["*:*"]
    assert type(info["entropy"]) is int and 0 <= info["entropy"] < 2**32


async def test_info_entropy_differs_every_time(http: httpx.AsyncClient) -> None:
    entropies = [(await http.get("/echo/info")).json()["entropy"] for _ in range(5)]
    assert len(set(entropies)) == 5


@pytest.mark.parametrize("origin", [None, "null", "test", "https://app.example:8443"])
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/echo/info"), ("OPTIONS", "/echo/info"), ("POST", "/echo/000/{}/xhr")],
)
async def test_cors_echoes_the_origin_with_credentials_or_says_star(
    http: httpx.AsyncClient, origin: str | None, method: str, path: str
) -> None:
    headers = {"Origin": origin} if origin is not None else {}
    response = await http.request(method, path.format(uuid.uuid4().hex), headers=headers)
    assert response.status_code in (200, 204)
    assert_cors(response, origin)
    if origin not in (None, "null"):
        assert "Origin" in response.headers["vary"]


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [(TRUSTED_ORIGIN, True), ("https://evil.example", False), ("null", True), (None, True)],
)
async def test_an_endpoint_gives_cors_headers_only_to_origins_it_trusts(
    http: httpx.AsyncClient, origin: str | None, allowed: bool
) -> None:
    headers = {"Origin": origin} if origin is not None else {}
    for response in [
        await http.get("/guarded_echo/info", headers=headers),
        await http.post(f"{new_session('guarded_echo')}/xhr", headers=headers),
    ]:
        assert response.status_code == 200
        if allowed:
            assert_cors(response, origin)
        else:
            assert "access-control-allow-origin" not in response.headers
            assert "access-control-allow-credentials" not in response.headers


# Preflights and methods ----------------------------------------------------------------


@pytest.mark.parametrize("origin", ["test", "null"])
@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/echo/info", "OPTIONS, GET"),
        ("/echo/abc/abc/xhr", "OPTIONS, POST"),
        ("/echo/abc/abc/xhr_send", "OPTIONS, POST"),
        ("/echo/abc/abc/xhr_streaming", "OPTIONS, POST"),
    ],
)
async def test_preflights_are_answered_and_cached_for_long(
    http: httpx.AsyncClient, origin: str, path: str, methods: str
) -> None:
    response = await http.options(
        path, headers={"Origin": origin, "Access-Control-Request-Method": methods}
    )
    assert response.status_code == 204
    assert response.content == b""
    assert_long_cached(response)
    assert int(response.headers["access-control-max-age"]) >= 1_000_000
    allowed = {
        method.strip() for method in response.headers["access-control-allow-methods"].split(",")
    }
    assert {method.strip() for method in methods.split(",")} <= allowed
    assert_cors(response, origin)


@pytest.mark.parametrize(
    ("requested", "allowed"),
    [("a, b, c", "a, b, c"), ("Content-Type", "Content-Type"), ("", None), (None, None)],
)
async def test_a_preflight_echoes_the_requested_headers(
    http: httpx.AsyncClient, requested: str | None, allowed: str | None
) -> None:
    headers = {"Origin": "test", "Access-Control-Request-Method": "POST"}
    if requested is not None:
        headers["Access-Control-Request-Headers"] = requested
    response = await http.options(f"{new_session()}/xhr", headers=headers)
    assert response.status_code == 204
    assert_cors(response, "test")
    assert response.headers.get("access-control-allow-headers") == allowed


@pytest.mark.parametrize(
    ("method", "transport", "allow"),
    [
        ("GET", "xhr", "OPTIONS, POST"),
        ("GET", "xhr_send", "OPTIONS, POST"),
        ("GET", "xhr_streaming", "OPTIONS, POST"),
        ("POST", "eventsource", "GET"),
        ("OPTIONS", "eventsource", "GET"),
        ("POST", "htmlfile", "GET"),
        ("POST", "websocket", "GET"),
        ("OPTIONS", "websocket", "GET"),
    ],
)
async def test_a_transport_asked_with_the_wrong_method_answers_405(
    http: httpx.AsyncClient, method: str, transport: str, allow: str
) -> None:
    response = await http.request(method, f"{new_session()}/{transport}")
    assert response.status_code == 405
    assert "content-type" not in response.headers
    assert response.headers["allow"] == allow
    assert response.content == b""


# The iframe page ---------------------------------------------------------------------

IFRAME = re.compile(
    r"""<!DOCTYPE html>
<html>
<head>
  <meta http-equiv="X-UA-Compatible" content="IE=edge" />
  <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
  <script>
    document.domain = document.domain;
    _sockjs_onload = function\(\){SockJS.bootstrap_iframe\(\);};
  </script>
  <script src="(?P<client>/[^"]*)"></script>
</head>
<body>
  <h2>Don't panic!</h2>
  <p>This is a SockJS hidden iframe. It's used for cross domain magic.</p>
</body>
</html>"""
)


@pytest.mark.parametrize(
    "page",
    [
        "iframe.html",
        "iframe-a.html",
        "iframe-.html",
        "iframe-0.1.2.html",
        "iframe-0.1.2abc-dirty.2144.html",
        "iframe-1.6.1.html",
        "iframe-a.html?t=1234",
        "iframe-0.1.2.html?t=123414",
        "iframe-0.1.2abc-dirty.2144.html?t=qweqweq123",
    ],
)
async def test_the_iframe_page_is_served_under_every_version(
    http: httpx.AsyncClient, page: str
) -> None:
    response = await http.get(f"/echo/{page}")
    assert response.status_code == 200
    assert content_type(response) == "text/html;charset=UTF-8"
    assert_long_cached(response)
    assert response.headers["etag"]
    assert "set-cookie" not in response.headers
    assert response.headers["content-security-policy"] == "frame-ancestors *"
    match = IFRAME.fullmatch(response.text.strip())
    assert match is not None, response.text
    assert match["client"] == "/static/sockjs-client.min.js"


@pytest.mark.parametrize(
    "page",
    [
        "iframe.htm",
        "iframe",
        "IFRAME.HTML",
        "IFRAME",
        "iframe.HTML",
        "iframe.xml",
        "iframe-/.html",
        "iframe.html/",
        "xiframe.html",
        "iframe.htmlx",
    ],
)
async def test_other_iframe_names_are_not_found(http: httpx.AsyncClient, page: str) -> None:
    assert (await http.get(f"/echo/{page}")).status_code == 404


async def test_the_iframe_page_keeps_its_etag_and_answers_304(http: httpx.AsyncClient) -> None:
    pages = [
        await http.get(f"/echo/{page}") for page in ("iframe.html", "iframe.html", "iframe-x.html")
    ]
    etag = pages[0].headers["etag"]
    assert etag and all(page.headers["etag"] == etag for page in pages)
    assert pages[0].content == pages[2].content
    response = await http.get("/echo/iframe.html", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert "content-type" not in response.headers
    assert response.content == b""
    assert response.headers["etag"] == etag
    other = await http.get("/echo/iframe.html", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.content == pages[0].content


async def test_the_iframe_page_may_be_framed_only_by_trusted_pages(http: httpx.AsyncClient) -> None:
    response = await http.get("/guarded_echo/iframe.html")
    assert response.headers["content-security-policy"] == f"frame-ancestors {TRUSTED_ORIGIN}"


# XHR polling -----------------------------------------------------------------------


async def test_xhr_polling_opens_sends_and_receives(http: httpx.AsyncClient) -> None:
    session = new_session()
    origin = {"Origin": "test"}
    response = await http.post(f"{session}/xhr", headers=origin)
    assert response.status_code == 200
    assert response.text == "o\n"
    assert content_type(response) == "application/javascript;charset=UTF-8"
    assert_cors(response, "test")
    assert_not_cached(response)

    response = await http.post(f"{session}/xhr_send", content='["x"]', headers=origin)
    assert response.status_code == 204
    assert response.content == b""
    assert content_type(response) == "text/plain;charset=UTF-8"
    assert_cors(response, "test")
    assert_not_cached(response)

    assert await poll(http, session) == 'a["x"]\n'
    await send(http, session, "y", "z")
    await send(http, session, "")
    assert await poll(http, session) == 'a["y","z",""]\n'


async def test_sending_to_an_unknown_session_is_not_found(http: httpx.AsyncClient) -> None:
    response = await http.post(f"{new_session()}/xhr_send", content='["x"]')
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('["x', "Broken JSON encoding."),
        ('"x"', "Broken JSON encoding."),
        ("[1]", "Broken JSON encoding."),
        ('{"a": "b"}', "Broken JSON encoding."),
        ("d=%5B%22x%22%5D", "Broken JSON encoding."),
        ("", "Payload expected."),
    ],
)
async def test_a_bad_send_body_is_refused_and_the_session_goes_on(
    http: httpx.AsyncClient, body: str, message: str
) -> None:
    session = new_session()
    assert await poll(http, session) == "o\n"
    response = await http.post(f"{session}/xhr_send", content=body)
    assert response.status_code == 500
    assert message in response.text
    await send(http, session, "a")
    assert await poll(http, session) == 'a["a"]\n'


CONTENT_TYPES = [
    "text/plain",
    "T",
    "application/json",
    "application/xml",
    "",
    "application/json; charset=utf-8",
    "text/xml; charset=utf-8",
    "text/xml",
    "application/x-www-form-urlencoded",
]


async def test_xhr_send_accepts_any_content_type(http: httpx.AsyncClient) -> None:
    session = new_session()
    assert await poll(http, session) == "o\n"
    for kind in CONTENT_TYPES:
        response = await http.post(
            f"{session}/xhr_send", content=f'["{kind}"]', headers={"Content-Type": kind}
        )
        assert response.status_code == 204, kind
        assert response.content == b""
    assert (
        await poll(http, session) == "a" + json.dumps(CONTENT_TYPES, separators=(",", ":")) + "\n"
    )


async def test_a_second_poll_is_refused_and_an_aborted_poll_closes_the_session(
    http: httpx.AsyncClient,
) -> None:
    session = new_session()
    assert await poll(http, session) == "o\n"
    waiting = asyncio.create_task(http.post(f"{session}/xhr"))  # held: /echo beats every 25 s
    await asyncio.sleep(0.5)  # time to be attached
    assert not waiting.done()
    assert await poll(http, session) == ANOTHER_CONNECTION + "\n"
    waiting.cancel()  # the client goes away in the middle of the poll
    with contextlib.suppress(asyncio.CancelledError):
        await waiting
    assert await next_answer(http, session) in ("o\n", INTERRUPTED + "\n")


async def next_answer(http: httpx.AsyncClient, session: str) -> str:
    """The next poll's answer once the server has seen the previous receiver go."""
    deadline = time.monotonic() + 3
    while (answer := await poll(http, session)) == ANOTHER_CONNECTION + "\n":
        assert time.monotonic() < deadline, "the aborted receiver is still attached"
        await asyncio.sleep(0.05)
    return answer


async def test_an_idle_poll_gets_a_heartbeat_and_keeps_the_session(
    http: httpx.AsyncClient,
) -> None:
    session = new_session("short_echo")  # beats every 0.5 s, forgets after 0.5 s alone
    assert await poll(http, session) == "o\n"
    for _ in range(3):
        started = time.monotonic()
        assert await poll(http, session) == "h\n"
        assert 0.4 < time.monotonic() - started < 2
    await send(http, session, "still here")
    assert await poll(http, session) == 'a["still here"]\n'


async def test_one_send_may_carry_more_messages_than_the_inbox_holds(
    http: httpx.AsyncClient,
) -> None:
    session = new_session("short_echo")  # a stuck send ends with the 0.5 s expiry
    assert await poll(http, session) == "o\n"
    messages = [str(number) for number in range(300)]
    await send(http, session, *messages)
    echoed: list[str] = []
    while len(echoed) < len(messages):
        frame = await poll(http, session)
        assert frame.startswith(("a[", "h")), frame
        echoed += json.loads(frame[1:]) if frame.startswith("a[") else []
    assert echoed == messages


async def test_a_session_without_receiver_is_reaped(http: httpx.AsyncClient) -> None:
    session = new_session("short_echo")
    assert await poll(http, session) == "o\n"
    left = time.monotonic()
    await send(http, session, "a")  # sending is no receiver: it does not keep the session
    while (await http.post(f"{session}/xhr_send", content="[]")).status_code == 204:
        assert time.monotonic() - left < 2, "the session outlived its disconnect delay"
        await asyncio.sleep(0.05)
    assert time.monotonic() - left >= 0.4
    # Closed, and sending to it is refused; what it had sent still comes, then the close.
    assert await poll(http, session) == 'a["a"]\n'
    assert await poll(http, session) == 'c[1002,"Session timed out"]\n'
    await asyncio.sleep(0.7)  # one more delay, and it is forgotten
    assert await poll(http, session) == "o\n"  # a new session under the same id


async def test_a_session_admits_only_the_token_that_opened_it(http: httpx.AsyncClient) -> None:
    session = new_session()
    response = await http.post(f"{session}/xhr", params={"access_token": "t-1"})
    assert response.text == "o\n"
    for params in [{}, {"access_token": "t-2"}]:
        assert (
            await http.post(f"{session}/xhr_send", content='["x"]', params=params)
        ).status_code == 404
        assert (await http.post(f"{session}/xhr", params=params)).status_code == 404
    response = await http.post(
        f"{session}/xhr_send", content='["x"]', params={"access_token": "t-1"}
    )
    assert response.status_code == 204
    response = await http.post(f"{session}/xhr", params={"access_token": "t-1"})
    assert response.text == 'a["x"]\n'


# XHR streaming ---------------------------------------------------------------------


async def test_xhr_streaming_sends_a_prelude_then_frames(http: httpx.AsyncClient) -> None:
    session = new_session()
    async with http.stream(
        "POST", f"{session}/xhr_streaming", headers={"Origin": "test"}
    ) as response:
        assert response.status_code == 200
        assert content_type(response) == "application/javascript;charset=UTF-8"
        assert_cors(response, "test")
        assert_not_cached(response)
        body = Body(response)
        assert await body.exactly(len(PRELUDE)) == PRELUDE
        assert await body.until(b"\n") == b"o\n"
        await send(http, session, "x")
        assert await body.until(b"\n") == b'a["x"]\n'
        await send(http, session, "y", "z")
        assert await body.until(b"\n") == b'a["y","z"]\n'


async def test_xhr_streaming_ends_after_the_response_limit(http: httpx.AsyncClient) -> None:
    session = new_session()
    message = "x" * 128
    frame = b'a["' + message.encode() + b'"]\n'  # 134 bytes: the 31st passes 4,096 with "o\n"
    async with http.stream("POST", f"{session}/xhr_streaming") as response:
        body = Body(response)
        assert await body.exactly(len(PRELUDE)) == PRELUDE
        assert await body.until(b"\n") == b"o\n"
        for _ in range(31):
            await send(http, session, message)
            assert await body.until(b"\n") == frame
        assert await body.rest() == b""
    await send(http, session, "after")  # kept for the next receiver
    assert await poll(http, session) == 'a["after"]\n'


async def test_a_second_streaming_receiver_is_told_another_connection_is_open(
    http: httpx.AsyncClient,
) -> None:
    session = new_session()
    async with http.stream("POST", f"{session}/xhr_streaming") as first:
        body = Body(first)
        await body.exactly(len(PRELUDE))
        assert await body.until(b"\n") == b"o\n"
        async with http.stream("POST", f"{session}/xhr_streaming") as second:
            refused = Body(second)
            assert await refused.exactly(len(PRELUDE)) == PRELUDE
            assert await refused.rest() == (ANOTHER_CONNECTION + "\n").encode()
        await send(http, session, "x")  # the first one is undisturbed
        assert await body.until(b"\n") == b'a["x"]\n'


async def test_a_streaming_receiver_killed_mid_stream_closes_the_session(
    http: httpx.AsyncClient,
) -> None:
    session = new_session()
    async with http.stream("POST", f"{session}/xhr_streaming") as response:
        body = Body(response)
        await body.exactly(len(PRELUDE))
        assert await body.until(b"\n") == b"o\n"
    # Leaving the block unread drops the connection, as a closed browser tab does.
    assert await next_answer(http, session) in ("o\n", INTERRUPTED + "\n")


async def test_the_close_frame_ends_every_streaming_response(http: httpx.AsyncClient) -> None:
    session = new_session("close")
    async with http.stream("POST", f"{session}/xhr_streaming") as first:
        body = Body(first)
        assert await body.exactly(len(PRELUDE)) == PRELUDE
        assert await body.until(b"\n") == b"o\n"
        assert await body.rest() == (GO_AWAY + "\n").encode()
    async with http.stream("POST", f"{session}/xhr_streaming") as second:
        body = Body(second)
        assert await body.exactly(len(PRELUDE)) == PRELUDE
        assert await body.rest() == (GO_AWAY + "\n").encode()


# EventSource -------------------------------------------------------------------------


async def test_eventsource_sends_a_prelude_then_data_events(http: httpx.AsyncClient) -> None:
    session = new_session()
    async with http.stream("GET", f"{session}/eventsource") as response:
        assert response.status_code == 200
        assert content_type(response) == "text/event-stream;charset=UTF-8"
        assert_not_cached(response)
        body = Body(response)
        assert await body.exactly(2) == b"\r\n"
        assert await body.until(b"\r\n\r\n") == b"data: o\r\n\r\n"
        await send(http, session, "x")
        assert await body.until(b"\r\n\r\n") == b'data: a["x"]\r\n\r\n'
        await send(http, session, "  \x00\n\r ")
        assert await body.until(b"\r\n\r\n") == b'data: a["  \\u0000\\n\\r "]\r\n\r\n'


async def test_eventsource_ends_after_the_response_limit(http: httpx.AsyncClient) -> None:
    session = new_session()
    message = "x" * 4096
    async with http.stream("GET", f"{session}/eventsource") as response:
        body = Body(response)
        assert await body.exactly(2) == b"\r\n"
        assert await body.until(b"\r\n\r\n") == b"data: o\r\n\r\n"
        await send(http, session, message)
        assert await body.until(b"\r\n\r\n") == f'data: a["{message}"]\r\n\r\n'.encode()
        assert await body.rest() == b""


# htmlfile ---------------------------------------------------------------------------


def htmlfile_frame(frame: str) -> bytes:
    return b"<script>\np(" + json.dumps(frame).encode() + b");\n</script>\r\n"


async def test_htmlfile_calls_back_into_the_parent_with_each_frame(
    http: httpx.AsyncClient,
) -> None:
    session = new_session()
    async with http.stream("GET", f"{session}/htmlfile?c=%63allback") as response:
        assert response.status_code == 200
        assert content_type(response) == "text/html;charset=UTF-8"
        assert_not_cached(response)
        body = Body(response)
        head = await body.until(b"\r\n\r\n")
        assert len(head) > 1024
        text = head.decode().strip()
        assert text.startswith("<!doctype html>") and text.endswith("</script>")
        assert "var c = parent.callback;" in text
        assert "function p(d) {c.message(d);};" in text
        assert await body.until(b"</script>\r\n") == htmlfile_frame("o")
        await send(http, session, "x")
        assert await body.until(b"</script>\r\n") == htmlfile_frame('a["x"]')


async def test_a_message_cannot_end_the_htmlfile_script(http: httpx.AsyncClient) -> None:
    session = new_session()
    message = "</script><script>alert(1)</script><!--"
    async with http.stream("GET", f"{session}/htmlfile?c=cb") as response:
        body = Body(response)
        await body.until(b"\r\n\r\n")
        assert await body.until(b"</script>\r\n") == htmlfile_frame("o")
        await send(http, session, message)
        script = (await body.until(b"</script>\r\n")).decode()
    assert script.lower().count("</script") == 1
    argument = script.removeprefix("<script>\np(").removesuffix(");\n</script>\r\n")
    assert "<" not in argument
    assert json.loads(json.loads(argument)[1:]) == [message]


async def test_htmlfile_ends_after_the_response_limit(http: httpx.AsyncClient) -> None:
    session = new_session()
    message = "x" * 4096
    async with http.stream("GET", f"{session}/htmlfile?c=callback") as response:
        body = Body(response)
        await body.until(b"\r\n\r\n")
        assert await body.until(b"</script>\r\n") == htmlfile_frame("o")
        await send(http, session, message)
        assert await body.until(b"</script>\r\n") == htmlfile_frame(f'a["{message}"]')
        assert await body.rest() == b""


@pytest.mark.parametrize(
    ("query", "refusal"),
    [
        ("", '"callback" parameter required'),
        ("?c=", '"callback" parameter required'),
        ("?callback=cb", '"callback" parameter required'),
        ("?c=alert(1)", 'invalid "callback" parameter'),
        ("?c=a%3Balert(1)", 'invalid "callback" parameter'),
        ("?c=%3C/script%3E", 'invalid "callback" parameter'),
        ("?c=a%22b", 'invalid "callback" parameter'),
        ("?c=a%0Ab", 'invalid "callback" parameter'),
        ("?c=" + "x" * 65, 'invalid "callback" parameter'),
    ],
)
async def test_htmlfile_wants_a_harmless_callback(
    http: httpx.AsyncClient, query: str, refusal: str
) -> None:
    session = new_session()
    response = await http.get(f"{session}/htmlfile{query}")
    assert response.status_code == 500
    assert refusal in response.text
    assert "<script" not in response.text
    # No session was opened by the refused request.
    assert (await http.post(f"{session}/xhr_send", content='["x"]')).status_code == 404


# The close service -----------------------------------------------------------------


async def test_a_closed_session_serves_its_close_frame_until_it_expires(
    http: httpx.AsyncClient,
) -> None:
    session = new_session("short_close")  # forgets 0.5 s after its last receiver
    assert await poll(http, session) == "o\n"
    for _ in range(6):  # polling holds it past its delay
        assert await poll(http, session) == GO_AWAY + "\n"
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.2)
    assert await poll(http, session) == "o\n"  # forgotten: a new session


async def test_the_close_frame_is_served_to_every_poll(http: httpx.AsyncClient) -> None:
    session = new_session("close")
    assert await poll(http, session) == "o\n"
    for _ in range(3):
        assert await poll(http, session) == GO_AWAY + "\n"
    # Refused rather than dropped: the client learns that nothing will read it.
    assert (await http.post(f"{session}/xhr_send", content='["x"]')).status_code == 404


# WebSocket -----------------------------------------------------------------------------


def test_websocket_opens_and_echoes(server: Server) -> None:
    with opened(server, f"{new_session()}/websocket") as ws:
        assert ws.recv() == "o"
        ws.send("")  # ignored
        ws.send('["a"]')
        assert ws.recv() == 'a["a"]'
        ws.send('"b"')
        assert ws.recv() == 'a["b"]'
        ws.send('["c","d"]')
        assert ws.recv() == 'a["c","d"]'
        ws.send("[]")
        ws.send(json.dumps(["\u2028 é 😀"]))
        assert ws.recv() == 'a["\\u2028 é 😀"]'


@pytest.mark.parametrize("connection", ["Upgrade", "keep-alive, Upgrade", "upgrade"])
def test_the_websocket_handshake_follows_rfc_6455(server: Server, connection: str) -> None:
    key = base64.b64encode(uuid.uuid4().bytes).decode()
    response = raw_request(
        server,
        "GET",
        f"{new_session()}/websocket",
        {
            "Upgrade": "websocket",
            "Connection": connection,
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": key,
        },
    )
    assert response.status == 101
    accept = hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()
    assert response.headers["sec-websocket-accept"] == base64.b64encode(accept).decode()
    assert response.headers["upgrade"].lower() == "websocket"
    assert response.headers["connection"].lower() == "upgrade"
    assert "content-length" not in response.headers


def test_one_websocket_message_may_carry_more_messages_than_the_inbox_holds(
    server: Server,
) -> None:
    messages = [str(number) for number in range(300)]
    with opened(server, f"{new_session()}/websocket") as ws:
        assert ws.recv() == "o"
        ws.settimeout(1)  # /echo beats every 25 s: silence is the bug
        ws.send(json.dumps(messages))
        echoed: list[str] = []
        while len(echoed) < len(messages):
            echoed += json.loads(ws.recv()[1:])
        assert echoed == messages


def test_broken_json_ends_the_websocket_without_a_frame(server: Server) -> None:
    with opened(server, f"{new_session()}/websocket") as ws:
        assert ws.recv() == "o"
        ws.send('["a')
        assert next_close(ws) == 1002


def test_a_websocket_session_id_may_be_reused(server: Server) -> None:
    session = new_session()
    with opened(server, f"{session}/websocket") as first:
        with opened(server, f"{session}/websocket") as second:
            assert first.recv() == "o" and second.recv() == "o"
            first.send('["one"]')
            second.send('["two"]')
            assert first.recv() == 'a["one"]'
            assert second.recv() == 'a["two"]'
    with opened(server, f"{session}/websocket") as third:
        assert third.recv() == "o"


def test_websocket_gets_the_close_frame_then_is_closed(server: Server) -> None:
    with opened(server, f"{new_session('close')}/websocket") as ws:
        assert ws.recv() == "o"
        assert ws.recv() == GO_AWAY
        assert next_close(ws) == 1000


def test_websocket_sends_heartbeats_when_idle(server: Server) -> None:
    with opened(server, f"{new_session('short_echo')}/websocket") as ws:
        assert ws.recv() == "o"
        assert ws.recv() == "h"
        ws.send('"x"')
        assert ws.recv() == 'a["x"]'
        assert ws.recv() == "h"


@pytest.mark.parametrize(
    "path",
    [
        "/disabled_websocket_echo/000/{}/websocket",
        "/echo/000/a.{}/websocket",
        "/echo/0.0/{}/websocket",
    ],
)
def test_a_websocket_that_is_not_offered_is_refused(server: Server, path: str) -> None:
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        connect(server, path.format(uuid.uuid4().hex))
    assert refused.value.status_code == 404


@pytest.mark.parametrize("path", ["/echo/000/{}/websocket", "/echo/websocket"])
async def test_a_websocket_url_without_upgrade_is_a_bad_request(
    http: httpx.AsyncClient, path: str
) -> None:
    response = await http.get(path.format(uuid.uuid4().hex))
    assert response.status_code == 400
    assert 'Can "Upgrade" only to "WebSocket".' in response.text


def test_a_websocket_upgrade_without_connection_upgrade_is_refused(server: Server) -> None:
    response = raw_request(
        server, "GET", f"{new_session()}/websocket", {"Upgrade": "WebSocket", "Connection": "close"}
    )
    assert response.status == 400


def test_the_raw_websocket_echoes_without_framing(server: Server) -> None:
    with opened(server, "/echo/websocket") as ws:
        ws.send("Hello world!\uffff")
        assert ws.recv() == "Hello world!\uffff"
        ws.send('["not", "sockjs"]')
        assert ws.recv() == '["not", "sockjs"]'
        ws.send("")
        assert ws.recv() == ""


def test_the_raw_websocket_closes_when_the_service_does(server: Server) -> None:
    with opened(server, "/close/websocket") as ws:
        assert next_close(ws) == 1000


# JSESSIONID -----------------------------------------------------------------------------


async def test_info_sets_no_cookie_even_when_cookies_are_needed(http: httpx.AsyncClient) -> None:
    response = await http.get("/cookie_needed_echo/info")
    assert response.json()["cookie_needed"] is True
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize("cookie", [None, "abcdef"])
@pytest.mark.parametrize(
    ("method", "transport"),
    [
        ("POST", "xhr"),
        ("POST", "xhr_streaming"),
        ("GET", "eventsource"),
        ("GET", "htmlfile?c=%63allback"),
        ("POST", "xhr_send"),
    ],
)
async def test_session_responses_set_jsessionid_when_cookies_are_needed(
    server: Server, cookie: str | None, method: str, transport: str
) -> None:
    session = new_session("cookie_needed_echo")
    cookies = {"JSESSIONID": cookie} if cookie else None
    async with httpx.AsyncClient(base_url=server.url, timeout=5, cookies=cookies) as http:
        if transport == "xhr_send":
            assert await poll(http, session) == "o\n"
        content = b'["x"]' if method == "POST" else None
        async with http.stream(method, f"{session}/{transport}", content=content) as response:
            assert response.status_code in (200, 204)
            name_value, *attributes = response.headers["set-cookie"].split(";")
            assert name_value.strip() == f"JSESSIONID={cookie or 'dummy'}"
            assert [attribute.strip().lower() for attribute in attributes] == ["path=/"]


async def test_no_cookie_where_none_is_needed(http: httpx.AsyncClient) -> None:
    session = new_session()
    opening = await http.post(f"{session}/xhr")
    sending = await http.post(f"{session}/xhr_send", content='["x"]')
    assert opening.text == "o\n" and sending.status_code == 204
    assert "set-cookie" not in opening.headers and "set-cookie" not in sending.headers


# JSON encoding -----------------------------------------------------------------------


def utf16(text: str) -> bytes:
    return text.encode("utf-16-le", "surrogatepass")


async def test_the_server_escapes_every_character_the_protocol_names(
    http: httpx.AsyncClient,
) -> None:
    # In one message, as the suite sends them; the low surrogates go before the high
    # ones, so that no high one is followed by a low one (which would make a pair).
    codes = [code for code in range(0x10000) if SERVER_ESCAPED.match(chr(code))]
    lows = [code for code in codes if 0xDC00 <= code <= 0xDFFF]
    chars = [chr(code) for code in lows + [code for code in codes if code not in lows]]
    message = "".join(f"\\u{ord(char):04x}" for char in chars)
    session = new_session()
    assert await poll(http, session) == "o\n"
    response = await http.post(f"{session}/xhr_send", content=f'["{message}"]')
    assert response.status_code == 204
    body = (await http.post(f"{session}/xhr")).content
    expected = "".join(SHORT_ESCAPES.get(char, f"\\u{ord(char):04x}") for char in chars)
    assert body == f'a["{expected}"]\n'.encode()


async def test_every_character_the_client_escapes_comes_back_as_sent(
    http: httpx.AsyncClient,
) -> None:
    # All of the BMP, each escaped, as sockjs-client escapes what browsers mangle.
    sent = "".join(f"\\u{code:04x}" for code in range(0x10000))
    session = new_session()
    assert await poll(http, session) == "o\n"
    assert (await http.post(f"{session}/xhr_send", content=f'["{sent}"]')).status_code == 204
    body = (await http.post(f"{session}/xhr")).content
    assert body.startswith(b"a[") and body.endswith(b"]\n")
    assert not SERVER_ESCAPED.search(body[:-1].decode("utf-8"))
    (received,) = json.loads(body[1:])
    assert utf16(received) == utf16(json.loads(f'"{sent}"'))


@pytest.mark.parametrize("cookie", ['"quoted;Domain=evil.example"', "a b", "x" * 200])
def test_a_cookie_that_could_add_attributes_is_not_echoed(server: Server, cookie: str) -> None:
    # Sent by hand: a cookie jar would refuse to send such values at all.
    response = raw_request(
        server,
        "POST",
        f"{new_session('cookie_needed_echo')}/xhr",
        {"Cookie": f"JSESSIONID={cookie}", "Connection": "close"},
    )
    assert response.status == 200
    assert response.headers["set-cookie"].lower() == "jsessionid=dummy; path=/"


@pytest.mark.parametrize("session_id", ["a%0Ab", "a%0D%0Ab", "a%00b", "a%09b", "x" * 129, "%7F"])
async def test_session_ids_with_control_characters_or_of_no_client_length_are_not_found(
    http: httpx.AsyncClient, session_id: str
) -> None:
    assert (await http.post(f"/echo/000/{session_id}/xhr")).status_code == 404


async def test_a_session_id_of_the_longest_length_is_served(http: httpx.AsyncClient) -> None:
    assert await poll(http, f"/echo/000/{'x' * 128}") == "o\n"
