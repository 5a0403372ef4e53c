"""The in-memory history: the newest events of one process, numbered as they are stored."""

from __future__ import annotations

import asyncio
import bisect
import dataclasses
import itertools
from collections import deque

from ..events import Destination, StatusEvent
from .history import Committed


class MemoryHistory:
    """The newest ``size`` events, in memory; a request's events are kept or dropped in order."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._ids = itertools.count(1)
        self._events: deque[StatusEvent] = deque()
        self._by_request: dict[str, deque[StatusEvent]] = {}
        # Stored events the bus has not taken yet: it takes them all at once.
        self._uncommitted: list[StatusEvent] = []
        self._stored = asyncio.Event()

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        pass

    def store(self, event: StatusEvent) -> asyncio.Future[StatusEvent]:
        # Synchronous, so eventIds are given and committed in publish order.
        event = dataclasses.replace(event, event_id=next(self._ids))
        self._events.append(event)
        self._by_request.setdefault(event.request_id, deque()).append(event)
        while len(self._events) > self.size:
            oldest = self._events.popleft()
            of_request = self._by_request[oldest.request_id]
            of_request.popleft()  # events leave in publish order, so it is this one
            if not of_request:
                del self._by_request[oldest.request_id]
        self._uncommitted.append(event)
        self._stored.set()
        future: asyncio.Future[StatusEvent] = asyncio.get_running_loop().create_future()
        future.set_result(event)
        return future

    async def committed(self) -> Committed:
        while not self._uncommitted:
            self._stored.clear()
            await self._stored.wait()
        events, self._uncommitted = self._uncommitted, []
        return Committed(events)

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
