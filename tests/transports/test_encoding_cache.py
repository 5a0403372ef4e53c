"""The transports' framing cache: once per event, by identity, bounded."""

from __future__ import annotations

import pytest

from quart_app.events import StatusEvent
from quart_app.transports.encoding_cache import EncodingCache


def event(event_id: int, message: str = "received") -> StatusEvent:
    return StatusEvent(
        event_id=event_id,
        request_id="r-1",
        topic="query-execution",
        status="progress",
        stage="received",
        message=message,
        progress=0,
        sequence=1,
        timestamp="2026-11-25T18:40:00.123Z",
    )


def counting_cache(size: int = 8) -> tuple[EncodingCache[str], list[int]]:
    calls: list[int] = []

    def encode(event: StatusEvent) -> str:
        calls.append(event.event_id)
        return f"{event.event_id}:{event.json}"

    return EncodingCache(encode, size=size), calls


def test_an_event_is_framed_once_for_all_its_subscribers() -> None:
    cache, calls = counting_cache()
    first = event(1)
    assert {cache.of(first) for _ in range(1000)} == {f"1:{first.json}"}
    assert calls == [1]


def test_equal_events_and_events_sharing_an_id_keep_their_own_bytes() -> None:
    cache, calls = counting_cache()
    one, same, other = event(7), event(7), event(7, message="another")
    assert one == same and one is not same
    assert cache.of(one) == f"7:{one.json}"
    assert cache.of(other) == f"7:{other.json}"
    assert cache.of(same) == f"7:{same.json}"
    assert calls == [7, 7, 7]


def test_only_the_last_events_are_kept() -> None:
    cache, calls = counting_cache(size=4)
    events = [event(n) for n in range(1, 7)]
    for each in events:
        cache.of(each)
    cache.of(events[-1])
    cache.of(events[2])
    cache.of(events[0])  # its slot went to a later event: framed again
    assert calls == [1, 2, 3, 4, 5, 6, 1]


@pytest.mark.parametrize("size", [0, 3, 1000])
def test_the_size_is_a_power_of_two(size: int) -> None:
    with pytest.raises(ValueError, match="power of two"):
        EncodingCache(str, size=size)


def test_a_reused_object_id_never_returns_another_events_bytes() -> None:
    cache, _ = counting_cache(size=1)
    for n in range(1, 200):  # each event dropped once evicted: CPython reuses its memory
        fresh = event(n, message=f"m{n}")
        assert cache.of(fresh) == f"{n}:{fresh.json}"
        del fresh
