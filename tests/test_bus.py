from __future__ import annotations

import asyncio
import itertools

import pytest

from quart_app.bus import Destination, EventBus, RequestEvents, SlowConsumer, Subscription
from quart_app.events import StatusEvent
from quart_app.replay_rate import ReplayRate
from quart_app.storage.memory import MemoryHistory


async def bus(history: int = 100, queue: int = 10, page: int = 200) -> EventBus:
    started = EventBus(MemoryHistory(history), queue_size=queue, replay_page=page)
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
    first = await events.progress("query-execution", "received", "a", 10)
    second = await events.progress("query-execution", "planning", "b", 5)
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
        assert [e.event_id for e in await drain(topic)] == [1, 3]
        assert [e.event_id for e in await drain(request)] == [2, 4]
        assert [e.event_id for e in await drain(live_only)] == [3]
    assert b.subscriber_count == 0


async def test_history_is_bounded_and_keeps_requests_consistent() -> None:
    b = await bus(history=3)
    for request_id in "abcd":
        await RequestEvents(b, request_id).progress("query-execution", "received", request_id)
    assert await b.history.request_events("a") == []
    topic = Destination(topic="query-execution")
    assert [e.request_id for e in await b.history.events_after(topic, 0, limit=10)] == list("bcd")


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
            received.extend(await drain(fast))
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
        assert len(await drain(subscription)) == 51
        await asyncio.sleep(0)


async def test_memory_history_pages_by_event_id() -> None:
    b = await bus(history=100)
    for number in range(30):
        topic = "nl-to-sql" if number % 3 == 0 else "query-execution"
        await RequestEvents(b, f"r{number % 2}").progress(topic, "received", str(number))
    execution = Destination(topic="query-execution")
    pages, after = [], 0
    while page := await b.history.events_after(execution, after, limit=4):
        assert len(page) <= 4
        pages.append([event.event_id for event in page])
        after = page[-1].event_id
    assert list(itertools.chain(*pages)) == [n + 1 for n in range(30) if n % 3 != 0]
    assert [len(page) for page in pages] == [4, 4, 4, 4, 4]
    first = await b.history.events_after(Destination(request_id="r1"), 10, limit=3)
    assert [event.event_id for event in first] == [12, 14, 16]


async def test_a_replay_reads_one_page_at_a_time_as_it_is_drained() -> None:
    b = await bus(history=1000, page=10)
    events = RequestEvents(b, "r")
    for _ in range(95):
        await events.progress("query-execution", "fetching", "kept")
    reads: list[int] = []
    events_after = b.history.events_after

    async def counted(destination: Destination, after_id: int, *, limit: int) -> list[StatusEvent]:
        reads.append(after_id)
        return await events_after(destination, after_id, limit=limit)

    b.history.events_after = counted  # type: ignore[method-assign]
    async with b.subscribe(Destination(request_id="r"), after_id=0) as subscription:
        assert reads == [] and subscription.pop() is None  # nothing is read on subscribing
        await subscription.fill()
        await subscription.fill()  # a page is pending: nothing more is read
        assert reads == [0]
        received = [event.event_id for event in await drain(subscription)]
    assert received == list(range(1, 96))
    assert reads == list(range(0, 91, 10))  # 10 pages, the last one short


@pytest.mark.parametrize("live_per_page", [0, 2, 3])
async def test_replay_meets_live_events_without_gap_or_duplicate(live_per_page: int) -> None:
    """Live events published between pages, more of them in all than the buffer holds."""
    b = await bus(history=1000, queue=5, page=4)
    events = RequestEvents(b, "r")
    for _ in range(30):
        await events.progress("query-execution", "fetching", "kept")
    received = []
    async with b.subscribe(Destination(topic="query-execution"), after_id=3) as subscription:
        for _ in range(6):
            await events.progress("query-execution", "fetching", "before the first page")
        while subscription.replaying:
            await subscription.fill()
            while (event := subscription.pop()) is not None:
                received.append(event.event_id)
            for _ in range(live_per_page if subscription.replaying else 0):
                await events.progress("query-execution", "fetching", "during the replay")
        assert not subscription.overflowed
        last = await events.progress("query-execution", "fetching", "live")
        received += [event.event_id for event in await drain(subscription)]
    assert received == list(range(4, last.event_id + 1))


