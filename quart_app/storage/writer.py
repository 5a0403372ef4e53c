"""The write loop: events queued in publish order, written in numbered batches.

Each batch is one transaction (``event_rows.py``); once committed, its events
go to the feed from memory. When the database cannot take a batch, the loop
holds events instead (``outage.py``), in one of the states of ``State``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections import deque

import asyncpg

from ..events import StatusEvent
from . import event_rows
from .availability import FAILURES, bounded
from .feed import CommittedFeed
from .fence import Fence
from .outage import HistoryUnavailable, Key, Outage, State, StoredRound, key

log = logging.getLogger(__name__)

Pending = tuple[StatusEvent, "asyncio.Future[StatusEvent]"]


class Writer:
    def __init__(
        self,
        pool: asyncpg.Pool,
        feed: CommittedFeed,
        fence: Fence,
        *,
        batch_size: int,
        outage_events: int,
        timeout: float,
    ) -> None:
        self.pool = pool
        self.feed = feed
        self.fence = fence
        self.batch_size = batch_size
        self.timeout = timeout
        self.outage = Outage(capacity=outage_events)
        self._pending: deque[Pending] = deque()
        self._wakeup = asyncio.Event()
        # The batch being written, and each of its events once a catch-up handed it on.
        self._in_flight: dict[Key, StatusEvent | None] = {}
        self._loop: asyncio.Task[None] | None = None
        self._storing: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._loop = asyncio.create_task(self._write_loop(), name="history writer")

    def put(self, event: StatusEvent) -> asyncio.Future[StatusEvent]:
        future: asyncio.Future[StatusEvent] = asyncio.get_running_loop().create_future()
        self._pending.append((event, future))
        self._wakeup.set()
        return future

    def saw(self, events: list[StatusEvent]) -> None:
        """A catch-up read these: any of the batch in flight among them are committed."""
        if self._in_flight:
            for event in events:
                if key(event) in self._in_flight:
                    self._in_flight[key(event)] = event

    async def close(self) -> None:
        if self._loop is not None:
            # Let queued events reach the database before the pool goes.
            for _ in range(50):
                if not self._pending:
                    break
                await asyncio.sleep(0.02)
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
        if self._storing is not None:
            await asyncio.wait({self._storing}, timeout=self.timeout)
        if self.outage.state is State.HOLDING:
            self.outage.state = State.STORING
            await self._store_held()  # one last try
        if self.outage.holding:
            log.error(
                "stopping with %d events the history database never stored", len(self.outage.held)
            )

    async def _write_loop(self) -> None:
        while True:
            if not self._pending:
                await self._wait()
            self._wakeup.clear()
            if self.outage.state is State.WRITING:
                await self._write_pending()
            if self.outage.holding:
                await self._hold(self._take(len(self._pending)))
                # Stored beside this loop, so that a database that takes long to answer
                # holds up storing only, not delivery.
                if self.outage.state is State.HOLDING and time.monotonic() >= self.outage.retry_at:
                    self.outage.state = State.STORING
                    self._storing = asyncio.create_task(self._store_held(), name="history catch-up")

    async def _wait(self) -> None:
        """For the next event, or while holding, for the next try to store what is held."""
        wait = None
        if self.outage.state is State.HOLDING:
            wait = max(0.0, self.outage.retry_at - time.monotonic())
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait):
                await self._wakeup.wait()

    def _take(self, count: int) -> list[Pending]:
        """The next ``count`` queued events, but those of requests ended elsewhere meanwhile
        (refused: nothing may follow their end, however the outage and the fence interleave)."""
        taken = []
        for event, future in (
            self._pending.popleft() for _ in range(min(count, len(self._pending)))
        ):
            if event.request_id in self.fence:
                future.set_exception(self.fence.refusal(event.request_id))
            else:
                taken.append((event, future))
        return taken

    async def _write_pending(self) -> None:
        while self._pending:
            batch = self._take(self.batch_size)
            if not batch:
                continue
            self._in_flight = {key(event): None for event, _ in batch}
            try:
                async with bounded(self.pool, self.timeout) as connection:
                    async with connection.transaction():
                        # The counter row's lock orders the commits: see event_rows.py.
                        events = await event_rows.number_and_insert(
                            connection, [e for e, _ in batch]
                        )
            except FAILURES as error:
                if await self._lost_answer(batch, error):
                    continue
                await self._hold(batch)
                return
            self._in_flight = {}
            await self.feed.commit(events)
            _resolve(batch, events)

    async def _lost_answer(self, batch: list[Pending], error: Exception) -> bool:
        """Whether a failed write had been committed after all (then its futures are set);
        if not, the outage begins."""
        async with self.feed.order:
            # Our own NOTIFY may have handed the events on already: then they are stored.
            committed = [self._in_flight.get(key(event)) for event, _ in batch]
            self._in_flight = {}
            if None in committed:
                self.outage.begin(base=self.feed.watermark)
                log.error(
                    "the history database cannot store events (%s); delivering them from "
                    "memory and storing them once it is back",
                    error,
                )
                return False
        log.warning("a history write lost its answer (%s), but it had been committed", error)
        _resolve(batch, [event for event in committed if event is not None])
        return True

    async def _hold(self, batch: list[Pending]) -> None:
        """Number, hand on and keep events the history database cannot take now."""
        if not batch:
            return
        async with self.feed.order:
            if not self.outage.holding:
                # It ended while this waited for the lock: these go the usual way (where
                # those of requests it found ended elsewhere are refused).
                self._pending.extendleft(reversed(batch))
                self._wakeup.set()
                return
            batch, refused = batch[: self.outage.room], batch[self.outage.room :]
            first = self.feed.watermark + 1
            events = [
                dataclasses.replace(event, event_id=first + n) for n, (event, _) in enumerate(batch)
            ]
            self.outage.hold(events)
            self.feed.hand_on(events)
        if refused:
            self._refuse(refused)
        _resolve(batch, events)

    def _refuse(self, refused: list[Pending]) -> None:
        outage = self.outage
        if not outage.refused:
            log.error(
                "%d events are held for the history database: further events are dropped",
                len(outage.held),
            )
        outage.refused += len(refused)
        for _, future in refused:
            future.set_exception(
                HistoryUnavailable(
                    f"the history database is unavailable and {outage.capacity} events "
                    "are held for it already"
                )
            )

    async def _store_held(self) -> None:
        """Store what is held, in rounds until nothing is; then the outage is over."""
        outage = self.outage
        try:
            while outage.holding:
                count = len(outage.held)
                try:
                    async with bounded(self.pool, self.timeout) as connection:
                        async with connection.transaction():
                            stored = await outage.store_held(connection, count)
                except FAILURES as error:
                    outage.retry_later()
                    log.warning(
                        "the history database is still unavailable (%s); %d events held, "
                        "next try in %.1f s",
                        error or "no answer",
                        len(outage.held),
                        outage.delay,
                    )
                    self._wakeup.set()  # the write loop waits for the new retry time
                    return
                await self._stored(count, stored)
        finally:
            self._storing = None
            if outage.state is State.STORING:  # cut short: the write loop tries again
                outage.state = State.HOLDING

    async def _stored(self, count: int, stored: StoredRound) -> None:
        outage = self.outage
        del outage.held[:count]
        outage.stored += len(stored.stored)
        if stored.fenced:
            self.fence.end(stored.fenced)
        theirs = [
            event
            for event in stored.since
            if key(event) not in outage.ours and event.event_id > outage.theirs_upto
        ]
        if theirs:
            await self._hand_on_theirs(theirs)
        async with self.feed.order:
            if stored.stored:
                self.feed.watermark = max(self.feed.watermark, stored.stored[-1].event_id)
            if not outage.held:  # nothing was held meanwhile: the outage is over
                outage.state = State.WRITING
                log.warning(
                    "the history database is back after %.1f s: %d held events stored%s",
                    time.monotonic() - outage.since,
                    outage.stored,
                    f", {outage.refused} dropped" if outage.refused else "",
                )

    async def _hand_on_theirs(self, theirs: list[StatusEvent]) -> None:
        """Events other processes stored during the outage, after which ours were stored."""
        async with self.feed.order:
            missed = sum(1 for event in theirs if event.event_id <= self.feed.watermark)
            # The end of a request that the other process ended, taking this one for
            # gone: its subscribers here must see it, whatever eventIds they saw.
            ends = [e for e in theirs if e.final and e.request_id in self.fence]
            self.feed.hand_on([e for e in theirs if e not in ends], advance=False)
            self.feed.hand_on(ends, late=True)
            self.outage.theirs_upto = theirs[-1].event_id
        log.warning(
            "other processes stored %d events during the outage; the events held here were "
            "stored after them under new eventIds, and live subscribers here missed %d of "
            "theirs (kept for replay)",
            len(theirs),
            missed,
        )


def _resolve(batch: list[Pending], events: list[StatusEvent]) -> None:
    for (_, future), event in zip(batch, events, strict=True):
        if not future.done():
            future.set_result(event)
