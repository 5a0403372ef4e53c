"""Replays come from the history in pages: bounded memory, no gap, and nobody else waits."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest
from httpx_sse import aconnect_sse

from tests.servers import ServerProcess, TestDatabase, collect_sse, rss_kib, sibling_database
from tests.transports.stomp_clients import RawStomp, stomp_py

QUERIES = 600  # about 3,600 kept events, 18 pages of a replay
SUBSCRIPTIONS = 1000
RSS_BOUND_MIB = 100
TOPIC = "/topic/query-execution"


async def run_queries(url: str, count: int, prefix: str) -> list[str]:
    """``count`` small queries, eight at a time; their requestIds."""
    ids = [f"{prefix}-{number}" for number in range(count)]
    limit = asyncio.Semaphore(8)
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:

        async def run(rid: str) -> None:
            async with limit:
                response = await http.post(
                    "/api/query-execution/execute", json={"sql": "SELECT 1", "requestId": rid}
                )
                assert response.status_code == 200, response.text

        await asyncio.gather(*(run(rid) for rid in ids))
    return ids


@pytest.fixture(scope="module", name="history_url")
def fixture_history_url(database: TestDatabase) -> Iterator[str]:
    """A history of this module's own: what a replay must give is exactly what is in it."""
    with sibling_database(database) as url:
        yield url


@pytest.fixture(scope="module", name="replaying")
def fixture_replaying(
    start_server: Callable[..., ServerProcess], history_url: str
) -> ServerProcess:
    # Subscriptions per session raised past the 1,000 of the flood below, so that it is the
    # paging that bounds its memory, not the cap.
    server = start_server(
        QUART_APP_HISTORY_URL=history_url,
        QUART_APP_STOMP_MAX_SUBSCRIPTIONS=str(SUBSCRIPTIONS),
    )
    asyncio.run(run_queries(server.url, QUERIES, "kept"))
    return server


