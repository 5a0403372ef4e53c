"""Keeping events through an outage of the history database.

A write that fails (the database stopped, the network gone, a failover under
way), or gets no answer within the history's timeout, starts an outage. That
batch, and every event published after it, is then numbered in the process,
continuing from the last eventId it handed on, and delivered at once. The
events are held in memory (at most ``capacity``) while a task beside the write
loop retries with a growing delay, so that a database that hangs holds up
storing, not delivery. A try that succeeds stores the held events in one
transaction, holding the counter row's lock, under the eventIds their
subscribers saw, so that a client resuming from one of them misses nothing.
Only if another process stored events meanwhile (the counter has passed the
first held id) do the held events go after those, under new ids: each
process's subscribers saw a different order, and one eventId cannot resume
both. That case is logged with what it cost.

A write cut off after its COMMIT was sent may have been stored after all: if
the process's own NOTIFY handed its events on before the write gave up, they
count as stored and no outage begins (``writer.py``); otherwise they are held,
and on storing, those already in the table (same requestId and sequence) are
not stored again. A request that another process ended meanwhile, having taken
this one for gone (``services/orphans.py``), keeps that end as its last event:
what is held for it is dropped (``fence.py``), and its subscribers here get that
end although they saw later eventIds.
"""

from __future__ import annotations

import enum
import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import asyncpg

from ..events import MAX_EVENT_ID, StatusEvent
from . import event_rows

log = logging.getLogger(__name__)

# Tells an event held here from one another process published: the sequence alone does
# not, when that process ended a request of this one (it numbers after what was stored).
Key = tuple[str, int, str]


def key(event: StatusEvent) -> Key:
    return (event.request_id, event.sequence, event.timestamp)


class HistoryUnavailable(Exception):
    """The history database could not store an event, and no more can be held for it."""


class State(enum.Enum):
    """What the write loop does with the events it is given."""

    WRITING = "writing"  # writes them to the database
    HOLDING = "holding"  # numbers, hands on and holds them until the next try to store
    STORING = "storing held"  # the same, while a try to store what is held runs beside it


@dataclass(frozen=True, slots=True)
class StoredRound:
    """What one try stored: the events as stored, every event stored since the outage began,
    and the requests another process ended meanwhile, whose held events were not stored."""

    stored: list[StatusEvent]
    since: list[StatusEvent]
    fenced: set[str]


@dataclass(slots=True)
class Outage:
    """The held events and the retries of the current outage (if ``state`` is not WRITING)."""

    capacity: int
    state: State = State.WRITING
    base: int = 0  # the last eventId handed on before the outage began
    since: float = 0.0
    held: list[StatusEvent] = field(default_factory=list)
    ours: set[Key] = field(default_factory=set)  # of every event held
    stored: int = 0
    theirs_upto: int = 0  # the newest event of other processes handed on since it began
    delay: float = 0.5
    retry_at: float = 0.0
    refused: int = 0

    def begin(self, base: int) -> None:
        self.state = State.HOLDING
        self.base = self.theirs_upto = base
        self.since = time.monotonic()
        self.held, self.ours = [], set()
        self.stored = self.refused = 0
        self.delay = 0.5
        self.retry_at = self.since + self.delay

    @property
    def holding(self) -> bool:
        return self.state is not State.WRITING

    @property
    def room(self) -> int:
        """How many more events may be held."""
        return max(0, self.capacity - len(self.held))

    def hold(self, events: list[StatusEvent]) -> None:
        self.held.extend(events)
        self.ours.update(map(key, events))

    def retry_later(self) -> None:
        self.state = State.HOLDING
        self.delay = min(self.delay * 2, 10.0)
        self.retry_at = time.monotonic() + self.delay

    def held_after(
        self, after_id: int, matches: Callable[[StatusEvent], bool], *, limit: int | None = None
    ) -> list[StatusEvent]:
        """The held events after ``after_id`` that ``matches`` accepts, oldest first (the
        first ``limit`` of them)."""
        found = (event for event in self.held if event.event_id > after_id and matches(event))
        return list(itertools.islice(found, limit))

    async def store_held(self, connection: asyncpg.Connection, count: int) -> StoredRound:
        """Store ``held[:count]``; call in a transaction."""
        last = await connection.fetchval("SELECT last_id FROM quart_app.event_ids FOR UPDATE")
        since = await event_rows.events_between(connection, self.base, MAX_EVENT_ID)
        # A write cut off at its commit may have been stored after all: store nothing twice.
        done = {(event.request_id, event.sequence) for event in since}
        # A request another process ended meanwhile (it took this one for gone:
        # services/orphans.py) has had its last event: nothing may follow it.
        ended = {event.request_id for event in since if event.final and key(event) not in self.ours}
        todo: list[StatusEvent] = []
        fenced: set[str] = set()
        already = 0
        for event in self.held[:count]:
            if event.request_id in ended:
                fenced.add(event.request_id)
            elif (event.request_id, event.sequence) in done:
                already += 1
            else:
                todo.append(event)
        if already:
            log.warning(
                "%d held events had been stored already, by a write whose commit went through "
                "though its answer never came; they are not stored twice",
                already,
            )
        if not todo:
            return StoredRound([], since, fenced)
        if last >= todo[0].event_id:  # others stored meanwhile: ours go after theirs
            todo = [replace(event, event_id=last + 1 + n) for n, event in enumerate(todo)]
        await event_rows.insert(connection, todo)
        await connection.execute("UPDATE quart_app.event_ids SET last_id = $1", todo[-1].event_id)
        return StoredRound(todo, since, fenced)
