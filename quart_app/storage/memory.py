"""The history backend interface, and the in-memory backend (one process, bounded)."""

from __future__ import annotations

import asyncio
import bisect
import itertools
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from ..events import EventDraft, StatusEvent

if TYPE_CHECKING:
    from ..bus import Destination

Deliver = Callable[[Sequence[StatusEvent]], None]


class HistoryBackend(Protocol):
    """Gives events their eventIds, keeps them, and hands them to the bus in eventId order."""

    async def start(self, deliver: Deliver) -> None:
        """Begin; ``deliver`` fans events out, and is called in eventId order without gaps."""

    async def close(self) -> None: ...

    def store(self, draft: EventDraft) -> asyncio.Future[StatusEvent]:
        """Number and keep the event; the future is done once it is stored and delivered."""
        ...

    async def events_after(
        self, destination: Destination, after_id: int, *, limit: int
    ) -> list[StatusEvent]:
        """The first ``limit`` kept events for ``destination`` with eventId > ``after_id``,
        oldest first: a page of a replay, which reads the next one after the last of it."""
        ...

    async def request_events(self, request_id: str) -> list[StatusEvent]: ...


class MemoryHistory:
    """The newest ``size`` events, in memory; a request's events are kept or dropped in order."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._ids = itertools.count(1)
        self._deliver: Deliver = lambda events: None
        self._events: deque[StatusEvent] = deque()
        self._by_request: dict[str, deque[StatusEvent]] = {}

    async def start(self, deliver: Deliver) -> None:
        self._deliver = deliver

    async def close(self) -> None:
        pass

    def store(self, draft: EventDraft) -> asyncio.Future[StatusEvent]:
        # Synchronous, so eventIds are given and delivered in publish order.
        event = draft.with_id(next(self._ids))
        self._events.append(event)
        self._by_request.setdefault(event.request_id, deque()).append(event)
        while len(self._events) > self.size:
            oldest = self._events.popleft()
            of_request = self._by_request[oldest.request_id]
            of_request.popleft()  # events leave in publish order, so it is this one
            if not of_request:
                del self._by_request[oldest.request_id]
        self._deliver([event])
        future: asyncio.Future[StatusEvent] = asyncio.get_running_loop().create_future()
        future.set_result(event)
        return future

    async def events_after(
        self, destination: Destination, after_id: int, *, limit: int
    ) -> list[StatusEvent]:
        if destination.request_id is not None:
            source: deque[StatusEvent] = self._by_request.get(destination.request_id, deque())
        else:
            source = self._events
        start = bisect.bisect_right(source, after_id, key=_event_id)
        # islice skips the older events in C: microseconds for the default 10,000
        following = itertools.islice(source, start, None)
        return list(itertools.islice(filter(destination.matches, following), limit))

    async def request_events(self, request_id: str) -> list[StatusEvent]:
        return list(self._by_request.get(request_id, ()))


def _event_id(event: StatusEvent) -> int:
    return event.event_id
