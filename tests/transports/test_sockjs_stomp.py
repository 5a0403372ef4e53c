"""STOMP over SockJS at /ws: what holds for the plain WebSocket at /ws holds for every carrier.

Through the real service, with the small client of ``sockjs_client.py``: xhr_streaming or xhr
polling to receive and xhr_send to send, and SockJS's own WebSocket transport. ``tuned`` is
the one server with settings of its own (the API token, SockJS's heart-beat and disconnect
delay at 1 s, one stream per remote address, an event per row fetched).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
import websocket

from quart_app.protocol.stomp import Frame
from tests.servers import ServerProcess, TestDatabase, new_id, sibling_database
from tests.transports.sockjs_client import PRELUDE, SockJS
from tests.transports.test_stomp import MALFORMED
from tests.transports.test_stream_limit import non_loopback_address

TOKEN = "sockjs-s3cret"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
IN_QUERY = {"access_token": TOKEN}
ALLOWED_ORIGIN = "http://localhost:8888"  # in the default QUART_APP_CORS_ORIGINS
OTHER_ORIGIN = "http://evil.example"
ANOTHER_CONNECTION = 'c[2010,"Another connection still open"]'
# One fetching event per row on ``tuned``: about 9 MB of frames, far more than the kernel's
# buffers (up to 4 MB), the session's outbox (256 KiB) and the subscriber's queue (2,000
# events) hold for a receiver that stopped reading.
ROWS = 20_000

Open = Callable[..., Awaitable[SockJS]]


@pytest.fixture(scope="module", name="tuned")
def fixture_tuned(database: TestDatabase) -> Iterator[ServerProcess]:
    # A history of its own: nobody else need read the slow-consumer test's 20,000 events.
    with sibling_database(database) as history_url:
        server = ServerProcess(
            {
                "DATABASE_URL": database.reader_url,
                "QUART_APP_HISTORY_URL": history_url,
                "QUART_APP_API_TOKEN": TOKEN,
                # Loopback clients are bounded by the total only; this machine's other address
                # (when it has one) by the per-client share: one stream.
                "QUART_APP_LISTEN_HOST": "0.0.0.0",
                "QUART_APP_MAX_STREAMS_PER_CLIENT": "1",
                "QUART_APP_SOCKJS_HEARTBEAT_SECONDS": "1",
                "QUART_APP_SOCKJS_DISCONNECT_DELAY_SECONDS": "1",
                # A response that never reaches its limit, as a WebSocket never does: a
                # receiver that stops reading holds it, rather than the kernel taking it all.
                "QUART_APP_SOCKJS_RESPONSE_LIMIT_BYTES": str(64 << 20),
                "QUART_APP_SUBSCRIBER_QUEUE_SIZE": "2000",
                "QUART_APP_FETCH_BATCH_ROWS": "1",
                "QUART_APP_PROGRESS_INTERVAL_MS": "0",
                "QUART_APP_STOMP_HEARTBEAT_MS": "1000",
                "QUART_APP_STOMP_MAX_FRAME_BYTES": "65536",
            }
        ).start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(name="sockjs")
async def fixture_sockjs() -> AsyncIterator[Open]:
    """Opens SockJS sessions (see ``SockJS``); all are closed afterwards."""
    opened: list[SockJS] = []

    async def open_one(
        url: str, transport: str = "xhr_streaming", *, expect: str = "o", **options: Any
    ) -> SockJS:
        client = SockJS(url, transport, **options)
        opened.append(client)
        return await client.open(expect=expect)

    yield open_one
    for client in opened:
        await client.aclose()


def stomp(command: str, headers: dict[str, str] | None = None, body: str = "") -> str:
    head = "".join(f"{name}:{value}\n" for name, value in (headers or {}).items())
    return f"{command}\n{head}\n{body}\0"


def subscribe(destination: str, id: str = "1", **headers: str) -> str:
    return stomp("SUBSCRIBE", {"id": id, "destination": destination, **headers})


async def until_terminal(client: SockJS, rid: str, timeout: float = 30) -> list[Frame]:
    """STOMP frames until the terminal event of request ``rid``."""
    frames: list[Frame] = []
    while True:
        frame = await client.stomp(timeout)
        assert frame is not None, f"closed {client.closed} after {frames}"
        frames.append(frame)
        if frame.command == "MESSAGE":
            event = json.loads(frame.body)
            if event["requestId"] == rid and event["status"] != "progress":
                return frames


async def until_close(client: SockJS) -> list[Frame]:
    """STOMP frames until the session's close frame (``client.closed``)."""
    frames: list[Frame] = []
    while (frame := await client.stomp()) is not None:
        frames.append(frame)
    return frames


