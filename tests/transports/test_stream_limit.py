"""Streams are bounded in all and per remote address; one local client never locks out another."""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest
import websocket
from httpx_sse import aconnect_sse

from quart_app.errors import TooManyStreams
from quart_app.streams import StreamLimit, is_loopback, make_room
from tests.servers import ServerProcess, TestDatabase, rss_kib
from tests.transports.stomp_clients import RawStomp, stomp_py

PER_ADDRESS = 20
TOTAL = 60
ATTEMPTS = 200


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("192.0.2.2", False),
        ("2001:db8::1", False),
        ("::ffff:192.0.2.2", False),
        ("unknown", False),
    ],
)
def test_loopback_addresses(address: str, loopback: bool) -> None:
    assert is_loopback(address) is loopback


@pytest.mark.parametrize(
    ("held", "address", "closes"),
    [
        ({}, "192.0.2.2", None),
        ({"192.0.2.2": 1, "127.0.0.1": 3}, "192.0.2.2", None),
        # Loopback is not bounded per address: past 2 it still fits while the total allows.
        ({"127.0.0.1": 2}, "127.0.0.1", None),
        ({"127.0.0.1": 5, "192.0.2.3": 2}, "127.0.0.1", None),
        # The total reached: the oldest stream of the address holding the most closes,
        ({"127.0.0.1": 7, "192.0.2.3": 1}, "192.0.2.2", "127.0.0.1"),
        ({"127.0.0.1": 6, "127.0.0.2": 2}, "127.0.0.2", "127.0.0.1"),
        ({"127.0.0.1": 1, "192.0.2.3": 2, "192.0.2.4": 2, "::1": 3}, "127.0.0.1", "::1"),
        # its own on a tie, and its own when it holds the most.
        ({"127.0.0.1": 4, "127.0.0.2": 4}, "127.0.0.2", "127.0.0.2"),
        ({"127.0.0.1": 8}, "127.0.0.1", "127.0.0.1"),
        ({"192.0.2.2": 1, "127.0.0.1": 7}, "192.0.2.2", "127.0.0.1"),
    ],
)
def test_who_makes_room(held: dict[str, int], address: str, closes: str | None) -> None:
    """Total 8, at most 2 per address but loopback."""
    assert make_room(held, address, total=8, per_address=2) == closes


@pytest.mark.parametrize(
    ("held", "address"),
    [
        ({"192.0.2.2": 2}, "192.0.2.2"),
        ({"192.0.2.2": 2, "127.0.0.1": 6}, "192.0.2.2"),  # refused, though room could be made
        ({"unknown": 2}, "unknown"),
    ],
)
def test_a_remote_address_is_refused_past_its_share(held: dict[str, int], address: str) -> None:
    with pytest.raises(TooManyStreams, match="QUART_APP_MAX_STREAMS_PER_CLIENT"):
        make_room(held, address, total=8, per_address=2)


@pytest.mark.parametrize(
    ("held", "total", "per_address", "closes"),
    [
        ({"192.0.2.2": 500}, 0, 0, None),  # no bound at all
        ({"192.0.2.2": 500}, 0, 1000, None),
        ({"192.0.2.2": 8}, 8, 0, "192.0.2.2"),
    ],
)
def test_zero_turns_a_bound_off(
    held: dict[str, int], total: int, per_address: int, closes: str | None
) -> None:
    assert make_room(held, "192.0.2.2", total=total, per_address=per_address) == closes


@pytest.mark.parametrize(
    ("soft", "total", "held"),
    [
        (20_000, 0, 18_000),  # a tenth kept for what is not a stream
        (20_000, 10_000, 10_000),  # within it: as set
        (20_000, 19_000, 18_000),
        (1_024, 0, 896),  # at least 128
    ],
)
def test_streams_leave_a_tenth_of_the_open_files(soft: int, total: int, held: int) -> None:
    before = resource.getrlimit(resource.RLIMIT_NOFILE)
    if before[1] != resource.RLIM_INFINITY and before[1] < soft:
        pytest.skip(f"the hard open-file limit here is {before[1]}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, before[1]))
    try:
        assert StreamLimit(total, 0).total == held
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, before)


