"""The history in PostgreSQL, shared by every process of the service.

Put together from parts with one job each: the write loop (``writer.py``, with
``outage.py`` for when the database is away), the committed feed with its
watermark (``feed.py``), and notifications of other processes' events on the
shared listening connection (``listener.py``). Replays read the table, or what
is held during an outage.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Concatenate, ParamSpec, TypeVar

import asyncpg

from ..events import MAX_EVENT_ID, Destination, StatusEvent
from . import event_rows
from .availability import FAILURES, bounded, unavailable
from .feed import CommittedFeed
from .fence import Fence
from .history import Committed
from .listener import Listener
from .writer import Writer

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

# Of the pool's four connections, replays read on at most two at once.
_REPLAY_READERS = 2


class PostgresHistory:
    def __init__(
        self,
        pool: asyncpg.Pool,
        listener: Listener,
        fence: Fence,
        *,
        batch_size: int = 2000,
        outage_events: int = 100_000,
        timeout: float = 5.0,
    ) -> None:
        self.pool = pool
        self.listener = listener
        self.fence = fence
        self.timeout = timeout
        self.feed = CommittedFeed(self._events_between, watermark=0)
        self.writer = Writer(
            pool,
            self.feed,
            fence,
            batch_size=batch_size,
            outage_events=outage_events,
            timeout=timeout,
        )
        self._replays = asyncio.Semaphore(_REPLAY_READERS)

    async def start(self) -> None:
        async with self.pool.acquire() as connection:
            # New processes start live from here; older events are replayed on request.
            self.feed.watermark = await event_rows.last_id(connection)
        await self.listener.add(event_rows.CHANNEL, self._notified, on_reconnect=self._reconnected)
        self.writer.start()

    async def close(self) -> None:
        await self.writer.close()

    def store(self, event: StatusEvent) -> asyncio.Future[StatusEvent]:
        if event.request_id in self.fence:
            future: asyncio.Future[StatusEvent] = asyncio.get_running_loop().create_future()
            future.set_exception(self.fence.refusal(event.request_id))
            return future
        return self.writer.put(event)

    async def committed(self) -> Committed:
        return await self.feed.next()

    async def events_after(
        self, destination: Destination, after_id: int, *, limit: int
    ) -> list[StatusEvent]:
        outage = self.writer.outage
        holding = outage.holding
        if holding and after_id >= outage.base:
            return outage.held_after(after_id, destination.matches, limit=limit)
        # During an outage the table may hold other processes' events under the ids this
        # one numbers its held events with: those after the outage's base come from memory.
        upto = outage.base if holding else MAX_EVENT_ID
        # Pages share the pool with the writer and the catch-up, which deliver live events:
        # replays take no more than their share of its connections.
        async with self._replays:
            with unavailable():
                events = await self._read(
                    event_rows.events_of,
                    topic=destination.topic,
                    request_id=destination.request_id,
                    after=after_id,
                    upto=upto,
                    limit=limit,
                )
        if holding and len(events) < limit:
            events += outage.held_after(after_id, destination.matches, limit=limit - len(events))
        return events

    async def request_events(self, request_id: str) -> list[StatusEvent]:
        outage = self.writer.outage
        holding, base = outage.holding, outage.base
        with unavailable():
            events = await self._read(event_rows.events_of, request_id=request_id)
        if holding:
            stored = [event for event in events if event.event_id <= base]
            return stored + outage.held_after(0, lambda event: event.request_id == request_id)
        return events

    async def _read(
        self,
        read: Callable[Concatenate[asyncpg.Connection, P], Awaitable[T]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        # Bounded: a database that stops answering must not hold a reader (or the
        # delivery order lock a catch-up holds) for ever. TimeoutError is an OSError.
        async with bounded(self.pool, self.timeout) as connection:
            return await read(connection, *args, **kwargs)

    async def _events_between(self, after: int, upto: int) -> list[StatusEvent]:
        return await self._read(event_rows.events_between, after, upto)

    def _notified(self, payload: str) -> None:
        last = event_rows.notified_range(payload)
        if last is None:
            log.warning(
                "ignored a notification on %s that is no event range: %.80r",
                event_rows.CHANNEL,
                payload,
            )
            return
        asyncio.get_running_loop().create_task(self._catch_up(last))

    async def _catch_up(self, last: int) -> None:
        async with self.feed.order:
            if self.writer.outage.holding:
                return  # ids here run ahead of the database's; storing the held ones catches up
            try:
                self.writer.saw(await self.feed.catch_up(last))
            except FAILURES as error:
                log.warning("could not read events up to %d: %s", last, error)

    async def _reconnected(self) -> None:
        """Catch up with what was stored while the listener was away."""
        try:
            last = await self._read(event_rows.last_id)
        except FAILURES as error:  # the next notification catches up instead
            log.warning("history listener: could not read the newest eventId: %s", error)
            return
        await self._catch_up(last)
