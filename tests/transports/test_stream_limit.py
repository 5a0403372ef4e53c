"""A client that opens a thousand streams is refused past its share; other clients never notice."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import websocket
from httpx_sse import aconnect_sse

from tests.servers import ServerProcess

LIMIT = 20
ATTEMPTS = 1000


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


async def open_sse(port: int) -> tuple[int, asyncio.StreamWriter]:
    """The status of GET /sse/topic/nl-to-sql, and the open connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /sse/topic/nl-to-sql HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    status_line = await asyncio.wait_for(reader.readline(), 10)
    return int(status_line.split()[1]), writer


@pytest.fixture(scope="module", name="limited")
def fixture_limited(start_server: Callable[..., ServerProcess]) -> ServerProcess:
    return start_server(QUART_APP_MAX_STREAMS_PER_CLIENT=str(LIMIT))


async def test_a_thousand_streams_from_one_client(limited: ServerProcess) -> None:
    assert limited.process is not None
    rss_before = rss_kib(limited.process.pid)
    opened = await asyncio.gather(*(open_sse(limited.port) for _ in range(ATTEMPTS)))
    statuses = [status for status, _ in opened]
    assert statuses.count(200) == LIMIT and statuses.count(429) == ATTEMPTS - LIMIT
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(
            f"ws://127.0.0.1:{limited.port}/ws", subprotocols=["v12.stomp"], timeout=10
        )
    assert refused.value.status_code == 429

    # Another client (127.0.0.2 is loopback too) streams a request as if nothing happened.
    rid = f"other-{uuid.uuid4().hex[:8]}"
    other = httpx.AsyncHTTPTransport(local_address="127.0.0.2")
    async with httpx.AsyncClient(base_url=limited.url, transport=other, timeout=30) as http:
        started = time.monotonic()
        async with aconnect_sse(http, "GET", f"/sse/topic/requests/{rid}") as source:
            response = await http.post(
                "/api/query-execution/execute", json={"sql": "SELECT 1", "requestId": rid}
            )
            assert response.status_code == 200
            events = [json.loads(sse.data) async for sse in source.aiter_sse() if sse.data]
        elapsed = time.monotonic() - started
    assert events[-1]["status"] == "success"
    assert elapsed < 5, elapsed  # a generous bound: about 50 ms on an idle machine
    assert rss_kib(limited.process.pid) - rss_before < 64 * 1024  # KiB

    # Streams closed are given back: the first client may open one again.
    for _, writer in opened:
        writer.close()
    await asyncio.sleep(0.5)
    status, writer = await open_sse(limited.port)
    writer.close()
    assert status == 200