async def test_a_stream_closed_for_room_is_told_then_cancelled() -> None:
    limit = StreamLimit(3, 2, grace=0.05)
    ended: list[str] = []
    served = [asyncio.create_task(asyncio.sleep(10)) for _ in range(4)]
    streams = []
    for number, task in enumerate(served):
        stream = limit.admit("127.0.0.1" if number < 3 else "192.0.2.2")
        stream.task = task
        stream.on_end(lambda number=number: ended.append(f"stream {number}"))
        streams.append(stream)
    assert limit.count == 3 and ended == ["stream 0"] and streams[0].closed_for_room
    limit.release(streams[0])  # its transport, once it has ended: nothing more to give back
    assert limit.count == 3
    await asyncio.sleep(0.2)
    assert served[0].cancelled() and not any(task.done() for task in served[1:])
    late = limit.admit("127.0.0.1")  # the oldest of the largest holder: stream 1
    assert ended == ["stream 0", "stream 1"]
    late.on_end(lambda: ended.append("late"))  # not closed: not called
    for stream in streams[1:]:
        limit.release(stream)
    limit.release(late)
    assert limit.count == 0 and ended == ["stream 0", "stream 1"]
    for task in served:
        task.cancel()


class RawSSE:
    """``GET /sse/topic/nl-to-sql`` on a connection of its own, read in the background."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.status = 0
        self.ended = asyncio.Event()
        self._reading: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, port: int, *, source: str = "127.0.0.1") -> RawSSE:
        reader, writer = await asyncio.open_connection(
            source, port, local_addr=(source, 0) if source != "127.0.0.1" else None
        )
        stream = cls(reader, writer)
        writer.write(f"GET /sse/topic/nl-to-sql HTTP/1.1\r\nHost: {source}\r\n\r\n".encode())
        stream.status = int((await asyncio.wait_for(reader.readline(), 10)).split()[1])
        stream._reading = asyncio.create_task(stream._read())
        return stream

    async def _read(self) -> None:
        received = b""
        while chunk := await self.reader.read(65536):
            received = received[-16:] + chunk
            if b"\r\n0\r\n\r\n" in received:  # the last chunk: the server ended the body
                break
        self.ended.set()

    def close(self) -> None:
        if self._reading is not None:
            self._reading.cancel()
        self.writer.close()


@contextlib.asynccontextmanager
async def opened(
    port: int, count: int, *, source: str = "127.0.0.1"
) -> AsyncIterator[list[RawSSE]]:
    streams = await asyncio.gather(*(RawSSE.open(port, source=source) for _ in range(count)))
    try:
        yield list(streams)
    finally:
        for stream in streams:
            stream.close()


async def wait_for(condition: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not within the time allowed"
        await asyncio.sleep(0.05)


@pytest.fixture(scope="module", name="limited")
def fixture_limited(start_server: Callable[..., ServerProcess]) -> ServerProcess:
    return start_server(
        QUART_APP_MAX_STREAMS_PER_CLIENT=str(PER_ADDRESS), QUART_APP_MAX_STREAMS=str(TOTAL)
    )


async def test_a_local_client_holding_every_stream_does_not_lock_out_another(
    limited: ServerProcess,
) -> None:
    """Both clients come from 127.0.0.1, as every program on the machine does."""
    assert limited.process is not None
    rss_before = rss_kib(limited.process.pid)
    oldest = RawStomp(limited.port)
    oldest.connect()
    async with opened(limited.port, ATTEMPTS) as greedy:
        # Every one is let in, past its address's share and past the total: the oldest go,
        # a STOMP session with an ERROR that says why.
        assert [stream.status for stream in greedy] == [200] * ATTEMPTS
        error = await asyncio.to_thread(oldest.next_frame)
        assert error.command == "ERROR" and error.headers["message"] == "closed to make room"
        assert "last-event-id" in error.body.decode() and oldest.closed
        oldest.close()
        # The session closed, and as many SSE streams as leave just the total open.
        await wait_for(lambda: sum(stream.ended.is_set() for stream in greedy) >= ATTEMPTS - TOTAL)
        await asyncio.sleep(0.5)
        assert sum(not stream.ended.is_set() for stream in greedy) == TOTAL

        # Another local program follows a request on SSE and on STOMP at once.
        rid = f"other-{uuid.uuid4().hex[:8]}"
        connection, collector = await asyncio.to_thread(stomp_py, limited.port)
        try:
            connection.subscribe(f"/topic/requests/{rid}", id="1", headers={"receipt": "ready"})
            await asyncio.to_thread(collector.wait_for, "RECEIPT")
            async with httpx.AsyncClient(base_url=limited.url, timeout=30) as http:
                started = time.monotonic()
                async with aconnect_sse(http, "GET", f"/sse/topic/requests/{rid}") as source:
                    assert source.response.status_code == 200
                    response = await http.post(
                        "/api/query-execution/execute", json={"sql": "SELECT 1", "requestId": rid}
                    )
                    assert response.status_code == 200, response.text
                    over_sse = [
                        json.loads(sse.data) async for sse in source.aiter_sse() if sse.data
                    ]
                elapsed = time.monotonic() - started
            over_stomp = await asyncio.to_thread(collector.events_until_terminal, rid)
        finally:
            connection.disconnect()
        assert over_sse[-1]["status"] == "success" and over_stomp == over_sse
        assert elapsed < 5, elapsed  # a generous bound: about 50 ms on an idle machine
        # Still no more than the total: the two made room by closing the greedy's oldest two.
        await wait_for(
            lambda: sum(stream.ended.is_set() for stream in greedy) >= ATTEMPTS - TOTAL + 2
        )
        await asyncio.sleep(0.5)
        assert sum(not stream.ended.is_set() for stream in greedy) == TOTAL - 2
        assert rss_kib(limited.process.pid) - rss_before < 64 * 1024  # KiB


def non_loopback_address() -> str | None:
    """An address of this machine's own that is not loopback, if it has one."""
    candidates = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        with contextlib.suppress(OSError):
            probe.connect(("198.51.100.1", 9))  # no packet is sent: this only picks a route
            candidates.append(probe.getsockname()[0])
    with contextlib.suppress(OSError):
        candidates += socket.gethostbyname_ex(socket.gethostname())[2]
    return next((a for a in candidates if not is_loopback(a) and a != "0.0.0.0"), None)