@pytest.fixture(name="history")
async def fixture_history(history_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(history_url)
    try:
        yield connection
    finally:
        await connection.close()


async def stored(history: asyncpg.Connection, after: int, upto: int) -> list[dict[str, Any]]:
    rows = await history.fetch(
        """
        SELECT body FROM quart_app.status_events
         WHERE topic = 'query-execution' AND event_id > $1 AND event_id <= $2
         ORDER BY event_id
        """,
        after,
        upto,
    )
    return [json.loads(row["body"]) for row in rows]


async def test_a_long_replay_meets_live_events_with_no_gap_or_duplicate(
    replaying: ServerProcess, history: asyncpg.Connection
) -> None:
    """Over 3,000 kept events, then live ones published while the pages are read."""
    last_kept = await history.fetchval("SELECT last_id FROM quart_app.event_ids")
    over_sse: list[dict[str, Any]] = []
    reading = asyncio.create_task(
        collect_sse(replaying.url, f"/sse{TOPIC}", over_sse, params={"lastEventId": "0"})
    )
    connection, collector = await asyncio.to_thread(stomp_py, replaying.port)
    try:
        connection.subscribe(TOPIC, id="all", headers={"last-event-id": "0"})
        live = await run_queries(replaying.url, 40, f"live-{time.monotonic_ns()}")
        # Eight run at a time, so any of them may be the last to finish: wait for them all.
        for rid in live:
            await asyncio.to_thread(collector.events_until_terminal, rid)
        deadline = time.monotonic() + 30
        while not set(live) <= {e["requestId"] for e in over_sse if e["status"] != "progress"}:
            assert time.monotonic() < deadline, "the SSE replay did not reach the live events"
            await asyncio.sleep(0.05)
    finally:
        connection.disconnect()
        reading.cancel()
    newest = await history.fetchval("SELECT last_id FROM quart_app.event_ids")
    expected = await stored(history, 0, newest)
    assert len(expected) > 3000 and expected[-1]["eventId"] > last_kept
    assert over_sse[: len(expected)] == expected
    assert [body for _, body in collector.messages][: len(expected)] == expected


def test_a_session_holds_at_most_so_many_subscriptions(server: ServerProcess) -> None:
    client = RawStomp(server.port)
    try:
        client.connect()
        client.send(
            "".join(f"SUBSCRIBE\nid:{n}\ndestination:{TOPIC}\n\n\0" for n in range(64))
            + "SUBSCRIBE\nid:last\ndestination:/topic/nl-to-sql\nreceipt:64\n\n\0"
        )
        error = client.next_frame()
        assert error.command == "ERROR" and error.headers["message"] == "too many subscriptions"
        assert error.headers["receipt-id"] == "64"
        assert "QUART_APP_STOMP_MAX_SUBSCRIPTIONS" in error.body.decode()
        assert client.closed
    finally:
        client.close()


async def live_latencies(url: str, requests: int) -> list[float]:
    """Seconds from each event's publication to its arrival, for ``requests`` small queries
    followed one after another over SSE."""
    latencies = []
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        for number in range(requests):
            rid = f"watch-{time.monotonic_ns()}-{number}"
            async with aconnect_sse(http, "GET", f"/sse/topic/requests/{rid}") as source:
                posted = asyncio.create_task(
                    http.post(
                        "/api/query-execution/execute", json={"sql": "SELECT 1", "requestId": rid}
                    )
                )
                async for sse in source.aiter_sse():
                    if sse.data:
                        arrived = datetime.now(UTC)
                        published = datetime.fromisoformat(json.loads(sse.data)["timestamp"])
                        latencies.append((arrived - published).total_seconds())
                assert (await posted).status_code == 200
    return latencies


async def test_a_thousand_replays_never_read_hold_bounded_memory_and_delay_nobody(
    replaying: ServerProcess,
) -> None:
    """One session subscribes 1,000 times with ``last-event-id:0`` and never reads its socket."""
    assert replaying.process is not None
    pid = replaying.process.pid
    baseline = await live_latencies(replaying.url, 20)  # also warms the paths measured
    rss_before = rss_kib(pid)
    flood = RawStomp(replaying.port, receive_buffer=4096)
    try:
        flood.connect()
        for first in range(0, SUBSCRIPTIONS, 100):  # at most 100 frames to a message
            flood.send(
                "".join(
                    f"SUBSCRIBE\nid:s{n}\ndestination:{TOPIC}\nlast-event-id:0\n\n\0"
                    for n in range(first, first + 100)
                )
            )
        peak = rss_before
        for _ in range(20):  # the writes fill the socket's buffers, then wait
            await asyncio.sleep(0.1)
            peak = max(peak, rss_kib(pid))
        during = await live_latencies(replaying.url, 20)
        peak = max(peak, rss_kib(pid))
        grown_mib = (peak - rss_before) / 1024
        print(
            f"\nRSS {rss_before / 1024:.1f} MiB before, {peak / 1024:.1f} MiB at most with "
            f"{SUBSCRIPTIONS} replays unread; live latency ms p50/max: before "
            f"{sorted(baseline)[len(baseline) // 2] * 1000:.1f}/{max(baseline) * 1000:.1f}, "
            f"during {sorted(during)[len(during) // 2] * 1000:.1f}/{max(during) * 1000:.1f}"
        )
        assert grown_mib < RSS_BOUND_MIB, grown_mib
        assert max(during) < 2, during  # a generous bound; docs/reliability.md has the figures

        # What was written meanwhile is the replay, in order, from the first kept event.
        frames = flood.frames(timeout=5, limit=50)
        assert {frame.command for frame in frames} == {"MESSAGE"}
        assert {frame.headers["subscription"] for frame in frames} == {"s0"}
        ids = [int(frame.headers["message-id"]) for frame in frames]
        assert ids == sorted(ids) and ids[0] == 1
    finally:
        flood.close()
