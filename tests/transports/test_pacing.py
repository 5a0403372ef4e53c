"""Write pacing: an idle stream writes at once, a busy one batches until the clock's next tick."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections.abc import Callable

import httpx
import pytest
from httpx_sse import aconnect_sse
from quart.wrappers.websocket import Websocket
from werkzeug.datastructures import Headers

from quart_app.protocol.stomp import SERVER_COMMANDS, FrameParser
from quart_app.transports.pacing import WriteClock
from quart_app.transports.websocket import _raw_send
from tests.servers import ServerProcess
from tests.transports.stomp_clients import RawStomp

WINDOW = 1.0  # seconds: long, so that what the tests tell apart is far above scheduling noise
# One fetching event per row: a burst of about 200 events, in well under a second on a fast machine.
BURST_SQL = "SELECT g FROM generate_series(1, 200) AS g"


@pytest.fixture(scope="module", name="paced_server")
def fixture_paced_server(start_server: Callable[..., ServerProcess]) -> ServerProcess:
    return start_server(
        QUART_APP_WRITE_COALESCE_MS=str(int(WINDOW * 1000)),
        QUART_APP_FETCH_BATCH_ROWS="1",
        QUART_APP_PROGRESS_INTERVAL_MS="0",
        QUART_APP_SSE_PING_SECONDS="60",
    )


# The clock on its own --------------------------------------------------------


async def test_waiters_are_woken_together_by_one_tick() -> None:
    clock = WriteClock(0.01)
    woken: list[int] = []

    async def writer(index: int) -> None:
        await clock.wait(since=clock.ticks)
        woken.append(clock.ticks)

    await asyncio.gather(*(writer(index) for index in range(50)))
    assert woken == [1] * 50


async def test_a_stream_that_missed_a_tick_does_not_wait() -> None:
    clock = WriteClock(10.0)
    await asyncio.wait_for(clock.wait(since=clock.ticks - 1), timeout=1)
    assert clock.ticks == 0  # nothing armed a tick


async def test_window_zero_never_waits() -> None:
    clock = WriteClock(0)
    await asyncio.wait_for(clock.wait(since=clock.ticks), timeout=1)


async def test_a_cancelled_waiter_leaves_the_others_waiting() -> None:
    clock = WriteClock(0.05)
    gone = asyncio.create_task(clock.wait(since=0))
    staying = asyncio.create_task(clock.wait(since=0))
    await asyncio.sleep(0)
    gone.cancel()
    await asyncio.wait_for(staying, timeout=5)
    assert gone.cancelled() and clock.ticks == 1


async def test_the_next_window_starts_after_the_woken_streams_ran() -> None:
    clock = WriteClock(0.05)
    busy_until = 0.0

    async def quick_writer() -> float:
        await clock.wait(since=0)
        await clock.wait(since=1)  # asks for the next tick before the busy writer has run
        return time.monotonic()

    async def busy_writer() -> None:
        nonlocal busy_until
        await clock.wait(since=0)
        time.sleep(0.2)  # noqa: ASYNC251 - a long burst of writes, holding the loop on purpose
        busy_until = time.monotonic()

    quick = asyncio.create_task(quick_writer())
    busy = asyncio.create_task(busy_writer())
    next_tick_at = await quick
    await busy
    assert next_tick_at - busy_until >= 0.05 - 0.002  # a whole window after the burst


def test_a_clock_left_armed_by_a_closed_loop_ticks_on_the_next() -> None:
    clock = WriteClock(0.05)

    async def abandon() -> None:
        asyncio.get_running_loop().create_task(clock.wait(since=0))
        await asyncio.sleep(0)  # armed, then the loop closes before the tick

    asyncio.run(abandon())
    asyncio.run(asyncio.wait_for(clock.wait(since=clock.ticks), timeout=5))


def test_stomp_writes_skip_the_yield_quart_adds_to_each_message() -> None:
    """``_raw_send`` relies on a private attribute: this says when a Quart release moves it."""

    async def send(message: object) -> None:
        raise AssertionError("not called")

    async def unused(*args: object) -> None:
        raise AssertionError("not called")

    connection = Websocket(
        "/ws",
        b"",
        "ws",
        Headers(),
        "",
        "1.1",
        [],
        unused,
        send,
        unused,
        unused,
        {},  # type: ignore[typeddict-item]
    )
    assert _raw_send(connection) is send


# Through the server ----------------------------------------------------------


def assert_paced(arrivals: list[float], events: int) -> None:
    """A busy stream writes once per tick, whatever piled up since its last write.

    ``arrivals`` are the arrival times of the events (SSE) or messages (STOMP: one write is
    split into messages of at most 64 KiB). Those of one write come within milliseconds of
    each other, unless the client itself stalls while reading them (a loaded machine: one
    CI run saw a write split by a stall of over 0.1 s); a gap of over 0.3 s, well under the
    window, starts the next write. How many ticks the burst spans depends on how
    fast the machine publishes it (every event is stored first), so this asserts the spacing
    and the batching, not a count of writes. The clock is shared, and arrival times carry the
    client's own jitter: half a window tells a paced write from one sent at once.
    """
    writes = [arrivals[0]] + [
        later for earlier, later in itertools.pairwise(arrivals) if later - earlier > 0.3
    ]
    assert len(writes) >= 2, "a burst of this size cannot fit in the first write"
    spacing = [later - earlier for earlier, later in itertools.pairwise(writes)]
    assert min(spacing) >= WINDOW * 0.5, f"a busy stream waits for the next tick: {spacing}"
    assert len(writes) <= events // 10, f"{events} events in {len(writes)} writes"


def test_stomp_sends_the_first_event_at_once_and_batches_the_burst(
    paced_server: ServerProcess,
) -> None:
    rid = f"paced-{uuid.uuid4().hex[:12]}"
    client = RawStomp(paced_server.port)
    try:
        client.connect()
        client.send(f"SUBSCRIBE\nid:1\ndestination:/topic/requests/{rid}\nreceipt:sub\n\n\0")
        assert client.next_frame(timeout=10).command == "RECEIPT"
        time.sleep(WINDOW * 1.3)  # a tick passes: the session is idle again
        body = json.dumps({"sql": BURST_SQL, "requestId": rid})
        client.send(f"SEND\ndestination:/app/query-execution/execute\n\n{body}\0")
        sent = time.monotonic()
        parser = FrameParser(commands=SERVER_COMMANDS)
        messages: list[tuple[float, list[dict[str, object]]]] = []  # arrival, events
        events: list[dict[str, object]] = []
        client.ws.settimeout(30)
        while not events or events[-1]["status"] == "progress":
            message = client.ws.recv()
            assert isinstance(message, str)  # STOMP frames arrive as text messages
            frames = parser.feed(message.encode())
            bodies = [json.loads(f.body) for f in frames if f.command == "MESSAGE"]
            if bodies:
                messages.append((time.monotonic(), bodies))
                events.extend(bodies)
    finally:
        client.ws.close()
    assert events[-1]["status"] == "success"
    assert [e["sequence"] for e in events] == list(range(1, len(events) + 1))
    assert len(events) > 200
    first_at, first = messages[0]
    assert first_at - sent < WINDOW / 2, "an idle session writes at once"
    assert len(first) < 10  # what was published before the session got its turn
    assert_paced([at for at, _ in messages], len(events))


async def test_sse_sends_the_first_event_at_once_and_batches_the_burst(
    paced_server: ServerProcess,
) -> None:
    rid = f"paced-{uuid.uuid4().hex[:12]}"
    arrivals: list[tuple[float, dict[str, object]]] = []
    async with httpx.AsyncClient(base_url=paced_server.url, timeout=30) as client:
        async with aconnect_sse(client, "GET", f"/sse/topic/requests/{rid}") as source:
            sent = time.monotonic()
            response = await client.post(
                "/api/query-execution/execute",
                json={"sql": BURST_SQL, "requestId": rid},
                headers={"Prefer": "respond-async"},
            )
            assert response.status_code == 202
            async for sse in source.aiter_sse():
                if sse.data:
                    arrivals.append((time.monotonic(), json.loads(sse.data)))
    events = [event for _, event in arrivals]
    assert events[-1]["status"] == "success"
    assert [e["sequence"] for e in events] == list(range(1, len(events) + 1))
    times = [at for at, _ in arrivals]
    assert times[0] - sent < WINDOW / 2, "an idle stream writes at once"
    first = [at for at in times if at - times[0] < 0.1]
    assert len(first) < 10, "the first write holds what was published before the stream's turn"
    assert_paced(times, len(events))