async def receipt(client: SockJS, name: str) -> None:
    frame = await client.stomp()
    assert frame == Frame("RECEIPT", {"receipt-id": name}), frame


async def stored_events(url: str, rid: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=url, headers=BEARER, timeout=30) as http:
        response = await http.get(f"/api/jobs/{rid}/events")
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["events"]
    return events


def bodies(frames: list[Frame]) -> list[dict[str, Any]]:
    return [json.loads(frame.body) for frame in frames if frame.command == "MESSAGE"]


# The seed's flow, replay, receipts -------------------------------------------------------


@pytest.mark.parametrize("transport", ["xhr_streaming", "xhr", "websocket"])
async def test_a_request_followed_to_completed(
    server: ServerProcess, sockjs: Open, transport: str
) -> None:
    rid = new_id()
    client = await sockjs(server.url, transport)
    connected = await client.connect()
    assert connected.headers["version"] == "1.2"
    assert connected.headers["heart-beat"] == "1000,1000"
    await client.send(subscribe(f"/topic/requests/{rid}", "sub-1", receipt="subscribed"))
    await receipt(client, "subscribed")
    body = json.dumps(
        {"sql": "SELECT id, name FROM customers ORDER BY id", "requestId": rid, "maxRows": 2500}
    )
    execute = {"destination": "/app/query-execution/execute", "receipt": "sent"}
    await client.send(stomp("SEND", execute, body))
    frames = await until_terminal(client, rid)

    assert [frame.headers for frame in frames if frame.command == "RECEIPT"] == [
        {"receipt-id": "sent", "request-id": rid}
    ]
    events = bodies(frames)
    assert events == await stored_events(server.url, rid)
    assert [event["stage"] for event in events][:4] == [
        "received",
        "validating",
        "planning",
        "executing",
    ]
    assert events[-1]["status"] == "success" and events[-1]["metadata"]["rowCount"] == 2500
    messages = [frame for frame in frames if frame.command == "MESSAGE"]
    for frame, event in zip(messages, events, strict=True):
        assert frame.headers["destination"] == f"/topic/requests/{rid}"
        assert frame.headers["subscription"] == "sub-1"
        assert frame.headers["message-id"] == str(event["eventId"])
        assert frame.headers["content-type"] == "application/json"

    await client.send(stomp("DISCONNECT", {"receipt": "bye"}))
    assert await until_close(client) == [Frame("RECEIPT", {"receipt-id": "bye"})]
    assert client.closed == [1000, "Normal closure"]


async def test_replay_gives_exactly_the_later_events(server: ServerProcess, sockjs: Open) -> None:
    rid = new_id()
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        response = await http.post(
            "/api/query-execution/execute", json={"sql": "SELECT 1", "requestId": rid}
        )
    assert response.status_code == 200, response.text
    stored = await stored_events(server.url, rid)
    after = stored[2]["eventId"]
    client = await sockjs(server.url)
    await client.connect()
    destination = f"/topic/requests/{rid}"
    await client.send(
        subscribe(destination, "tail", **{"last-event-id": str(after)}),
        subscribe(destination, "all", **{"last-event-id": "0"}),
    )
    frames: list[Frame] = []
    while len(frames) < 2 * len(stored) - 3:
        frame = await client.stomp()
        assert frame is not None and frame.command == "MESSAGE", frame
        frames.append(frame)
    # Nothing more comes: a receipt asked for now is the next frame.
    await client.send(stomp("UNSUBSCRIBE", {"id": "all", "receipt": "done"}))
    await receipt(client, "done")

    by_subscription: dict[str, list[dict[str, Any]]] = {}
    for frame in frames:
        by_subscription.setdefault(frame.headers["subscription"], []).append(json.loads(frame.body))
    assert by_subscription["tail"] == [event for event in stored if event["eventId"] > after]
    assert by_subscription["tail"] == stored[3:]
    assert by_subscription["all"] == stored


