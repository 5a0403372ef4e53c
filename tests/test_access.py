"""Access control: the optional API token on every transport, and the origin check."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import httpx
import pytest
import stomp
import websocket
from httpx_sse import aconnect_sse

from tests.servers import ServerProcess, TestDatabase
from tests.transports.stomp_clients import RawStomp, stomp_py
from widget import Client, RequestFailed

TOKEN = "s3cret-" + uuid.uuid4().hex


@pytest.fixture(scope="module", name="locked")
def fixture_locked(database: TestDatabase) -> Iterator[ServerProcess]:
    """Listening on every address, which a token makes safe (and silent about it)."""
    server = ServerProcess(
        {
            "DATABASE_URL": database.reader_url,
            "QUART_APP_HISTORY_URL": "memory",
            "QUART_APP_API_TOKEN": TOKEN,
        },
        args=("--host", "0.0.0.0"),
    ).start()
    yield server
    server.stop()


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_rest_needs_the_token(locked: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=locked.url, timeout=30) as http:
        body = {"sql": "SELECT 1", "requestId": f"locked-{uuid.uuid4().hex[:8]}"}
        for headers in ({}, bearer("wrong"), {"Authorization": TOKEN}):
            response = await http.post("/api/query-execution/execute", json=body, headers=headers)
            assert response.status_code == 401, headers
            assert response.json()["error"]["code"] == "unauthorized"
            assert response.headers["www-authenticate"].startswith("Bearer")
            assert response.headers["connection"] == "close"  # its body was never read
            assert TOKEN not in response.text
        # Refused requests ran nothing: the requestId is still free.
        response = await http.post("/api/query-execution/execute", json=body, headers=bearer())
        assert response.status_code == 200 and response.json()["rows"] == [[1]]
        response = await http.get(f"/api/jobs/{body['requestId']}?access_token={TOKEN}")
        assert response.status_code == 200 and response.json()["status"] == "success"
        assert (await http.get("/api/jobs")).status_code == 401
        for path in ("/health", "/", "/openapi.json"):
            assert (await http.get(path)).status_code == 200, path


async def test_sse_takes_the_token_as_header_or_query(locked: ServerProcess) -> None:
    rid = f"locked-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=locked.url, timeout=30) as http:
        refused = await http.get(f"/sse/topic/requests/{rid}")
        assert refused.status_code == 401
        await http.post(
            "/api/query-execution/execute",
            json={"sql": "SELECT 1", "requestId": rid},
            headers=bearer(),
        )
        for path, headers in (
            (f"/sse/topic/requests/{rid}?lastEventId=0", bearer()),
            (f"/sse/topic/requests/{rid}?lastEventId=0&access_token={TOKEN}", {}),
        ):
            async with aconnect_sse(http, "GET", path, headers=headers) as source:
                events = [json.loads(sse.data) async for sse in source.aiter_sse() if sse.data]
            assert events[-1]["status"] == "success", path


def test_stomp_takes_the_token_as_passcode_or_on_the_handshake(locked: ServerProcess) -> None:
    connection = stomp.WSStompConnection(
        [("127.0.0.1", locked.port)],
        ws_path="/ws",
        header={"Sec-WebSocket-Protocol": "v12.stomp"},
        heartbeats=(0, 0),
    )
    connection.connect(passcode=TOKEN, wait=True)
    assert connection.is_connected()
    connection.disconnect()

    raw = RawStomp(locked.port)
    raw.send("CONNECT\naccept-version:1.2\nhost:localhost\npasscode:wrong\n\n\0")
    try:
        frames = raw.frames(timeout=10)
    finally:
        raw.close()
    assert [frame.command for frame in frames] == ["ERROR"]
    assert frames[0].headers["message"] == "unauthorized"
    assert TOKEN not in frames[0].body.decode()

    handshake = websocket.create_connection(
        f"ws://127.0.0.1:{locked.port}/ws", subprotocols=["v12.stomp"], header=bearer(), timeout=10
    )
    handshake.send("CONNECT\naccept-version:1.2\nhost:localhost\n\n\0")
    assert str(handshake.recv()).startswith("CONNECTED")
    handshake.close()

    query = websocket.create_connection(
        f"ws://127.0.0.1:{locked.port}/ws?access_token={TOKEN}",
        subprotocols=["v12.stomp"],
        timeout=10,
    )
    query.send("CONNECT\naccept-version:1.2\nhost:localhost\n\n\0")
    assert str(query.recv()).startswith("CONNECTED")
    query.close()


def test_without_a_token_stomp_py_connects_as_before(server: ServerProcess) -> None:
    connection, _ = stomp_py(server.port)
    assert connection.is_connected()
    connection.disconnect()


async def test_pages_from_other_origins_are_refused(server: ServerProcess) -> None:
    rid = f"origin-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        response = await http.post(
            "/api/query-execution/execute",
            json={"sql": "SELECT 1", "requestId": rid},
            headers={"Origin": "http://evil.example", "Content-Type": "text/plain"},
        )
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden_origin"
        assert response.headers["connection"] == "close"
        assert (await http.get(f"/api/jobs/{rid}")).status_code == 404  # nothing ran
        same_site = await http.post(
            "/api/query-execution/execute",
            json={"sql": "SELECT 1"},
            headers={"Origin": f"http://127.0.0.1:{server.port}"},
        )
        assert same_site.status_code == 200
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(
            f"ws://127.0.0.1:{server.port}/ws",
            subprotocols=["v12.stomp"],
            origin="http://evil.example",
            timeout=10,
        )
    assert refused.value.status_code == 403
    allowed = websocket.create_connection(
        f"ws://127.0.0.1:{server.port}/ws",
        subprotocols=["v12.stomp"],
        origin="http://localhost:8888",
        timeout=10,
    )
    allowed.close()


def test_listening_beyond_loopback_without_a_token_warns(
    wildcard_server: ServerProcess, locked: ServerProcess
) -> None:
    assert "without QUART_APP_API_TOKEN" in wildcard_server.log()
    assert "without QUART_APP_API_TOKEN" not in locked.log()


def test_the_notebook_client_sends_the_token(locked: ServerProcess) -> None:
    client = Client(locked.url, widget=False, token=TOKEN)
    assert client.mode == "kernel"  # a browser would need the token as well
    assert client.run("SELECT 41 + 1 AS answer")["answer"].tolist() == [42]
    assert client.ask("How many customers are there?").shape == (1, 1)
    assert client.jobs()["status"].iloc[0] == "success"
    with pytest.raises(RequestFailed) as refused:
        Client(locked.url, widget=False).run("SELECT 1")
    assert refused.value.code == "unauthorized"
