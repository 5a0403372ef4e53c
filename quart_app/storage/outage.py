"""Keeping events through an outage of the history database.

A write that fails (the database stopped, the network gone, a failover under
way), or gets no answer within ``timeout``, starts an outage. That batch, and
every event published after it, is then numbered in the process, continuing
from the last eventId it delivered, and delivered to its subscribers at once.
The events are held in memory (at most ``outage_events``) while a task beside
the writer retries with a growing delay, so that a database that hangs holds up
storing, not delivery. A try that succeeds stores the held events in one
transaction, holding the counter row's lock, under the eventIds their
subscribers saw, so that a client resuming from one of them misses nothing.
Only if another process stored events meanwhile (the counter has passed the
first held id) do the held events go after those, under new ids: each
process's subscribers saw a different order during the outage, and one eventId
cannot resume both. That case is logged with what it cost.

A write cut off after its COMMIT was sent may have been stored after all. If
the process's own NOTIFY delivered its events before the write gave up, they
count as stored and no outage begins (``PostgresHistory._write_pending``);
otherwise they are held, and on storing, those already in the table (same
requestId and sequence) are not stored again.
A request that another process ended meanwhile, having taken this one for gone
(``services/orphans.py``), keeps that end as its last event: what is held for
it here is dropped, and its subscribers here get that end although they saw
later eventIds.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import asyncpg

from ..events import EventDraft, StatusEvent, event_from_json
from .availability import FAILURES, bounded
from .memory import Deliver

log = logging.getLogger(__name__)

Pending = tuple[EventDraft, "asyncio.Future[StatusEvent]"]


# Tells an event held here from one another process published: the sequence alone does
# not, when that process ended a request of this one (it numbers after what was stored).
Key = tuple[str, int, str]


def key(event: EventDraft | StatusEvent) -> Key:
    return (event.request_id, event.sequence, event.timestamp)


class HistoryUnavailable(Exception):
    """The history database could not store an event, and no more can be held for it."""


@dataclass(slots=True)
class Outage:
    """Events delivered while the history database could not store them, held to store later."""

    base: int  # the last eventId delivered before the outage began
    since: float = field(default_factory=time.monotonic)
    held: list[tuple[EventDraft, StatusEvent]] = field(default_factory=list)
    ours: set[Key] = field(default_factory=set)  # of every event held
    stored: int = 0
    theirs_upto: int = 0  # the newest event of other processes delivered since it ended
    delay: float = 0.5
    retry_at: float = 0.0
    refused: int = 0

    def __post_init__(self) -> None:
        self.retry_at = self.since + self.delay
        self.theirs_upto = self.base

    def held_after(
        self, after_id: int, matches: Callable[[StatusEvent], bool], *, limit: int | None = None
    ) -> list[StatusEvent]:
        """The held events after ``after_id`` that ``matches`` accepts, oldest first (the
        first ``limit`` of them)."""
        found = (event for _, event in self.held if event.event_id > after_id and matches(event))
        return list(itertools.islice(found, limit))


class KeepingThroughOutages:
    """The part of ``PostgresHistory`` that holds, delivers and later stores events
    while its database is away; it shares the history's state, declared here."""

    pool: asyncpg.Pool | None
    timeout: float
    outage_events: int
    outage: Outage | None
    _deliver: Deliver
    _delivered: int
    _order: asyncio.Lock
    _pending: deque[Pending]
    _wakeup: asyncio.Event
    _storing: asyncio.Task[None] | None
    _insert: Callable[[asyncpg.Connection, Sequence[StatusEvent]], Awaitable[None]]
    end_elsewhere: Callable[[set[str]], None]
    ended_elsewhere: set[str]
    deliver_late: Deliver

    async def _hold(self, batch: list[Pending]) -> None:
        """Number, deliver and keep events the history database cannot take now."""
        if not batch:
            return
        outage = self.outage
        async with self._order:
            if outage is None or self.outage is not outage:
                # It ended while this waited for the lock: these go the usual way.
                self._pending.extendleft(reversed(batch))
                self._wakeup.set()
                return
            room = max(0, self.outage_events - len(outage.held))
            refused, batch = batch[room:], batch[:room]
            if batch:
                first = self._delivered + 1
                events = [draft.with_id(first + offset) for offset, (draft, _) in enumerate(batch)]
                outage.held.extend(zip((draft for draft, _ in batch), events, strict=True))
                outage.ours.update(map(key, events))
                self._deliver(events)
                self._delivered = events[-1].event_id
        if refused:
            if not outage.refused:
                log.error(
                    "%d events are held for the history database: further events are dropped",
                    len(outage.held),
                )
            outage.refused += len(refused)
            for _, future in refused:
                future.set_exception(
                    HistoryUnavailable(
                        f"the history database is unavailable and {self.outage_events} events "
                        "are held for it already"
                    )
                )
        for (_, future), event in zip(batch, events if batch else [], strict=True):
            if not future.done():
                future.set_result(event)

    async def _store_held(self) -> None:
        """Store what is held, in rounds until nothing is; then the outage is over."""
        try:
            while (outage := self.outage) is not None:
                count = len(outage.held)
                assert self.pool is not None
                try:
                    async with (
                        bounded(self.pool, self.timeout) as connection,
                        connection.transaction(),
                    ):
                        stored, since, fenced = await self._store_held_in(connection, outage, count)
                except FAILURES as error:
                    outage.delay = min(outage.delay * 2, 10.0)
                    outage.retry_at = time.monotonic() + outage.delay
                    log.warning(
                        "the history database is still unavailable (%s); %d events held, "
                        "next try in %.1f s",
                        error or "no answer",
                        len(outage.held),
                        outage.delay,
                    )
                    self._wakeup.set()  # the write loop waits for the new retry time
                    return
                del outage.held[:count]
                outage.stored += len(stored)
                if fenced:
                    self.end_elsewhere(fenced)
                theirs = [
                    event
                    for event in since
                    if key(event) not in outage.ours and event.event_id > outage.theirs_upto
                ]
                if theirs:
                    await self._deliver_theirs(outage, theirs)
                if stored:
                    async with self._order:
                        self._delivered = max(self._delivered, stored[-1].event_id)
                if not outage.held:  # nothing was held meanwhile: the outage is over
                    self.outage = None
                    log.warning(
                        "the history database is back after %.1f s: %d held events stored%s",
                        time.monotonic() - outage.since,
                        outage.stored,
                        f", {outage.refused} dropped" if outage.refused else "",
                    )
        finally:
            self._storing = None

    async def _deliver_theirs(self, outage: Outage, theirs: list[StatusEvent]) -> None:
        """Events other processes stored during the outage, after which ours were stored."""
        async with self._order:
            missed = sum(1 for event in theirs if event.event_id <= self._delivered)
            # The end of a request that the other process ended, taking this one for
            # gone: its subscribers here must see it, whatever eventIds they saw.
            ends = [e for e in theirs if e.final and e.request_id in self.ended_elsewhere]
            self._deliver([event for event in theirs if event not in ends])
            self.deliver_late(ends)
            outage.theirs_upto = theirs[-1].event_id
        log.warning(
            "other processes stored %d events during the outage; the events held here were "
            "stored after them under new eventIds, and live subscribers here missed %d of "
            "theirs (kept for replay)",
            len(theirs),
            missed,
        )

    async def _store_held_in(
        self, connection: asyncpg.Connection, outage: Outage, count: int
    ) -> tuple[list[StatusEvent], list[StatusEvent], set[str]]:
        """Store ``outage.held[:count]``.

        Returns the events as stored, every event stored since the outage began, and the
        requests that another process ended meanwhile, whose held events were not stored.
        """
        last = await connection.fetchval("SELECT last_id FROM quart_app.event_ids FOR UPDATE")
        since = [
            event_from_json(row["body"], final=row["final"])
            for row in await connection.fetch(
                """
                SELECT body, final FROM quart_app.status_events
                 WHERE event_id > $1 ORDER BY event_id
                """,
                outage.base,
            )
        ]
        # A write cut off at its commit may have been stored after all: store nothing twice.
        done = {(event.request_id, event.sequence) for event in since}
        # A request another process ended meanwhile (it took this one for gone:
        # services/orphans.py) has had its last event: nothing may follow it.
        ended = {
            event.request_id for event in since if event.final and key(event) not in outage.ours
        }
        todo = []
        fenced: set[str] = set()
        already = 0
        for draft, event in outage.held[:count]:
            if draft.request_id in ended:
                fenced.add(draft.request_id)
            elif (draft.request_id, draft.sequence) in done:
                already += 1
            else:
                todo.append((draft, event))
        if already:
            log.warning(
                "%d held events had been stored already, by a write whose commit went through "
                "though its answer never came; they are not stored twice",
                already,
            )
        if not todo:
            return [], since, fenced
        if last < todo[0][1].event_id:
            events = [event for _, event in todo]  # the eventIds subscribers saw
        else:
            events = [draft.with_id(last + 1 + offset) for offset, (draft, _) in enumerate(todo)]
        await self._insert(connection, events)
        await connection.execute("UPDATE quart_app.event_ids SET last_id = $1", events[-1].event_id)
        return events, since, fenced