@pytest.mark.parametrize(
    ("data", "message", "detail"),
    [case[1:] for case in MALFORMED if isinstance(case[1], str)],
    ids=[case[0] for case in MALFORMED if isinstance(case[1], str)],
)
async def test_malformed_input_gets_error_then_close(
    server: ServerProcess, sockjs: Open, data: str, message: str, detail: str
) -> None:
    client = await sockjs(server.url)
    await client.send(data)  # one SockJS message, as one WebSocket message on /ws
    frames = [frame for frame in await until_close(client) if frame.command != "CONNECTED"]
    assert [frame.command for frame in frames] == ["ERROR"]
    assert frames[0].headers["message"] == message
    assert detail in frames[0].body.decode()
    assert client.closed == [1002, "Connection interrupted"]  # STOMP's close code, as on /ws
    # Until it is reaped, the session gives every receiver that close frame again.
    again = await client.http.post(f"{client.path}/xhr")
    assert again.text == 'c[1002,"Connection interrupted"]\n'


# Limits ----------------------------------------------------------------------------------


async def test_a_session_holds_at_most_so_many_subscriptions(
    server: ServerProcess, sockjs: Open
) -> None:
    client = await sockjs(server.url, "xhr")
    await client.connect()
    await client.send(
        *(subscribe("/topic/query-execution", str(n)) for n in range(64)),
        subscribe("/topic/nl-to-sql", "last", receipt="64"),
    )
    (error,) = await until_close(client)
    assert error.command == "ERROR" and error.headers["message"] == "too many subscriptions"
    assert error.headers["receipt-id"] == "64"
    assert "QUART_APP_STOMP_MAX_SUBSCRIPTIONS" in error.body.decode()
    assert client.closed == [1008, "Policy violation"]


async def test_one_message_carries_at_most_so_many_frames(
    server: ServerProcess, sockjs: Open
) -> None:
    client = await sockjs(server.url)
    await client.connect()
    await client.send("".join(subscribe("/topic/nl-to-sql", str(n)) for n in range(101)))
    (error,) = await until_close(client)
    assert error.command == "ERROR" and error.headers["message"] == "too many frames at once"
    assert "QUART_APP_STOMP_MAX_PENDING_FRAMES" in error.body.decode()
    assert client.closed == [1008, "Policy violation"]


# The token ---------------------------------------------------------------------------------


async def test_without_a_token_connect_needs_the_passcode(
    tuned: ServerProcess, sockjs: Open
) -> None:
    async with httpx.AsyncClient(base_url=tuned.url, timeout=10) as http:
        assert (await http.get("/api/jobs")).status_code == 401  # the token is on
        info = await http.get("/ws/info")
        iframe = await http.get("/ws/iframe.html")
    assert info.status_code == 200 and iframe.status_code == 200
    assert info.json().keys() == {"websocket", "cookie_needed", "origins", "entropy"}
    assert info.json()["websocket"] is True and info.json()["cookie_needed"] is False
    # No token, a wrong passcode, a wrong token on the opening request: none authenticates.
    attempts: list[tuple[str, dict[str, str], dict[str, str]]] = [
        ("xhr_streaming", {}, {}),
        ("xhr", {}, {"passcode": "wrong"}),
        ("websocket", {}, {}),
        ("xhr_streaming", {"access_token": "wrong"}, {}),
        ("websocket", {"access_token": "wrong"}, {}),
    ]
    for transport, params, passcode in attempts:
        client = await sockjs(tuned.url, transport, params=params)
        await client.send(stomp("CONNECT", {"accept-version": "1.2", **passcode}))
        (error,) = await until_close(client)
        assert error.command == "ERROR" and error.headers["message"] == "unauthorized"
        assert "passcode" in error.body.decode() and TOKEN not in error.body.decode()
        assert client.closed == [1008, "Policy violation"]


