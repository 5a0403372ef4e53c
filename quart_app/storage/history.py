"""Event history in PostgreSQL, shared by every process of the service.

Event ids and the outbox gap
----------------------------
Readers resume "after eventId N", so an event must never commit with an id
smaller than one a reader has already seen. Ids from a sequence would allow
exactly that: transaction A takes id 7, B takes id 8 and commits first, a
reader sees 8, then A commits 7 behind its back. Here ids come from a single
counter row, ``UPDATE quart_app.event_ids SET last_id = last_id + n``, in the
same transaction as the INSERT of those events. The row lock makes every other
writer wait until that transaction commits before it can take the next ids, so
transactions commit in id order: when any id N is visible, every id below N is
visible too. The lock is held only for one batched INSERT, so throughput comes
from batching, not from giving up the order.

The NOTIFY sent in the same transaction is delivered at commit, in commit
order, and carries only the id range; every process keeps a watermark (the last
id it delivered) and, on a notification or after its own commit, reads and
delivers everything between the watermark and the new id, in order. A process
therefore delivers the events of all processes in eventId order, with no gap,
and catches up by itself after its listening connection drops.

When the history database cannot be reached, delivery goes on from memory and
the events are stored later: see ``outage.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import asyncpg

from ..errors import EndedElsewhere
from ..events import MAX_EVENT_ID, EventDraft, StatusEvent, event_from_json
from .availability import FAILURES, bounded, unavailable
from .jobs import CANCEL_CHANNEL
from .memory import Deliver
from .migrations import migrate
from .outage import KeepingThroughOutages, Key, Outage, Pending, key
from .retention import Retention, prune

if TYPE_CHECKING:
    from ..bus import Destination

log = logging.getLogger(__name__)

CHANNEL = "quart_app_events"
_RANGE = re.compile(r"([0-9]{1,19}),([0-9]{1,19})")
_MAX_EVENT_ID = 2**63 - 1  # bigint
# Of the pool's four connections, replays read on at most two at once.
_REPLAY_READERS = 2


class PostgresHistory(KeepingThroughOutages):
    def __init__(
        self,
        url: str,
        *,
        batch_size: int = 2000,
        on_cancel: Callable[[str], object] | None = None,
        deliver_late: Deliver | None = None,
        retention: Retention | None = None,
        synchronous_commit: bool = False,
        outage_events: int = 100_000,
        timeout: float = 5.0,
    ) -> None:
        self.url = url
        self.outage_events = outage_events
        self.timeout = timeout
        self.synchronous_commit = synchronous_commit
        self.on_cancel = on_cancel
        self.deliver_late: Deliver = deliver_late or (lambda events: None)
        self.retention = retention
        self.batch_size = batch_size
        self.pool: asyncpg.Pool | None = None
        self._deliver: Deliver = lambda events: None
        self._pending: deque[Pending] = deque()
        self._wakeup = asyncio.Event()
        self._order = asyncio.Lock()  # delivery happens under it, in eventId order
        self._replays = asyncio.Semaphore(_REPLAY_READERS)
        self._delivered = 0
        self._writer: asyncio.Task[None] | None = None
        self._listener: asyncpg.Connection | None = None
        self._reconnecting: asyncio.Task[None] | None = None
        self._pruner: asyncio.Task[None] | None = None
        self._closing = False
        self.outage: Outage | None = None
        self._storing: asyncio.Task[None] | None = None
        # The batch being written, and each of its events once a catch-up delivered it.
        self._in_flight: dict[Key, StatusEvent | None] = {}
        # Requests of this process that another one ended while it could not be seen.
        self.ended_elsewhere: set[str] = set()

    async def start(self, deliver: Deliver) -> None:
        self._deliver = deliver
        # Without waiting for the WAL flush, a commit takes well under a millisecond
        # instead of an fsync: what a crash of PostgreSQL itself (not of this
        # process) can then lose is its last fraction of a second of events.
        settings = {"synchronous_commit": "on" if self.synchronous_commit else "off"}
        self.pool = await asyncpg.create_pool(
            self.url, min_size=1, max_size=4, timeout=10, server_settings=settings
        )
        async with self.pool.acquire() as connection:
            await migrate(connection)
            # New processes start live from here; older events are replayed on request.
            self._delivered = await connection.fetchval("SELECT last_id FROM quart_app.event_ids")
        await self._listen()
        self._writer = asyncio.create_task(self._write_loop(), name="history writer")
        if self.retention is not None:
            self._pruner = asyncio.create_task(
                self._prune_loop(self.retention), name="history pruner"
            )

    async def close(self) -> None:
        self._closing = True
        if self._writer is not None:
            # Let queued events reach the database before the pool goes.
            for _ in range(50):
                if not self._pending:
                    break
                await asyncio.sleep(0.02)
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
        if self._storing is not None:
            await asyncio.wait({self._storing}, timeout=self.timeout)
        if self.outage is not None and self._storing is None:
            await self._store_held()  # one last try
        if self.outage is not None:
            log.error(
                "stopping with %d events the history database never stored", len(self.outage.held)
            )
        for task in (self._reconnecting, self._pruner):
            if task is not None:
                task.cancel()
        if self._listener is not None and not self._listener.is_closed():
            await self._listener.close(timeout=self.timeout)  # then terminated
        if self.pool is not None:
            try:
                await asyncio.wait_for(self.pool.close(), self.timeout)
            except TimeoutError:
                self.pool.terminate()  # the database stopped answering: do not wait for it

    def store(self, draft: EventDraft) -> asyncio.Future[StatusEvent]:
        future: asyncio.Future[StatusEvent] = asyncio.get_running_loop().create_future()
        if draft.request_id in self.ended_elsewhere:
            future.set_exception(
                EndedElsewhere(
                    "another server process ended this request while it could not see this one",
                    request_id=draft.request_id,
                )
            )
            return future
        self._pending.append((draft, future))
        self._wakeup.set()
        return future

    async def events_after(
        self, destination: Destination, after_id: int, *, limit: int
    ) -> list[StatusEvent]:
        outage = self.outage
        if outage is not None and after_id >= outage.base:
            return outage.held_after(after_id, destination.matches, limit=limit)
        column, value = (
            ("request_id", destination.request_id)
            if destination.request_id
            else ("topic", destination.topic)
        )
        # During an outage the table may hold other processes' events under the ids this
        # one numbers its held events with: those after the outage's base come from memory.
        upto = outage.base if outage is not None else MAX_EVENT_ID
        # Pages share the pool with the writer and the catch-up, which deliver live events:
        # replays take no more than their share of its connections.
        async with self._replays:
            with unavailable():
                rows = await self._fetch(
                    f"""
                    SELECT body, final
                      FROM quart_app.status_events
                     WHERE {column} = $1 AND event_id > $2 AND event_id <= $3
                     ORDER BY event_id
                     LIMIT $4
                    """,
                    value,
                    after_id,
                    upto,
                    limit,
                )
        events = [event_from_json(row["body"], final=row["final"]) for row in rows]
        if outage is not None and len(events) < limit:
            events += outage.held_after(after_id, destination.matches, limit=limit - len(events))
        return events

    async def request_events(self, request_id: str) -> list[StatusEvent]:
        outage = self.outage
        with unavailable():
            rows = await self._fetch(
                """
                SELECT body, final
                  FROM quart_app.status_events
                 WHERE request_id = $1
                 ORDER BY event_id
                """,
                request_id,
            )
        events = [event_from_json(row["body"], final=row["final"]) for row in rows]
        if outage is not None:
            stored = [event for event in events if event.event_id <= outage.base]
            held = outage.held_after(0, lambda event: event.request_id == request_id)
            return stored + held
        return events

    async def _fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        assert self.pool is not None
        # Bounded: a database that stops answering must not hold a reader (or the
        # delivery order lock a catch-up holds) for ever. TimeoutError is an OSError.
        async with bounded(self.pool, self.timeout) as connection:
            rows: list[asyncpg.Record] = await connection.fetch(query, *args)
            return rows

    # Writing ----------------------------------------------------------------

    async def _write_loop(self) -> None:
        while True:
            if not self._pending:
                wait = None  # for the next event, or (in an outage) for the next try
                if self.outage is not None and self._storing is None:
                    wait = self.outage.retry_at - time.monotonic()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(None if wait is None else max(0.0, wait)):
                        await self._wakeup.wait()
            self._wakeup.clear()
            if self.outage is None:
                await self._write_pending()
            if self.outage is not None:
                await self._hold(self._take(len(self._pending)))
                # Stored beside this loop, so that a database that takes long to answer
                # holds up storing only, not delivery.
                if self._storing is None and time.monotonic() >= self.outage.retry_at:
                    self._storing = asyncio.create_task(self._store_held(), name="history catch-up")

    def _take(self, count: int) -> list[Pending]:
        return [self._pending.popleft() for _ in range(min(count, len(self._pending)))]

    async def _write_pending(self) -> None:
        while self._pending:
            batch = self._take(self.batch_size)
            self._in_flight = {key(draft): None for draft, _ in batch}
            try:
                events = await self._write([draft for draft, _ in batch])
            except FAILURES as error:
                async with self._order:
                    # The commit may have gone through with its answer lost, and our own
                    # NOTIFY delivered the events already: then they are stored, not held.
                    committed = [self._in_flight.get(key(draft)) for draft, _ in batch]
                    self._in_flight = {}
                    if None in committed:
                        self.outage = Outage(base=self._delivered)
                if self.outage is None:
                    log.warning(
                        "a history write lost its answer (%s), but it had been committed", error
                    )
                    for (_, future), stored in zip(batch, committed, strict=True):
                        if stored is not None and not future.done():
                            future.set_result(stored)
                    continue
                log.error(
                    "the history database cannot store events (%s); delivering them from "
                    "memory and storing them once it is back",
                    error,
                )
                await self._hold(batch)
                return
            self._in_flight = {}
            async with self._order:
                try:
                    await self._catch_up(events[0].event_id - 1)
                except FAILURES as error:
                    # Ours are stored: deliver them. Theirs stay kept for replay.
                    log.warning("could not read events before %d: %s", events[0].event_id, error)
                # Our own NOTIFY may have been handled first and delivered these already.
                fresh = [event for event in events if event.event_id > self._delivered]
                if fresh:
                    self._deliver(fresh)
                    self._delivered = fresh[-1].event_id
            for (_, future), event in zip(batch, events, strict=True):
                if not future.done():
                    future.set_result(event)

    async def _write(self, drafts: Sequence[EventDraft]) -> list[StatusEvent]:
        assert self.pool is not None
        async with (
            bounded(self.pool, self.timeout) as connection,
            connection.transaction(),
        ):
            # The counter row's lock orders the commits: see the module docstring.
            last = await connection.fetchval(
                "UPDATE quart_app.event_ids SET last_id = last_id + $1 RETURNING last_id",
                len(drafts),
            )
            first = last - len(drafts) + 1
            events = [draft.with_id(first + offset) for offset, draft in enumerate(drafts)]
            await self._insert(connection, events)
        return events

    @staticmethod
    async def _insert(connection: asyncpg.Connection, events: Sequence[StatusEvent]) -> None:
        await connection.execute(
            """
            INSERT INTO quart_app.status_events (event_id, request_id, topic, final, body)
            SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::boolean[], $5::text[])
            """,
            [event.event_id for event in events],
            [event.request_id for event in events],
            [event.topic for event in events],
            [event.final for event in events],
            [event.json for event in events],
        )
        first, last = events[0].event_id, events[-1].event_id
        await connection.execute("SELECT pg_notify($1, $2)", CHANNEL, f"{first},{last}")

    # Delivering what other processes stored ----------------------------------

    async def _catch_up(self, upto: int) -> None:
        """Deliver stored events after the watermark up to ``upto``; call with ``_order`` held."""
        if upto <= self._delivered:
            return
        rows = await self._fetch(
            """
            SELECT body, final
              FROM quart_app.status_events
             WHERE event_id > $1 AND event_id <= $2
             ORDER BY event_id
            """,
            self._delivered,
            upto,
        )
        events = [event_from_json(row["body"], final=row["final"]) for row in rows]
        if self._in_flight:
            for event in events:
                if key(event) in self._in_flight:
                    self._in_flight[key(event)] = event
        if events:
            self._deliver(events)
            # Never past what is stored: a notification's range is only a hint to read.
            self._delivered = events[-1].event_id

    def end_elsewhere(self, request_ids: set[str]) -> None:
        """Another process ended these requests: publish nothing more for them, and stop them."""
        for request_id in request_ids - self.ended_elsewhere:
            self.ended_elsewhere.add(request_id)
            log.error(
                "request %s was ended by another process, which took this one for gone; "
                "its events not stored yet, and any it publishes from now on, are dropped",
                request_id,
            )
            if self.on_cancel is not None:
                self.on_cancel(request_id)

    def _notified(self, connection: Any, pid: int, channel: str, payload: str) -> None:
        match = _RANGE.fullmatch(payload)
        if match is None or int(match[2]) > _MAX_EVENT_ID:
            log.warning(
                "ignored a notification on %s that is no event range: %.80r", CHANNEL, payload
            )
            return
        asyncio.get_running_loop().create_task(self._on_notify(int(match[2])))

    async def _on_notify(self, last: int) -> None:
        async with self._order:
            if self.outage is not None:
                return  # ids here run ahead of the database's; storing the held ones catches up
            try:
                await self._catch_up(last)
            except FAILURES as error:
                log.warning("could not read events up to %d: %s", last, error)

    async def _listen(self) -> None:
        self._listener = await asyncpg.connect(
            self.url, timeout=10, server_settings={"application_name": "quart_app listener"}
        )
        await self._listener.add_listener(CHANNEL, self._notified)
        if self.on_cancel is not None:
            on_cancel = self.on_cancel
            await self._listener.add_listener(
                CANCEL_CHANNEL, lambda connection, pid, channel, request_id: on_cancel(request_id)
            )
        self._listener.add_termination_listener(self._listener_lost)

    def _listener_lost(self, connection: Any) -> None:
        if self._closing or self._reconnecting is not None:
            return
        log.warning("history listener lost its connection; reconnecting")
        self._reconnecting = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        delay = 0.5
        try:
            while not self._closing:
                try:
                    await self._listen()
                except FAILURES as error:
                    log.warning(
                        "history listener: reconnect failed (%s); retrying in %.1f s", error, delay
                    )
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 10)
                    continue
                log.info("history listener reconnected")
                try:
                    rows = await self._fetch("SELECT last_id FROM quart_app.event_ids")
                except FAILURES as error:  # the next notification catches up instead
                    log.warning("history listener: could not read the newest eventId: %s", error)
                    return
                await self._on_notify(rows[0]["last_id"])  # what was missed while disconnected
                return
        finally:
            self._reconnecting = None

    # Retention ----------------------------------------------------------------

    async def _prune_loop(self, retention: Retention) -> None:
        while True:
            await asyncio.sleep(retention.interval)
            try:
                assert self.pool is not None
                # Deleting many rows may take a while: more time than other statements get.
                await prune(self.pool, retention, timeout=max(60.0, self.timeout))
            except FAILURES as error:
                log.warning("history pruning failed: %s", error)