async def test_live_events_dropped_while_a_page_is_read_come_from_the_next_page() -> None:
    """A page read that suspends while more live events come than the buffer holds."""
    b = await bus(history=1000, queue=3, page=50)
    events = RequestEvents(b, "r")
    for _ in range(10):
        await events.progress("query-execution", "fetching", "kept")
    events_after = b.history.events_after
    during = [8]

    async def slow(destination: Destination, after_id: int, *, limit: int) -> list[StatusEvent]:
        page = await events_after(destination, after_id, limit=limit)
        for _ in range(during.pop() if during else 0):  # once: after the read, before it returns
            await events.progress("query-execution", "fetching", "while reading")
        return page

    b.history.events_after = slow  # type: ignore[method-assign]
    async with b.subscribe(Destination(request_id="r"), after_id=0) as subscription:
        await subscription.fill()
        assert subscription.replaying  # a short page, but events were dropped while it was read
        received = [event.event_id for event in await drain(subscription)]
        assert not subscription.replaying and not subscription.overflowed
    assert received == list(range(1, 19))


async def drain(subscription: Subscription) -> list[StatusEvent]:
    """What the subscription has now, reading what is left of a replay."""
    found = []
    while True:
        await subscription.fill()
        popped = False
        while (event := subscription.pop()) is not None:
            found.append(event)
            popped = True
        if not popped and not subscription.replaying:
            return found


async def test_replay_rate_spaces_pages_and_serves_them_in_turn() -> None:
    rate = ReplayRate(2000)  # a page of 100 every 50 ms
    loop = asyncio.get_running_loop()
    started = loop.time()
    order: list[tuple[str, float]] = []

    async def replay(name: str) -> None:
        for _ in range(3):
            await rate.take(100)
            order.append((name, loop.time() - started))

    await asyncio.gather(replay("a"), replay("b"))
    # a's first page is read at once, before b asks; from then on they take turns.
    assert [name for name, _ in order] == ["a", "a", "b", "a", "b", "b"]
    assert order[0][1] < 0.04  # alone and idle: at once
    assert all(later - earlier >= 0.045 for (_, earlier), (_, later) in itertools.pairwise(order))
    unbounded = ReplayRate(0)
    for _ in range(1000):
        await unbounded.take(100)


async def test_an_idle_subscriber_is_written_at_once_only_when_the_bus_is_quiet() -> None:
    """``Subscription.immediate`` takes an event as it is delivered, never ahead of one queued
    before it, and the bus offers none while its runs come closer than ``quiet_seconds``."""
    quiet = EventBus(MemoryHistory(100), queue_size=10, quiet_seconds=0.05)
    await quiet.start()
    events = RequestEvents(quiet, "r")
    written: list[int] = []
    accept = True

    def immediate(event: StatusEvent) -> bool:
        if accept:
            written.append(event.event_id)
        return accept

    async with quiet.subscribe(Destination(request_id="r")) as subscription:
        subscription.immediate = immediate
        first = await events.progress("query-execution", "received", "1")
        assert written == [first.event_id] and subscription.pending == 0
        second = await events.progress("query-execution", "planning", "2")  # right after
        assert written == [first.event_id] and subscription.pop() == second
        await asyncio.sleep(0.06)
        accept = False  # the stream cannot take it now: queued, then the next one after it
        third = await events.progress("query-execution", "validating", "3")
        accept = True
        await asyncio.sleep(0.06)
        fourth = await events.progress("query-execution", "fetching", "4")
        assert written == [first.event_id]
        assert [subscription.pop(), subscription.pop()] == [third, fourth]
        await asyncio.sleep(0.06)
        fifth = await events.progress("query-execution", "fetching", "5")
        assert written == [first.event_id, fifth.event_id] and subscription.pending == 0