@pytest.mark.parametrize("presented", ["access_token", "bearer"])
async def test_a_token_on_the_opening_request_holds_for_the_session(
    tuned: ServerProcess, sockjs: Open, presented: str
) -> None:
    given: dict[str, Any] = {"params": IN_QUERY} if presented == "access_token" else {}
    given |= {"headers": BEARER} if presented == "bearer" else {}
    client = await sockjs(tuned.url, **given)
    await client.connect()  # no passcode: the opening request carried the token

    # Every later request on the session must present that token, or finds no session.
    refused = subscribe("/topic/nl-to-sql", "refused", receipt="refused")
    wrong: list[dict[str, Any]] = [
        {},
        {"params": {"access_token": "wrong"}},
        {"headers": {"Authorization": "Bearer wrong"}},
    ]
    right: list[dict[str, Any]] = [{"params": IN_QUERY}, {"headers": BEARER}]
    async with httpx.AsyncClient(timeout=10) as other:
        for request in wrong:
            response = await other.post(f"{client.path}/xhr_send", json=[refused], **request)
            assert response.status_code == 404, request
            response = await other.post(f"{client.path}/xhr", **request)
            assert response.status_code == 404, request
        for request in right:  # either way it is given
            response = await other.post(f"{client.path}/xhr_send", json=["\n"], **request)
            assert response.status_code == 204, request

    rid = new_id()
    await client.send(subscribe(f"/topic/requests/{rid}", receipt="ok"))
    await receipt(client, "ok")  # not "refused": none of those reached the session
    async with httpx.AsyncClient(base_url=tuned.url, headers=BEARER, timeout=30) as http:
        response = await http.post(
            "/api/query-execution/execute", json={"sql": "SELECT 1", "requestId": rid}
        )
    assert response.status_code == 200, response.text
    assert bodies(await until_terminal(client, rid)) == await stored_events(tuned.url, rid)


async def test_a_refused_send_leaves_the_connection_usable(tuned: ServerProcess) -> None:
    """A 404 to xhr_send (no such session) is answered after its body is read, so the next
    request on the same keep-alive connection is answered too, however late the body comes."""
    host, port = tuned.url.removeprefix("http://").split(":")
    body = json.dumps(["SEND"]).encode()
    headers = (
        f"POST /ws/000/{uuid.uuid4().hex[:8]}/xhr_send?access_token={TOKEN} HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\nContent-Type: text/plain\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    health = f"GET /health HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(headers)
        await writer.drain()
        await asyncio.sleep(0.3)  # the body comes later, as it may on a slow network
        writer.write(body + health)
        await writer.drain()
        answers = b""
        while answers.count(b"HTTP/1.1 ") < 2:
            chunk = await asyncio.wait_for(reader.read(65536), 10)
            assert chunk, f"the server closed the connection after: {answers[:200]!r}"
            answers += chunk
    finally:
        writer.close()
    first, second = answers.split(b"HTTP/1.1 ")[1:3]
    assert first.startswith(b"404") and second.startswith(b"200")


async def test_the_passcode_authenticates_a_session_opened_without_a_token(
    tuned: ServerProcess, sockjs: Open
) -> None:
    client = await sockjs(tuned.url, "xhr")
    await client.connect(passcode=TOKEN)
    rid = new_id()
    await client.send(subscribe(f"/topic/requests/{rid}", receipt="ok"))
    await receipt(client, "ok")
    async with httpx.AsyncClient(base_url=tuned.url, headers=BEARER, timeout=30) as http:
        response = await http.post(
            "/api/query-execution/execute", json={"sql": "SELECT 2", "requestId": rid}
        )
    assert response.status_code == 200, response.text
    assert bodies(await until_terminal(client, rid)) == await stored_events(tuned.url, rid)


async def test_the_sockjs_websocket_takes_the_token_on_its_handshake(
    tuned: ServerProcess, sockjs: Open
) -> None:
    client = await sockjs(tuned.url, "websocket", params=IN_QUERY)
    await client.connect()
    await client.send(subscribe("/topic/nl-to-sql", receipt="ok"))
    await receipt(client, "ok")


# Origins -----------------------------------------------------------------------------------


async def test_an_allowed_origin_is_echoed_with_credentials(server: ServerProcess) -> None:
    path = f"/ws/000/{uuid.uuid4().hex}"
    headers = {"Origin": ALLOWED_ORIGIN}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=10) as http:
        answers = [await http.post(f"{path}/xhr")]
        assert answers[0].text == "o\n"
        answers.append(await http.post(f"{path}/xhr_send", json=[stomp("CONNECT")]))
        answers.append(await http.post(f"{path}/xhr"))
        assert answers[-1].text.startswith('a["CONNECTED')
        answers.append(await http.get("/ws/info"))
        answers.append(
            await http.options(
                f"{path}/xhr_send",
                headers={
                    "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "content-type",
                },
            )
        )
        assert "POST" in answers[-1].headers["access-control-allow-methods"]
        async with http.stream("POST", f"/ws/000/{uuid.uuid4().hex}/xhr_streaming") as streaming:
            answers.append(streaming)
        for answer in answers:
            assert answer.status_code in (200, 204), answer
            assert answer.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
            assert answer.headers["access-control-allow-credentials"] == "true"