@pytest.fixture(scope="module", name="remote")
def fixture_remote(database: TestDatabase) -> Iterator[tuple[ServerProcess, str]]:
    """A server listening on a non-loopback address of this machine, so clients that connect
    from that address are not loopback peers."""
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no address but loopback")
    server = ServerProcess(
        {
            "DATABASE_URL": database.reader_url,
            "QUART_APP_HISTORY_URL": database.url,
            "QUART_APP_MAX_STREAMS_PER_CLIENT": "5",
            "QUART_APP_MAX_STREAMS": str(TOTAL),
        },
        args=("--host", address),
    )
    server.url = f"http://{address}:{server.port}"
    server.start()
    try:
        yield server, address
    finally:
        server.stop()


async def test_a_remote_address_is_held_to_its_share(remote: tuple[ServerProcess, str]) -> None:
    server, address = remote
    async with opened(server.port, 12, source=address) as streams:
        statuses = [stream.status for stream in streams]
        assert statuses.count(200) == 5 and statuses.count(429) == 7
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            await asyncio.to_thread(
                websocket.create_connection,
                f"ws://{address}:{server.port}/ws",
                subprotocols=["v12.stomp"],
                source_address=(address, 0),
                timeout=10,
            )
        assert refused.value.status_code == 429
    # Streams closed are given back.
    await asyncio.sleep(0.5)
    async with opened(server.port, 1, source=address) as again:
        assert again[0].status == 200
