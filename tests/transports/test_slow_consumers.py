"""Subscribers that stop reading are cut off; everyone else still receives everything."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websocket

from tests.servers import ServerProcess, TestDatabase, rss_kib, sibling_database
from tests.transports.stomp_clients import RawStomp, stomp_py
from tests.transports.test_sse import read_stream

# One fetching event per row on this server. 30,000 events are about 10 MB on
# either transport: more than the socket buffers of a client that stopped reading
# can hold (the kernel grows a loopback send buffer up to 4 MB).
ROWS = 30_000


@pytest.fixture(scope="module", name="busy_server")
def fixture_busy_server(database: TestDatabase) -> Iterator[ServerProcess]:
    # A history of its own: the other test processes need not read its 30,000 events.
    with sibling_database(database) as history_url:
        server = ServerProcess(
            {
                "DATABASE_URL": database.reader_url,
                "QUART_APP_HISTORY_URL": history_url,
                # Room for the fast clients (stomp.py parses in Python, on a busy machine) to
                # fall behind for a moment; the stalled ones still overflow it, once the
                # kernel's buffers (up to about 12,000 events) are full.
                "QUART_APP_SUBSCRIBER_QUEUE_SIZE": "8000",
                "QUART_APP_FETCH_BATCH_ROWS": "1",
                "QUART_APP_PROGRESS_INTERVAL_MS": "0",
            }
        ).start()
        try:
            yield server
        finally:
            server.stop()


def stalled_sse(port: int, path: str) -> socket.socket:
    """An SSE client that sends its request and then never reads."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode()
    )
    return sock


def read_to_end(sock: socket.socket, timeout: float = 30) -> bytes:
    deadline = time.monotonic() + timeout
    data = bytearray()
    while time.monotonic() < deadline:
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            chunk = sock.recv(1 << 20)
        except TimeoutError:
            break
        if not chunk:
            break
        data += chunk
    return bytes(data)


async def test_slow_stomp_and_sse_subscribers_are_cut_off(busy_server: ServerProcess) -> None:
    rid = f"slow-{uuid.uuid4().hex[:12]}"
    slow_stomp = RawStomp(busy_server.port, receive_buffer=4096)
    slow_stomp.connect()
    slow_stomp.send("SUBSCRIBE\nid:slow\ndestination:/topic/query-execution\nreceipt:ok\n\n\0")
    assert slow_stomp.next_frame().command == "RECEIPT"
    slow_sse = stalled_sse(busy_server.port, "/sse/topic/query-execution")
    try:
        fast_stomp, collector = await asyncio.to_thread(stomp_py, busy_server.port)
        fast_stomp.subscribe(f"/topic/requests/{rid}", id="fast", headers={"receipt": "fast"})
        await asyncio.to_thread(collector.wait_for, "RECEIPT")
        async with httpx.AsyncClient(base_url=busy_server.url, timeout=120) as http:
            fast_sse = asyncio.create_task(read_stream(http, f"/sse/topic/requests/{rid}"))
            await asyncio.sleep(0.3)
            response = await http.post(
                "/api/query-execution/execute",
                json={
                    "sql": f"SELECT g FROM generate_series(1, {ROWS}) AS g",
                    "requestId": rid,
                    "maxRows": ROWS,
                },
            )
            assert response.status_code == 200
            stored = (await http.get(f"/api/jobs/{rid}/events")).json()["events"]
            over_sse = await asyncio.wait_for(fast_sse, 60)
            over_stomp = await asyncio.to_thread(collector.events_until_terminal, rid, 60)
            fast_stomp.disconnect()

            assert len(stored) > ROWS
            assert over_sse == stored
            assert over_stomp == stored

            # The stalled clients now read what was buffered for them: some events, then the cut.
            frames = await asyncio.to_thread(slow_stomp.frames, timeout=30)
            assert (
                frames[-1].command == "ERROR" and frames[-1].headers["message"] == "slow consumer"
            )
            assert 0 < sum(frame.command == "MESSAGE" for frame in frames) < len(stored)
            raw = await asyncio.to_thread(read_to_end, slow_sse)
            assert raw.startswith(b"HTTP/1.1 200")
            assert raw.endswith(b"0\r\n\r\n")  # the chunked body was ended by the server
            assert 0 < raw.count(b"event: status") < len(stored)

            assert (
                await http.post("/api/query-execution/execute", json={"sql": "SELECT 1"})
            ).status_code == 200
    finally:
        slow_sse.close()
        slow_stomp.close()


async def test_cut_off_subscriber_may_resume_with_replay(busy_server: ServerProcess) -> None:
    """What a cut-off client should do next: reconnect with its last eventId and miss nothing."""
    rid = f"resume-{uuid.uuid4().hex[:12]}"
    async with httpx.AsyncClient(base_url=busy_server.url, timeout=60) as http:
        await http.post(
            "/api/query-execution/execute",
            json={
                "sql": "SELECT g FROM generate_series(1, 500) g",
                "requestId": rid,
                "maxRows": 500,
            },
        )
        stored = (await http.get(f"/api/jobs/{rid}/events")).json()["events"]
        seen: list[dict[str, Any]] = stored[:100]
        rest = await read_stream(
            http, f"/sse/topic/requests/{rid}", headers={"Last-Event-ID": str(seen[-1]["eventId"])}
        )
    assert seen + rest == stored


def test_a_client_that_asks_for_replies_and_never_reads_them_is_cut_off(
    server: ServerProcess,
) -> None:
    # 160 MB of receipts asked for. The server holds at most about 1 MiB of replies beyond
    # what the sockets take, then ends the session and reads no more from the client,
    # rather than hold all of it.
    receipt = "r" * 20_000
    unsubscribes = "".join(f"UNSUBSCRIBE\nid:x\nreceipt:{receipt}{n}\n\n\0" for n in range(4))
    assert server.process is not None
    rss_before = rss_kib(server.process.pid)
    stalled = RawStomp(server.port, receive_buffer=4096)
    stalled.connect()
    stalled.ws.settimeout(3)
    sent = 0
    with contextlib.suppress(OSError, websocket.WebSocketException):
        for _ in range(2000):
            stalled.send(unsubscribes)
            sent += 1
    try:
        assert sent < 500, "the server kept reading a client that reads none of its replies"
        assert rss_kib(server.process.pid) - rss_before < 100_000
        assert httpx.get(f"{server.url}/health").status_code == 200
    finally:
        stalled.ws.sock.close()