async def test_a_disallowed_origin_is_refused(server: ServerProcess, sockjs: Open) -> None:
    client = await sockjs(server.url, "xhr")  # no Origin: not a browser page
    await client.connect()
    fresh = f"/ws/000/{uuid.uuid4().hex}"
    headers = {"Origin": OTHER_ORIGIN}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=10) as http:
        refused = [
            await http.post(f"{fresh}/xhr"),
            await http.post(f"{fresh}/xhr_streaming"),
            await http.post(f"{client.path}/xhr_send", json=[subscribe("/a", receipt="no")]),
            await http.post(f"{client.path}/xhr"),
            await http.get("/ws/info"),
        ]
        for answer in refused:
            assert answer.status_code == 403, answer
            assert answer.json()["error"]["code"] == "forbidden_origin"
            assert "access-control-allow-origin" not in answer.headers
    # Nothing was opened for the refused page.
    assert (await client.http.post(f"{server.url}{fresh}/xhr_send", json=["\n"])).status_code == 404
    with pytest.raises(websocket.WebSocketBadStatusException) as handshake:
        await asyncio.to_thread(
            websocket.create_connection,
            f"ws://127.0.0.1:{server.port}{fresh}/websocket",
            origin=OTHER_ORIGIN,
            timeout=10,
        )
    assert handshake.value.status_code == 403
    # The session goes on, and what the refused page sent never reached it.
    await client.send(subscribe("/topic/nl-to-sql", receipt="ok"))
    await receipt(client, "ok")


# Receivers -------------------------------------------------------------------------------


@pytest.mark.parametrize("second", ["xhr_streaming", "xhr"])
async def test_a_second_receiver_is_refused_while_one_is_open(
    server: ServerProcess, sockjs: Open, second: str
) -> None:
    client = await sockjs(server.url)
    await client.connect()
    await sockjs(server.url, second, session=client.session, expect=ANOTHER_CONNECTION)
    await client.send(subscribe("/topic/nl-to-sql", receipt="still"))
    await receipt(client, "still")  # the first one goes on


async def test_a_session_whose_receiver_is_killed_is_reaped(
    tuned: ServerProcess, sockjs: Open
) -> None:
    """From this machine's other address, when it has one, the session's stream is observable:
    that address may hold one, so another is refused (429) until the session is reaped."""
    address = non_loopback_address()
    url = f"http://{address or '127.0.0.1'}:{tuned.port}"
    client = await sockjs(url, params=IN_QUERY, local_address=address)
    await client.connect()
    await client.send(subscribe("/topic/query-execution", receipt="ok"))
    await receipt(client, "ok")
    if address is not None:
        await sockjs(url, params=IN_QUERY, local_address=address, expect="status 429")
    assert client.task is not None
    client.task.cancel()  # the response is closed mid-stream, as a closed browser tab's is
    killed = time.monotonic()
    # What was taken for it may be lost: the session is closed, and says so to the next one.
    for _ in range(100):  # until the server has seen the connection go
        polled = await client.http.post(f"{client.path}/xhr", params=IN_QUERY)
        if polled.text != ANOTHER_CONNECTION + "\n":
            break
        await asyncio.sleep(0.02)
    assert polled.text == 'c[1002,"Connection interrupted"]\n'
    await until_reaped(client, killed, within=2.5)
    if address is not None:
        again = await sockjs(url, params=IN_QUERY, local_address=address)
        await again.connect()


