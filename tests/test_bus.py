from __future__ import annotations

import asyncio

import pytest

from quart_app.bus import Destination, EventBus, RequestEvents, SlowConsumer
from quart_app.storage.memory import MemoryHistory


async def bus(history: int = 100, queue: int = 10) -> EventBus:
    started = EventBus(MemoryHistory(history), queue_size=queue)
    await started.start()
    return started


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/topic/nl-to-sql", Destination(topic="nl-to-sql")),
        ("/topic/query-execution", Destination(topic="query-execution")),
        ("/topic/requests/a.b:c-d_1", Destination(request_id="a.b:c-d_1")),
        ("/topic/requests/", None),
        ("/topic/requests/a/b", None),
        ("/topic/other", None),
        ("/queue/nl-to-sql", None),
        ("/topic/requests/" + "x" * 65, None),
    ],
)
def test_destinations(path: str, expected: Destination | None) -> None:
    assert Destination.parse(path) == expected


async def test_sequence_progress_and_terminal_rules() -> None:
    events = RequestEvents(await bus(), "r1")
    first = await (await events.progress("query-execution", "received", "a", 10))
    second = await (await events.progress("query-execution", "planning", "b", 5))
    last = await events.finish("query-execution", "error", "c")
    assert [first.sequence, second.sequence, last.sequence] == [1, 2, 3]
    assert second.progress == 10  # never decreases
    assert last.progress == 10 and last.stage == "failed" and last.final
    with pytest.raises(RuntimeError):
        await events.progress("query-execution", "fetching", "late")


async def test_fan_out_by_destination_and_replay_without_gap_or_duplicate() -> None:
    b = await bus()
    a_events, b_events = RequestEvents(b, "a"), RequestEvents(b, "b")
    await a_events.progress("query-execution", "received", "1")
    await b_events.progress("nl-to-sql", "received", "2")
    async with (
        b.subscribe(Destination(topic="query-execution"), after_id=0) as topic,
        b.subscribe(Destination(request_id="b"), after_id=0) as request,
        b.subscribe(Destination(request_id="a")) as live_only,
    ):
        await a_events.progress("query-execution", "validating", "3")
        await b_events.progress("nl-to-sql", "introspecting-schema", "4")
        assert [e.event_id for e in drain(topic)] == [1, 3]
        assert [e.event_id for e in drain(request)] == [2, 4]
        assert [e.event_id for e in drain(live_only)] == [3]
    assert b.subscriber_count == 0


async def test_history_is_bounded_and_keeps_requests_consistent() -> None:
    b = await bus(history=3)
    for request_id in "abcd":
        await RequestEvents(b, request_id).progress("query-execution", "received", request_id)
    assert await b.history.request_events("a") == []
    assert [
        e.request_id for e in await b.history.events_after(Destination(topic="query-execution"), 0)
    ] == list("bcd")


async def test_slow_subscriber_is_cut_off_and_others_get_everything() -> None:
    b = await bus(queue=5)
    cut: list[object] = []
    events = RequestEvents(b, "r")
    async with (
        b.subscribe(Destination(topic="query-execution"), on_overflow=cut.append) as slow,
        b.subscribe(Destination(topic="query-execution")) as fast,
    ):
        received = []
        for number in range(20):
            await events.progress("query-execution", "fetching", str(number))
            received.extend(drain(fast))
        assert len(received) == 20
        assert cut == [slow] and slow.overflowed
        with pytest.raises(SlowConsumer):
            await slow.get()
        assert b.subscriber_count == 1


async def test_get_times_out_with_none() -> None:
    async with (await bus()).subscribe(Destination(topic="nl-to-sql")) as subscription:
        assert await subscription.get(timeout=0.01) is None


async def test_replay_buffer_is_not_counted_against_the_queue() -> None:
    b = await bus(history=100, queue=5)
    events = RequestEvents(b, "r")
    for _ in range(50):
        await events.progress("query-execution", "fetching", "x")
    async with b.subscribe(Destination(request_id="r"), after_id=0) as subscription:
        await events.progress("query-execution", "fetching", "live")
        assert not subscription.overflowed
        assert len(drain(subscription)) == 51
        await asyncio.sleep(0)


def drain(subscription):  # type: ignore[no-untyped-def]
    found = []
    while (event := subscription.pop()) is not None:
        found.append(event)
    return found