async def test_a_session_nobody_polls_is_reaped(tuned: ServerProcess) -> None:
    address = non_loopback_address()
    url = f"http://{address or '127.0.0.1'}:{tuned.port}"
    client = SockJS(url, "xhr", params=IN_QUERY, local_address=address)
    try:
        polled = await client.http.post(f"{client.path}/xhr", params=IN_QUERY)
        assert polled.text == "o\n"
        await client.send(stomp("CONNECT"), subscribe("/topic/query-execution", receipt="ok"))
        while "RECEIPT" not in polled.text:
            polled = await client.http.post(f"{client.path}/xhr", params=IN_QUERY)
        left = time.monotonic()  # and polls no more, as a browser that went away
        if address is not None:
            refused = await client.http.post(f"{url}/ws/0/{uuid.uuid4().hex}/xhr", params=IN_QUERY)
            assert refused.status_code == 429, refused.text
        # Closed after the disconnect delay (1 s), and forgotten one more delay later.
        await until_reaped(client, left, within=3.5)
        if address is not None:
            again = await client.http.post(f"{url}/ws/0/{uuid.uuid4().hex}/xhr", params=IN_QUERY)
            assert again.text == "o\n"
    finally:
        await client.aclose()


async def until_reaped(client: SockJS, since: float, within: float) -> None:
    """Wait until the session is gone: xhr_send answers 404."""
    while (await client.send("\n")).status_code != 404:
        assert time.monotonic() - since < within, "the session outlived its disconnect delay"
        await asyncio.sleep(0.05)


# Heart-beats -------------------------------------------------------------------------------


async def test_stomp_heart_beats_travel_as_sockjs_messages(
    server: ServerProcess, sockjs: Open
) -> None:
    client = await sockjs(server.url)
    assert (await client.connect(**{"heart-beat": "500,500"})).headers["heart-beat"] == "1000,1000"
    # The client's, "\n" messages by xhr_send, keep the session open past twice 1000 ms; the
    # server's come as messages of their own.
    frames: list[str] = []
    started = time.monotonic()
    while time.monotonic() - started < 2.5:
        assert (await client.send("\n")).status_code == 204
        with contextlib.suppress(TimeoutError):
            frames.append(await client.frame(timeout=0.3))
    assert frames and set(frames) == {'a["\\n"]'}, frames
    await client.send(subscribe("/topic/nl-to-sql", receipt="alive"))
    await receipt(client, "alive")
    # When the client's stop, the server gives up on the session, as on /ws.
    started = time.monotonic()
    frames_left = await until_close(client)
    waited = time.monotonic() - started
    assert frames_left[-1].command == "ERROR", frames_left
    assert frames_left[-1].headers["message"] == "no heart-beat received within 2000 ms"
    assert 1.5 < waited < 5
    assert client.closed == [1008, "Policy violation"]


async def test_sockjs_heart_beats_fill_the_silence_without_stomp_ones(
    tuned: ServerProcess, sockjs: Open
) -> None:
    """``h`` after each QUART_APP_SOCKJS_HEARTBEAT_SECONDS (1 s) with nothing to send."""

    async def silence(transport: str) -> list[tuple[str, float]]:
        client = await sockjs(tuned.url, transport, params=IN_QUERY)
        await client.connect(**{"heart-beat": "0,0"})
        started = time.monotonic()
        frames: list[tuple[str, float]] = []
        while time.monotonic() - started < 2.6:
            with contextlib.suppress(TimeoutError):
                frames.append((await client.frame(timeout=0.2), time.monotonic() - started))
        return frames

    for frames in await asyncio.gather(silence("xhr_streaming"), silence("xhr")):
        assert [frame for frame, _ in frames] == ["h", "h"], frames
        assert 0.8 < frames[0][1] < 1.6 and 1.8 < frames[1][1] < 2.6, frames


# A receiver that stops reading -------------------------------------------------------------


def read_until(sock: socket.socket, marker: bytes, timeout: float = 10) -> bytes:
    data = b""
    sock.settimeout(timeout)
    while marker not in data:
        chunk = sock.recv(65536)
        assert chunk, data
        data += chunk
    return data


def read_to_end(sock: socket.socket, timeout: float = 30) -> bytes:
    deadline = time.monotonic() + timeout
    data = bytearray()
    while chunk := _recv(sock, deadline):
        data += chunk
    return bytes(data)


def _recv(sock: socket.socket, deadline: float) -> bytes:
    sock.settimeout(max(0.1, deadline - time.monotonic()))
    return sock.recv(1 << 20)


async def test_a_receiver_that_stops_reading_is_cut_off_like_ws(
    tuned: ServerProcess, sockjs: Open
) -> None:
    rid = new_id()
    slow = SockJS(tuned.url, params=IN_QUERY)  # sends by xhr_send; receives by hand, below
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    try:
        sock.connect(("127.0.0.1", tuned.port))
        # HTTP/1.0: the body ends with the connection.
        sock.sendall(
            f"POST {slow.path.removeprefix(tuned.url)}/xhr_streaming?access_token={TOKEN} HTTP/1.0\r\n"
            "Host: 127.0.0.1\r\nContent-Length: 0\r\n\r\n".encode()
        )
        received = await asyncio.to_thread(read_until, sock, b"\no\n")
        await slow.send(
            stomp("CONNECT", {"accept-version": "1.2"}),
            subscribe("/topic/query-execution", "slow", receipt="ok"),
        )
        received += await asyncio.to_thread(read_until, sock, b"RECEIPT")
        # From here on it reads nothing, while another session reads everything.
        fast = await sockjs(tuned.url, params=IN_QUERY)
        await fast.connect()
        await fast.send(subscribe(f"/topic/requests/{rid}", "fast", receipt="fast"))
        await receipt(fast, "fast")
        following = asyncio.create_task(until_terminal(fast, rid, timeout=60))
        async with httpx.AsyncClient(base_url=tuned.url, headers=BEARER, timeout=120) as http:
            response = await http.post(
                "/api/query-execution/execute",
                json={
                    "sql": f"SELECT g FROM generate_series(1, {ROWS}) AS g",
                    "requestId": rid,
                    "maxRows": ROWS,
                },
            )
            assert response.status_code == 200, response.text
            stored = await stored_events(tuned.url, rid)
            assert len(stored) > ROWS
            assert bodies(await asyncio.wait_for(following, 60)) == stored

            # The stalled receiver now reads what was held for it: some events, then the cut.
            received += await asyncio.to_thread(read_to_end, sock)
            head, _, body = received.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200"), head
            for line in body.decode().splitlines():
                if line != PRELUDE:
                    slow.frames.put_nowait(line)
            frames = await until_close(slow)
            assert [frame.command for frame in frames[:2]] == ["CONNECTED", "RECEIPT"]
            assert frames[-1].command == "ERROR", frames[-1]
            assert frames[-1].headers["message"] == "slow consumer"
            assert 0 < sum(frame.command == "MESSAGE" for frame in frames) < len(stored)
            assert slow.closed == [1008, "Policy violation"]

            assert (
                await http.post("/api/query-execution/execute", json={"sql": "SELECT 1"})
            ).status_code == 200
    finally:
        sock.close()
        await slow.aclose()


async def test_a_session_opened_without_a_token_is_held_by_its_address(
    tuned: ServerProcess, sockjs: Open
) -> None:
    """Authenticated by CONNECT's passcode, the session's id is not enough from elsewhere."""
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no address but loopback")
    client = await sockjs(tuned.url)
    await client.connect(passcode=TOKEN)
    elsewhere = client.path.replace("127.0.0.1", address, 1)
    carrier = httpx.AsyncHTTPTransport(local_address=address)
    async with httpx.AsyncClient(transport=carrier, timeout=10) as other:
        sent = await other.post(f"{elsewhere}/xhr_send", json=[subscribe("/topic/nl-to-sql")])
        polled = await other.post(f"{elsewhere}/xhr")
    assert (sent.status_code, polled.status_code) == (404, 404)
    await client.send(subscribe("/topic/nl-to-sql", receipt="mine"))
    await receipt(client, "mine")


async def test_a_lone_surrogate_is_refused_like_any_bad_utf8(
    server: ServerProcess, sockjs: Open
) -> None:
    # SockJS's JSON can carry one; a WebSocket text frame never could.
    client = await sockjs(server.url)
    await client.connect()
    body = json.dumps({"requestId": "lone-\ud800", "sql": "SELECT 1"}, ensure_ascii=False)
    message = f"SEND\ndestination:/app/query-execution/execute\n\n{body}\0"
    sent = await client.http.post(f"{client.path}/xhr_send", content=json.dumps([message]))
    assert sent.status_code == 204
    frames = [frame for frame in await until_close(client) if frame.command != "CONNECTED"]
    assert [frame.command for frame in frames] == ["ERROR"]
    assert client.closed is not None and client.closed[0] != 1011  # not a server error
